package metrics

import (
	"runtime"
	"sync/atomic"
)

// The eigenvalues of the symmetric matrix in FrechetDistance come from a
// two-stage reduction to tridiagonal form, as in PLASMA, MAGMA and ELPA.
// A one-stage reduction (LAPACK's dsytrd) does half its work as one
// matrix-vector product per column with the whole trailing matrix, which
// is bound by memory bandwidth. Here the first stage reduces the matrix to
// a band of width bandWidth with blocked Householder transforms whose
// updates are all matrix-matrix products, at the speed of the packed
// kernel; the second stage (chase.go) chases the band down to tridiagonal
// form with short reflectors on blocks that stay in cache.

// bandWidth is the bandwidth of the first stage. At n = 2048, widths 24,
// 32, 48 and 64 measured within 10% of each other overall: the first
// stage's products gain a little from a wider band, and the second stage,
// about 6*bandWidth*n^2 flops in short vectors, loses as much.
const bandWidth = 32

// directKC is the number of rows of the in-place operand per kernel call
// in vtTimes: 24 columns of 128 rows (24 KiB) stay in L1 while every B
// panel passes over them.
const directKC = 128

// symMatrix is a dense symmetric n x n matrix with both triangles stored,
// row-major with stride ld. It has at least 23 zero columns right of the
// matrix and 7 zero rows below it, so that packed products may write
// whole 8 x 24 blocks at any offset in it. (upperMatrix uses the same
// layout for a covariance's upper triangle alone.)
type symMatrix struct {
	a  []float64
	n  int
	ld int
}

// newSymMatrix returns a zero n x n symMatrix, in spare when that is long
// enough.
func newSymMatrix(n int, spare []float64) symMatrix {
	ld := roundUp(n, 24) + 24
	size := (roundUp(n, 8) + 8) * ld
	if len(spare) >= size {
		a := spare[:size]
		clear(a)
		return symMatrix{a: a, n: n, ld: ld}
	}
	return symMatrix{a: prefaulted(size), n: n, ld: ld}
}

// reduceToBand overwrites s with a symmetric band matrix of bandwidth b
// (entries with |i-j| > b are zero, both triangles) that has the same
// eigenvalues.
//
// Panel by panel, the b columns left of the trailing matrix are factored
// P = QR with Householder reflectors (P's transpose is a contiguous block
// of rows, by symmetry), R goes into the band, and the trailing matrix A
// becomes Q^T A Q. With Q = I - V T V^T that is A - W V^T - V W^T, where
// X = A V T and W = X - V (T^T V^T X)/2: one product with A read in
// place, small b x b work, and one rank-2b update through the packed
// kernel.
func reduceToBand(s symMatrix, b int) {
	n, ld, a := s.n, s.ld, s.a
	if n-b <= 1 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	ldv := roundUp(n, 24)
	vw := make([]float64, 2*b*ldv) // V^T (kr rows) then W^T (kr rows)
	wv := make([]float64, 2*b*ldv) // W^T then V^T, the negated side
	xt := make([]float64, roundUp(b, 8)*ldv)
	pack := make([]float64, roundUp(b, 8)*n)
	t := make([]float64, b*b)
	z := make([]float64, b*b)
	zs := make([]float64, 2*b*b) // V^T X, one part per worker
	cm := make([]float64, b*b)   // -C/2
	tau := make([]float64, b)
	beta := make([]float64, b)

	for c := 0; n-c-b > 1; c += b {
		m := n - c - b
		kr := min(b, m)
		base := c*ld + c + b // row j of P^T: a[base+j*ld : base+j*ld+m]
		pt := func(j int) []float64 { return a[base+j*ld : base+j*ld+m] }

		// Householder QR of P, column q of P being row q of P^T.
		for q := 0; q < kr; q++ {
			v := pt(q)[q:]
			tau[q], beta[q] = householder(v)
			v[0] = 1
			if tau[q] == 0 {
				continue
			}
			for p := q + 1; p < b; p++ {
				x := pt(p)[q:]
				axpy(-tau[q]*dot(v, x), v, x)
			}
		}

		// V^T into vw, then R (and zeros) into the band, both triangles.
		for q := 0; q < kr; q++ {
			v := vw[q*ldv : q*ldv+m]
			clear(v[:q])
			copy(v[q:], pt(q)[q:])
		}
		for j := 0; j < b; j++ {
			row := pt(j)
			if j < m {
				row[j] = beta[j]
				clear(row[j+1:])
			}
			for i := 0; i < min(b, m); i++ {
				a[(c+b+i)*ld+c+j] = row[i]
			}
		}
		for i := b; i < m; i++ {
			clear(a[(c+b+i)*ld+c : (c+b+i)*ld+c+b])
		}

		// T of the block reflector Q = I - V T V^T (LAPACK's dlarft).
		clear(t)
		for q := 0; q < kr; q++ {
			t[q*b+q] = tau[q]
			vq := vw[q*ldv+q : q*ldv+m]
			for i := 0; i < q; i++ {
				z[i] = -tau[q] * dot(vw[i*ldv+q:i*ldv+m], vq)
			}
			for i := 0; i < q; i++ {
				var sum float64
				for l := i; l < q; l++ {
					sum += t[i*b+l] * z[l]
				}
				t[i*b+q] = sum
			}
		}

		// X^T = T^T (V^T A), rows from the last so each reads originals.
		trail := a[(c+b)*ld+c+b:]
		vtTimes(xt, ldv, vw, ldv, kr, trail, ld, m, pack, workers)
		// The rest is column by column, or sums over columns: two workers
		// take half of the m columns each, and the two halves of Z are
		// added. (Always two halves, so the sums do not depend on the
		// number of cores.)
		const parts = 2
		parallelIndexed(parts, func(w int) {
			i0, i1 := m*w/parts, m*(w+1)/parts
			zw := zs[w*b*b : (w+1)*b*b]
			for j := kr - 1; j >= 0; j-- {
				xj := xt[j*ldv+i0 : j*ldv+i1]
				scale(t[j*b+j], xj)
				for q := 0; q < j; q++ {
					axpy(t[q*b+j], xt[q*ldv+i0:q*ldv+i1], xj)
				}
			}
			for q := 0; q < kr; q++ {
				for p := 0; p < kr; p++ {
					zw[q*b+p] = dot(vw[q*ldv+i0:q*ldv+i1], xt[p*ldv+i0:p*ldv+i1])
				}
			}
		})

		// C = T^T (V^T X), then W^T = X^T - C^T V^T / 2.
		for q := 0; q < kr; q++ {
			for p := 0; p < kr; p++ {
				var cqp float64 // C[q][p]
				for l := 0; l <= q; l++ {
					cqp += t[l*b+q] * (zs[l*b+p] + zs[b*b+l*b+p])
				}
				cm[q*b+p] = -cqp / 2
			}
		}
		parallelIndexed(parts, func(w int) {
			i0, i1 := m*w/parts, m*(w+1)/parts
			for p := 0; p < kr; p++ {
				wp := vw[(kr+p)*ldv+i0 : (kr+p)*ldv+i1]
				copy(wp, xt[p*ldv+i0:p*ldv+i1])
				for q := 0; q < kr; q++ {
					axpy(cm[q*b+p], vw[q*ldv+i0:q*ldv+i1], wp)
				}
			}
		})

		// A -= V W^T + W V^T over the whole trailing matrix, in place.
		for q := 0; q < kr; q++ {
			copy(wv[q*ldv:q*ldv+m], vw[(kr+q)*ldv:(kr+q)*ldv+m])
			copy(wv[(kr+q)*ldv:(kr+q)*ldv+m], vw[q*ldv:q*ldv+m])
		}
		atb(trail, ld,
			rows64{x: vw, ld: ldv, cols: m},
			rows64{x: wv, ld: ldv, cols: m, neg: true},
			productShape{k: 2 * kr, na: m, nb: m})
	}
}

// vtTimes sets out (kr rows of stride ldo, at least roundUp(kr, 8) rows of
// roundUp(m, 24) values) to V^T A for the reflectors vt (kr rows of m
// values, stride ldv) and the m x m block A at a (stride lda), which is
// read in place: only V is packed. A must be readable up to column
// roundUp(m, 24) (zeros past m). pack holds roundUp(kr, 8)*m values.
func vtTimes(out []float64, ldo int, vt []float64, ldv, kr int, a []float64, lda, m int,
	pack []float64, workers int,
) {
	npb := roundUp(kr, 8) / 8
	pk := pack[:npb*m*8]
	cols64{x: vt, ld: ldv, cols: kr}.pack(pk, 0, m, 0, npb)
	clear(out[:npb*8*ldo])
	stripes := roundUp(m, 24) / 24
	var next atomic.Int64
	parallel(min(workers, stripes), func() {
		for {
			st := int(next.Add(1)) - 1
			if st >= stripes {
				return
			}
			ip := st * 24
			for r0 := 0; r0 < m; r0 += directKC {
				kc := min(directKC, m-r0)
				for jp := 0; jp < npb; jp++ {
					kern24x8(kc, a[r0*lda+ip:], 8, lda, pk[jp*m*8+r0*8:], out[jp*8*ldo+ip:], ldo)
				}
			}
		}
	})
}
