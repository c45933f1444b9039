package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveATB is the definition atb is checked against.
func naiveATB(a, b []float64, k, na, nb int) []float64 {
	out := make([]float64, nb*na)
	for j := 0; j < nb; j++ {
		for i := 0; i < na; i++ {
			var s float64
			for r := 0; r < k; r++ {
				s += b[r*nb+j] * a[r*na+i]
			}
			out[j*na+i] = s
		}
	}
	return out
}

func TestATB(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, avx := range []bool{false, true} {
		if avx && !useAVX512 {
			continue
		}
		for _, sz := range [][3]int{{1, 1, 1}, {5, 30, 17}, {300, 50, 41}, {513, 500, 130}} {
			k, na, nb := sz[0], sz[1], sz[2]
			for _, tri := range []bool{false, true} {
				a := randMat(rng, k, na, tri)
				b := randMat(rng, k, nb, tri)
				want := naiveATB(a, b, k, na, nb)
				ldo := roundUp(na, 24)
				out := make([]float64, roundUp(nb, 8)*ldo)
				withKernel(avx, func() {
					atb(out, ldo, rows64{x: a, ld: na, cols: na}, rows64{x: b, ld: nb, cols: nb},
						productShape{k: k, na: na, nb: nb, tri: tri})
				})
				for j := 0; j < nb; j++ {
					for i := 0; i < na; i++ {
						if d := math.Abs(out[j*ldo+i] - want[j*na+i]); d > 1e-10*float64(k) {
							t.Fatalf("avx=%v k=%d na=%d nb=%d tri=%v: out[%d][%d] = %g, want %g",
								avx, k, na, nb, tri, j, i, out[j*ldo+i], want[j*na+i])
						}
					}
				}
			}
		}
	}
}

func randMat(rng *rand.Rand, rows, cols int, lower bool) []float64 {
	m := make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if lower && c > r {
				continue
			}
			m[r*cols+c] = rng.NormFloat64()
		}
	}
	return m
}
