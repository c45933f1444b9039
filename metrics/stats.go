package metrics

import (
	"fmt"
	"math"

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

	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x[i*d : (i+1)*d] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
		if math.IsInf(mean[j], 0) || math.IsNaN(mean[j]) {
			return Stats{}, fmt.Errorf("compute feature statistics: feature %d is not finite", j)
		}
	}

	cov := covariance(centered[T]{x: x, d: d, mean: mean}, n, d)
	return Stats{Mean: mean, Cov: mat.NewSymDense(d, cov), N: n}, nil
}

// covariance returns the d x d matrix X^T X / (n-1) of the packed source
// (n rows, d columns), upper triangle only, which is what mat.SymDense
// reads.
func covariance(src packer, n, d int) []float64 {
	cov := covarianceLike(src, n, d)
	scale := 1 / float64(n-1)
	for j := 0; j < d; j++ {
		row := cov[j*d+j : (j+1)*d]
		for i := range row {
			row[i] *= scale
		}
	}
	return cov
}
