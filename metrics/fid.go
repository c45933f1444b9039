package metrics

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
)

// ErrRankDeficient is returned (wrapped) by FrechetDistance when a set has
// no more samples than features and FDOptions.AllowRankDeficient is off.
var ErrRankDeficient = errors.New("no more samples than features")

// FDOptions adjusts FrechetDistance.
type FDOptions struct {
	// AllowRankDeficient computes the distance even when a set has
	// N <= D samples, adding a warning instead of refusing. The covariance
	// is then singular and the value is dominated by estimation bias
	// (200 x 2048 Gaussian features: about 3048 for a population value of
	// 5.12), so it is only comparable with values at the same N and D.
	AllowRankDeficient bool
}

// Distance is a Fréchet distance with the terms it is made of:
// Value = MeanTerm + Trace1 + Trace2 - 2*TraceSqrt.
type Distance struct {
	Value     float64 // reported raw: may be a tiny negative number (~1e-12) for identical sets
	MeanTerm  float64 // ||mu1 - mu2||^2
	Trace1    float64 // tr S1
	Trace2    float64 // tr S2
	TraceSqrt float64 // tr sqrtm(S1 S2)
	// Rank1 and Rank2 are the ranks used for S1 and S2: D when the
	// Cholesky factorization succeeded, the pivoted-Cholesky rank otherwise.
	Rank1, Rank2 int
	// Warnings explain anything that makes the value less trustworthy
	// (rank-deficient or singular covariances). Empty in the normal case.
	Warnings []string
}

// FrechetDistance returns the Fréchet distance between the Gaussians
// N(a.Mean, a.Cov) and N(b.Mean, b.Cov):
//
//	||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrtm(S1 S2)
//
// The trace of the matrix square root is taken without forming it. With
// S1 = B1 B1^T and S2 = B2 B2^T, S1 S2 is similar to (B1^T B2)^T (B1^T B2),
// so tr sqrtm(S1 S2) is the sum of the singular values of G = B1^T B2:
// the square roots of the eigenvalues of the symmetric positive
// semidefinite G^T G. This is the symmetric formulation of
// SPEC-numeric.md A.1 (sqrt(S1) S2 sqrt(S1) has the same eigenvalues), is
// always real, and needs no eps offset. B is the Cholesky factor when it
// exists. A covariance that is only semidefinite (fewer samples than
// features, collapsed features) is factored by pivoted Cholesky truncated
// at n*eps*max(diag), which drops its numerically-zero directions, and a
// warning says so.
//
// Sets with N <= D are refused with ErrRankDeficient unless
// opts.AllowRankDeficient is set. A covariance with a clearly negative
// eigenvalue is refused: it cannot be a covariance.
//
// The value is not clamped at zero; callers needing a non-negative number
// may use max(0, Value).
func FrechetDistance(a, b Stats, opts FDOptions) (Distance, error) {
	var res Distance
	dim := a.Dim()
	if err := checkStats(a, "first"); err != nil {
		return res, err
	}
	if err := checkStats(b, "second"); err != nil {
		return res, err
	}
	if b.Dim() != dim {
		return res, fmt.Errorf("frechet distance: feature dimensions differ: %d and %d", dim, b.Dim())
	}
	for i, s := range []Stats{a, b} {
		if s.N == 0 || s.N > dim {
			continue
		}
		if !opts.AllowRankDeficient {
			return res, fmt.Errorf("frechet distance: set %d has %d samples for %d features: %w "+
				"(the covariance is singular and the value mostly estimation bias; "+
				"use more samples or allow it explicitly)", i+1, s.N, dim, ErrRankDeficient)
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"set %d has %d samples for %d features: the covariance has rank at most %d "+
				"and the distance is dominated by estimation bias",
			i+1,
			s.N,
			dim,
			s.N-1,
		))
	}

	for i := range dim {
		diff := a.Mean[i] - b.Mean[i]
		res.MeanTerm += diff * diff
	}
	var max1, max2 float64
	for i := range dim {
		d1, d2 := a.Cov.At(i, i), b.Cov.At(i, i)
		res.Trace1 += d1
		res.Trace2 += d2
		max1, max2 = math.Max(max1, d1), math.Max(max2, d2)
	}
	// Each covariance is factored divided by an even power of two near its
	// largest variance, so that the products of factors neither overflow
	// nor underflow for data anywhere from 1e-150 to 1e150; the scaling is
	// exact and undone exactly on the trace.
	e1, e2 := evenExponent(max1), evenExponent(max2)

	// The two factorizations are independent; running them side by side
	// keeps both cores busy during their serial in-block steps.
	// Their matrices are allocated first, on this goroutine: see prefaulted.
	m1, m2 := newSymMatrix(dim, nil), newSymMatrix(dim, nil)
	var f1, f2 factored
	done := make(chan struct{})
	go func() {
		f2 = factor(b, 2, m2, e2)
		close(done)
	}()
	f1 = factor(a, 1, m1, e1)
	<-done
	for _, f := range []factored{f1, f2} {
		if f.err != nil {
			return res, f.err
		}
		res.Warnings = append(res.Warnings, f.warnings...)
	}
	x1, r1, tri1 := f1.x, f1.rank, f1.tri
	x2, r2, tri2 := f2.x, f2.rank, f2.tri
	res.Rank1, res.Rank2 = r1, r2

	var err error
	res.TraceSqrt, err = traceSqrtProduct(x1, r1, x2, r2, dim, tri1 && tri2, f1.spare)
	if err != nil {
		return res, err
	}
	res.TraceSqrt = math.Ldexp(res.TraceSqrt, (e1+e2)/2)
	res.Value = res.MeanTerm + res.Trace1 + res.Trace2 - 2*res.TraceSqrt
	return res, nil
}

// checkStats validates one set's statistics.
func checkStats(s Stats, which string) error {
	if s.Cov == nil {
		return fmt.Errorf("frechet distance: %s set has no covariance", which)
	}
	if n := s.Cov.SymmetricDim(); n != len(s.Mean) {
		return fmt.Errorf(
			"frechet distance: %s set has %d means but a %dx%d covariance",
			which,
			len(s.Mean),
			n,
			n,
		)
	}
	if len(s.Mean) == 0 {
		return fmt.Errorf("frechet distance: %s set has no features", which)
	}
	if s.N == 1 {
		return fmt.Errorf("frechet distance: %s set has a single sample", which)
	}
	for _, v := range s.Mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("frechet distance: %s set has a non-finite mean", which)
		}
	}
	return nil
}

// upperMatrix copies the upper triangle of a set's covariance, times 2^-e,
// into out, a zero symMatrix of its size (the lower triangle is left
// alone: every routine here reads the upper one), checking that it is
// finite.
func upperMatrix(s Stats, set int, out symMatrix, e int) error {
	raw := s.Cov.RawSymmetric()
	n := raw.N
	for i := 0; i < n; i++ {
		row := out.a[i*out.ld+i : i*out.ld+n]
		if raw.Uplo == blas.Lower {
			for j := range row {
				row[j] = raw.Data[(i+j)*raw.Stride+i]
			}
		} else {
			copy(row, raw.Data[i*raw.Stride+i:i*raw.Stride+n])
		}
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("frechet distance: covariance of set %d is not finite", set)
			}
		}
		switch {
		case e == 0:
		case e > -1000 && e < 1000: // 2^-e is normal: the product is exact
			f := math.Ldexp(1, -e)
			for j := range row {
				row[j] *= f
			}
		default:
			for j, v := range row {
				row[j] = math.Ldexp(v, -e)
			}
		}
	}
	return nil
}

// evenExponent returns an even e with v*2^-e in [0.5, 2), or 0 for v = 0.
func evenExponent(v float64) int {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	_, e := math.Frexp(v)
	return e &^ 1
}

// factored is a covariance S = B B^T in the form traceSqrtProduct uses:
// a packer x for B^T (n rows, rank columns, X(m, j) = B[m][j]). tri
// reports the Cholesky case, where B is lower triangular (X(m, j) = 0 for
// j > m) and rank == n.
type factored struct {
	x        packer
	rank     int
	tri      bool
	spare    []float64 // the memory under x, free for reuse once x is used
	warnings []string
	err      error
}

// factor factors the covariance of st, set number set, times 2^-e, in s
// (zero, of its size).
func factor(st Stats, set int, s symMatrix, e int) factored {
	if err := upperMatrix(st, set, s, e); err != nil {
		return factored{err: err}
	}
	n := st.Dim()
	if cholesky(s.a, n, s.ld) {
		// s holds U with S = U^T U, so B = U^T and X(m, j) = U[j][m].
		return factored{x: cols64{x: s.a, ld: s.ld, cols: n}, rank: n, tri: true, spare: s.a}
	}
	if err := upperMatrix(st, set, s, e); err != nil {
		return factored{err: err}
	}
	b, r, ok := psdFactor(s.a, n, s.ld)
	if !ok {
		return factored{
			err: fmt.Errorf("frechet distance: covariance of set %d is not positive semidefinite", set),
		}
	}
	return factored{
		x:    rows64{x: b, ld: r, cols: r},
		rank: r,
		warnings: []string{fmt.Sprintf(
			"covariance of set %d is singular (numerical rank %d of %d); its null directions were dropped",
			set,
			r,
			n,
		)},
	}
}

// traceSqrtProduct returns the nuclear norm of G = B1^T B2, which is
// tr sqrtm(S1 S2) for S1 = B1 B1^T and S2 = B2 B2^T, given packers for
// the factors (n rows; r1 and r2 columns).
//
// spare, if long enough, is memory that may be overwritten once the
// product B1^T B2 is formed (x1's own, say): the Gram matrix goes there
// instead of into fresh pages, whose first touch costs about 1.25 us per
// 4 KiB here.
func traceSqrtProduct(
	x1 packer, r1 int, x2 packer, r2 int, n int, tri bool, spare []float64,
) (float64, error) {
	if r1 == 0 || r2 == 0 {
		return 0, nil
	}
	// g[j][i] = sum_m B1[m][j] B2[m][i]: r1 rows of r2 values.
	ldg := roundUp(r2, 24)
	g := prefaulted(roundUp(r1, 8) * ldg)
	atb(g, ldg, x2, x1, productShape{k: n, na: r2, nb: r1, tri: tri})

	// The Gram matrix of the smaller side: G^T G (r2 x r2) or G G^T (r1 x r1).
	var src packer
	r, k := r2, r1
	if r1 < r2 {
		src = cols64{x: g, ld: ldg, cols: r1}
		r, k = r1, r2
	} else {
		src = rows64{x: g, ld: ldg, cols: r2}
	}
	gram := gramMatrix(src, k, r, spare)

	lambda, err := symEigenvalues(gram)
	if err != nil {
		return 0, fmt.Errorf("frechet distance: %w", err)
	}
	var sum float64
	for _, l := range lambda {
		if l > 0 {
			sum += math.Sqrt(l)
		}
	}
	return sum, nil
}

// gramMatrix returns X^T X of a packed source with k rows and r columns
// as a full symmetric matrix: the upper triangle is computed, the lower
// one copied from it. It reuses spare when that is long enough.
func gramMatrix(src packer, k, r int, spare []float64) symMatrix {
	s := newSymMatrix(r, spare)
	atb(s.a, s.ld, src, src, productShape{k: k, na: r, nb: r, same: true, upper: true})
	const blk = 64
	for i0 := 0; i0 < r; i0 += blk {
		for j0 := 0; j0 <= i0; j0 += blk {
			for i := i0; i < min(i0+blk, r); i++ {
				row := s.a[i*s.ld : i*s.ld+i]
				for j := j0; j < min(j0+blk, i); j++ {
					row[j] = s.a[j*s.ld+i]
				}
			}
		}
	}
	return s
}
