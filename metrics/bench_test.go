package metrics

import (
	"math/rand/v2"
	"testing"
)

func randFeatures(n, d int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// BenchmarkComputeStats times one 10,000 x 2048 covariance, the size
// bench/fid.sh compares with NumPy.
func BenchmarkComputeStats(b *testing.B) {
	const n, d = 10000, 2048
	x := randFeatures(n, d, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ComputeStats(x, n, d); err != nil {
			b.Fatal(err)
		}
	}
	flops := float64(n) * float64(d) * float64(d+1)
	b.ReportMetric(flops/b.Elapsed().Seconds()*float64(b.N)/1e9, "GFLOPS")
}

// BenchmarkFrechetDistance2048 times the distance step alone on the
// statistics of two 10,000 x 2048 sets.
func BenchmarkFrechetDistance2048(b *testing.B) {
	const n, d = 10000, 2048
	s1, err := ComputeStats(randFeatures(n, d, 1), n, d)
	if err != nil {
		b.Fatal(err)
	}
	y := randFeatures(n, d, 2)
	for i := range y {
		y[i] = y[i]*1.1 + 0.05
	}
	s2, err := ComputeStats(y, n, d)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := FrechetDistance(s1, s2, FDOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
