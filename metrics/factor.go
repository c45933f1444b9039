package metrics

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
)

// cholBlock is the width of the diagonal blocks of cholesky: within a
// block the rows are updated one by one with vector operations, the
// trailing matrix once per block through the packed kernel.
const cholBlock = 48

// cholesky overwrites the row-major n x n symmetric matrix a (its upper
// triangle is read) with the upper Cholesky factor U, a = U^T U, and
// clears the strict lower triangle. It reports false, leaving a partly
// overwritten, when a pivot is not positive: the matrix is singular or not
// positive semidefinite to working precision.
func cholesky(a []float64, n int) bool {
	buf := make([]float64, roundUp(n, 8)*roundUp(n, 24))
	for k0 := 0; k0 < n; k0 += cholBlock {
		kb := min(cholBlock, n-k0)

		// Rows of the block, right-looking: each finished row is scaled
		// by its pivot and removed from the block's later rows, across
		// the full width, which also solves the panel right of the block.
		for j := k0; j < k0+kb; j++ {
			p := a[j*n+j]
			if !(p > 0) {
				return false
			}
			p = math.Sqrt(p)
			a[j*n+j] = p
			row := a[j*n+j+1 : (j+1)*n]
			for i := range row {
				row[i] /= p
			}
			for r := j + 1; r < k0+kb; r++ {
				axpy(-a[j*n+r], a[j*n+r:(j+1)*n], a[r*n+r:(r+1)*n])
			}
		}

		m := n - k0 - kb
		if m == 0 {
			break
		}

		// Trailing update A22 -= X^T X, X the kb x m panel, upper triangle.
		ld := roundUp(m, 24)
		out := buf[:roundUp(m, 8)*ld]
		clear(out)
		src := rows64{x: a[k0*n+k0+kb:], ld: n, cols: m}
		atb(out, ld, src, src, productShape{k: kb, na: m, nb: m, same: true, upper: true})
		base := (k0 + kb) * (n + 1)
		for j := 0; j < m; j++ {
			row := a[base+j*n+j : base+j*n+m]
			o := out[j*ld+j : j*ld+m]
			for i := range row {
				row[i] -= o[i]
			}
		}
	}
	for i := 1; i < n; i++ {
		clear(a[i*n : i*n+i])
	}
	return true
}

// psdFactor returns B (n x r, row-major) with B B^T equal to the symmetric
// positive semidefinite a (upper triangle read) up to the truncation of
// pivoted Cholesky: it
// stops when every remaining pivot is at most n*eps*max(diag a), LAPACK's
// default. ok is false when the residual a - B B^T is far larger than that
// tolerance allows, which means a has a clearly negative eigenvalue.
// a is overwritten.
func psdFactor(a []float64, n int) (b []float64, r int, ok bool) {
	orig := append([]float64(nil), a...)
	var maxDiag float64
	for i := 0; i < n; i++ {
		maxDiag = math.Max(maxDiag, a[i*n+i])
	}
	piv := make([]int, n)
	work := make([]float64, 2*n)
	r, _ = gonum.Implementation{}.Dpstrf(blas.Upper, n, a, n, piv, -1, work)

	// P^T a P = U^T U, so B = P U^T: row piv[m] of B is column m of U.
	b = make([]float64, n*r)
	for k := 0; k < r; k++ {
		for m := k; m < n; m++ {
			b[piv[m]*r+k] = a[k*n+m]
		}
	}

	// Residual check: for a PSD input every entry of a - B B^T is at most
	// the tolerance (|R_ij| <= sqrt(R_ii R_jj)); allow a wide margin for
	// rounding before calling the input indefinite.
	limit := 1e3 * float64(n) * eps * math.Max(maxDiag, math.SmallestNonzeroFloat64)
	ld := roundUp(n, 24)
	bbt := make([]float64, roundUp(n, 8)*ld)
	if r > 0 {
		src := cols64{x: b, ld: r, cols: n}
		atb(bbt, ld, src, src, productShape{k: r, na: n, nb: n, same: true, upper: true})
	}
	for j := 0; j < n; j++ {
		for i := j; i < n; i++ {
			if math.Abs(orig[j*n+i]-bbt[j*ld+i]) > limit {
				return b, r, false
			}
		}
	}
	return b, r, true
}

// eps is the float64 unit roundoff, 2^-53.
const eps = 0x1p-53
