package metrics

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Stats are the first two moments of a feature set, the input of the
// Fréchet distance.
type Stats struct {
	// Mean is the per-feature mean, length D.
	Mean []float64
	// Cov is the unbiased D x D covariance (divided by N-1), as
	// np.cov(x, rowvar=False) computes it.
	Cov *mat.SymDense
	// N is the number of samples the moments came from, or 0 when unknown
	// (statistics loaded from elsewhere). It decides whether
	// FrechetDistance treats the covariance as rank-deficient (N <= D).
	N int
}

// Dim returns the number of features.
func (s Stats) Dim() int { return len(s.Mean) }

// ComputeStats returns the mean and covariance of n samples of d features,
// x holding them row after row (x[i*d+j] is feature j of sample i), in
// float32 (what feature extractors produce) or float64 (what pytorch-fid
// saves).
//
// Both moments are accumulated in float64. The covariance is two-pass:
// the mean is removed from every value before the products are summed, so
// features with a large common offset (activations near 1000, say) keep
// their variance instead of losing it to cancellation. The products run
// on all GOMAXPROCS cores.
//
// It needs n >= 2. It accepts n <= d, which gives a singular covariance;
// FrechetDistance is where that is refused or warned about.
func ComputeStats[T float32 | float64](x []T, n, d int) (Stats, error) {
	switch {
	case n < 2:
		return Stats{}, fmt.Errorf("compute feature statistics: need at least 2 samples, got %d", n)
	case d < 1:
		return Stats{}, fmt.Errorf("compute feature statistics: need at least 1 feature, got %d", d)
	case len(x) != n*d:
		return Stats{}, fmt.Errorf(
			"compute feature statistics: %d values for %d samples of %d features",
			len(x),
			n,
			d,
		)
	}

	mean := columnSums(x, n, d)
	for j := range mean {
		mean[j] /= float64(n)
		if math.IsInf(mean[j], 0) || math.IsNaN(mean[j]) {
			return Stats{}, fmt.Errorf("compute feature statistics: feature %d is not finite", j)
		}
	}

	cov := covariance(centered[T]{x: x, d: d, mean: mean}, n, d)
	return Stats{Mean: mean, Cov: cov, N: n}, nil
}

// covariance returns the d x d matrix X^T X / (n-1) of the packed source
// (n rows, d columns). The product is written in place of the matrix's
// upper triangle, its rows padded to the packed kernel's blocks, which
// mat.SymDense accepts as its stride: no second copy.
func covariance(src packer, n, d int) *mat.SymDense {
	ld := roundUp(d, 24)
	buf := prefaulted(roundUp(d, 8) * ld)
	atb(buf, ld, src, src, productShape{k: n, na: d, nb: d, same: true, upper: true})
	scale := 1 / float64(n-1)
	for j := 0; j < d; j++ {
		row := buf[j*ld+j : j*ld+d]
		for i := range row {
			row[i] *= scale
		}
	}
	var cov mat.SymDense
	cov.SetRawSymmetric(blas64.Symmetric{N: d, Stride: ld, Data: buf, Uplo: blas.Upper})
	return &cov
}

// meanChunk is the number of rows summed into one partial sum by
// columnSums. The chunks, not the cores, fix the order of the additions,
// so the means are the same bits whatever GOMAXPROCS is.
const meanChunk = 1024

// columnSums returns the d column sums of the n x d row-major x, summing
// chunks of rows on all cores and then the chunks' sums in order.
func columnSums[T float32 | float64](x []T, n, d int) []float64 {
	chunks := (n + meanChunk - 1) / meanChunk
	part := make([]float64, chunks*d)
	var next atomic.Int64
	parallel(min(runtime.GOMAXPROCS(0), chunks), func() {
		for {
			c := int(next.Add(1)) - 1
			if c >= chunks {
				return
			}
			sum := part[c*d : (c+1)*d]
			x32, is32 := any(x).([]float32)
			for i := c * meanChunk; i < min(n, (c+1)*meanChunk); i++ {
				if is32 && addRow32(x32[i*d:(i+1)*d], sum) {
					continue
				}
				for j, v := range x[i*d : (i+1)*d] {
					sum[j] += float64(v)
				}
			}
		}
	})
	out := part[:d]
	for c := 1; c < chunks; c++ {
		for j, v := range part[c*d : (c+1)*d] {
			out[j] += v
		}
	}
	return out
}
