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

// cholChunk is the number of columns of the panel right of a diagonal
// block that cholesky solves at once: 48 rows of 256 values, 96 KiB, stay
// in L2 through the block's row operations.
const cholChunk = 256

// cholesky overwrites the symmetric n x n matrix a (row-major, stride ld,
// with a symMatrix's padding; its upper triangle is read) with the upper
// Cholesky factor U, a = U^T U, and clears the strict lower triangle. It
// reports false, leaving a partly overwritten, when a pivot is not
// positive: the matrix is singular or not positive semidefinite to
// working precision.
func cholesky(a []float64, n, ld int) bool {
	for k0 := 0; k0 < n; k0 += cholBlock {
		kb := min(cholBlock, n-k0)

		// Rows of the diagonal block, right-looking: each finished row is
		// scaled by its pivot and removed from the block's later rows.
		end := k0 + kb
		for j := k0; j < end; j++ {
			p := a[j*ld+j]
			if !(p > 0) {
				return false
			}
			a[j*ld+j] = math.Sqrt(p)
			rowOps(a, ld, j, end, j+1, end)
		}
		// The same row operations on the panel right of the block (the
		// triangular solve), a chunk of columns at a time so that the
		// chunk's kb rows stay in cache through all of them.
		for c0 := end; c0 < n; c0 += cholChunk {
			for j := k0; j < end; j++ {
				rowOps(a, ld, j, end, c0, min(c0+cholChunk, n))
			}
		}

		m := n - k0 - kb
		if m == 0 {
			break
		}

		// Trailing update A22 -= X^T X, X the kb x m panel, in place on
		// the tiles that touch the upper triangle (the padding takes the
		// blocks' overhang; what lands below the diagonal is cleared).
		src := rows64{x: a[k0*ld+k0+kb:], ld: ld, cols: m}
		neg := src
		neg.neg = true
		atb(a[(k0+kb)*(ld+1):], ld, src, neg, productShape{k: kb, na: m, nb: m, upper: true})
	}
	for i := 1; i < n; i++ {
		clear(a[i*ld : i*ld+i])
	}
	return true
}

// rowOps is cholesky's step for the finished pivot row j (its pivot at
// a[j][j]) on columns c0..c1-1: the row is divided by its pivot and
// removed from rows j+1..end-1, each from its own diagonal on.
func rowOps(a []float64, ld, j, end, c0, c1 int) {
	p := a[j*ld+j]
	row := a[j*ld+c0 : j*ld+c1]
	for i := range row {
		row[i] /= p
	}
	for r := j + 1; r < end; r++ {
		c := max(c0, r)
		axpy(-a[j*ld+r], a[j*ld+c:j*ld+c1], a[r*ld+c:r*ld+c1])
	}
}

// psdFactor returns B (n x r, row-major) with B B^T equal to the symmetric
// positive semidefinite a (upper triangle read) up to the truncation of
// pivoted Cholesky: it
// stops when every remaining pivot is at most n*eps*max(diag a), LAPACK's
// default. ok is false when the residual a - B B^T is far larger than that
// tolerance allows, which means a has a clearly negative eigenvalue.
// a is overwritten.
func psdFactor(a []float64, n, ld int) (b []float64, r int, ok bool) {
	orig := append([]float64(nil), a...)
	var maxDiag float64
	for i := 0; i < n; i++ {
		maxDiag = math.Max(maxDiag, a[i*ld+i])
	}
	piv := make([]int, n)
	work := make([]float64, 2*n)
	r, _ = gonum.Implementation{}.Dpstrf(blas.Upper, n, a, ld, piv, -1, work)

	// P^T a P = U^T U, so B = P U^T: row piv[m] of B is column m of U.
	b = make([]float64, n*r)
	for k := 0; k < r; k++ {
		for m := k; m < n; m++ {
			b[piv[m]*r+k] = a[k*ld+m]
		}
	}

	// Residual check: for a PSD input every entry of a - B B^T is at most
	// the tolerance (|R_ij| <= sqrt(R_ii R_jj)); allow a wide margin for
	// rounding before calling the input indefinite.
	limit := 1e3 * float64(n) * eps * math.Max(maxDiag, math.SmallestNonzeroFloat64)
	lda, ldo := ld, roundUp(n, 24)
	bbt := prefaulted(roundUp(n, 8) * ldo)
	if r > 0 {
		src := cols64{x: b, ld: r, cols: n}
		atb(bbt, ldo, src, src, productShape{k: r, na: n, nb: n, same: true, upper: true})
	}
	for j := 0; j < n; j++ {
		for i := j; i < n; i++ {
			if math.Abs(orig[j*lda+i]-bbt[j*ldo+i]) > limit {
				return b, r, false
			}
		}
	}
	return b, r, true
}

// eps is the float64 unit roundoff, 2^-53.
const eps = 0x1p-53
