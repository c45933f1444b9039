package metrics

import (
	"errors"
	"math"
	"runtime"

	"gonum.org/v1/gonum/lapack/gonum"
)

// trdBlock is the number of Householder reflections gathered before the
// trailing matrix is updated with one rank-2*trdBlock product.
const trdBlock = 32

// symEigenvalues returns the eigenvalues, ascending, of the symmetric n x n
// row-major matrix a, of which only the upper triangle is read; a is
// overwritten.
//
// The reduction to tridiagonal form is blocked like LAPACK's dsytrd: half
// of its work is one matrix-vector product per column with the not yet
// updated trailing matrix (memory-bound, split over the cores), the other
// half goes through the packed kernel. The tridiagonal eigenvalues come
// from gonum's Dsterf (Pal-Walker-Kahan QL/QR, no eigenvectors), which is
// cheap next to the reduction.
//
// The matrix-vector half reads d^3/6 values (11 GB at d = 2048) and is
// the largest single cost of FrechetDistance: 0.4-1 s here, depending on
// how busy the machine is, about half the distance step. A two-stage
// reduction (to a band by blocked, compute-bound updates, then bulge
// chasing to tridiagonal) would remove it; that is the change to make if
// bench/fid.sh must go faster, and its bulge-chasing stage (about
// 6*band*d^2 flops of short rotations) must itself be vectorised to win.
func symEigenvalues(a []float64, n int) ([]float64, error) {
	if n == 0 {
		return nil, nil
	}
	d := make([]float64, n)
	e := make([]float64, n-1)
	tridiagonalize(a, n, d, e)
	if !(gonum.Implementation{}).Dsterf(n, d, e) {
		return nil, errors.New("tridiagonal eigenvalue iteration did not converge")
	}
	return d, nil
}

// tridiagonalize reduces a (row-major, n x n, symmetric; only the upper
// triangle is read or written) to the tridiagonal matrix with diagonal d
// and off-diagonal e by orthogonal similarity transforms. a is destroyed.
func tridiagonalize(a []float64, n int, d, e []float64) {
	workers := runtime.GOMAXPROCS(0)
	// vw holds the panel's reflectors v_q (rows 0..nb-1) and the vectors
	// w_q (rows nb..2nb-1) of the rank-2 updates A -= v w^T + w v^T, each
	// indexed like the trailing matrix.
	vw := make([]float64, 2*trdBlock*n)
	wv := make([]float64, 2*trdBlock*n)
	col := make([]float64, n)
	ld := roundUp(n, 24)
	buf := make([]float64, roundUp(n, 8)*ld)
	spare := make([]float64, n)

	for k0 := 0; k0 < n; k0 += trdBlock {
		m := n - k0
		nb := min(trdBlock, m)
		t := a[k0*n+k0:] // trailing matrix, row stride n
		for p := 0; p < nb; p++ {
			c := col[:m-p]
			copy(c, t[p*n+p:p*n+m])
			for q := 0; q < p; q++ {
				vq, wq := vw[q*n:q*n+m], vw[(trdBlock+q)*n:(trdBlock+q)*n+m]
				axpy(-wq[p], vq[p:], c)
				axpy(-vq[p], wq[p:], c)
			}
			d[k0+p] = c[0]
			if p == m-1 {
				break
			}

			tau, beta := householder(c[1:])
			e[k0+p] = beta
			v := vw[p*n : p*n+m]
			w := vw[(trdBlock+p)*n : (trdBlock+p)*n+m]
			clear(v[:p+1])
			clear(w[:p+1])
			v[p+1] = 1
			copy(v[p+2:], c[2:])
			if tau == 0 {
				clear(w[p+1:])
				continue
			}

			// w = tau (T - V W^T - W V^T) v, then w += alpha v.
			vs, ws := v[p+1:], w[p+1:]
			symvUpper(workers, t, n, p+1, m, vs, ws, spare)
			for q := 0; q < p; q++ {
				vq := vw[q*n+p+1 : q*n+m]
				wq := vw[(trdBlock+q)*n+p+1 : (trdBlock+q)*n+m]
				c1, c2 := dot(wq, vs), dot(vq, vs)
				axpy(-c1, vq, ws)
				axpy(-c2, wq, ws)
			}
			for i := range ws {
				ws[i] *= tau
			}
			axpy(-0.5*tau*dot(ws, vs), vs, ws)
		}
		if m <= trdBlock {
			break
		}

		// Trailing update T[nb:, nb:] -= V W^T + W V^T of the upper
		// triangle: out = B^T A with A rows (v_q; w_q), B rows (-w_q; -v_q).
		mt := m - nb
		for q := 0; q < nb; q++ {
			copy(wv[q*n:q*n+m], vw[(trdBlock+q)*n:(trdBlock+q)*n+m])
			copy(wv[(trdBlock+q)*n:(trdBlock+q)*n+m], vw[q*n:q*n+m])
		}
		ldo := roundUp(mt, 24)
		out := buf[:roundUp(mt, 8)*ldo]
		clear(out)
		atb(out, ldo,
			rows64{x: vw[nb:], ld: n, cols: mt},
			rows64{x: wv[nb:], ld: n, cols: mt, neg: true},
			productShape{k: 2 * nb, na: mt, nb: mt, upper: true})
		for j := 0; j < mt; j++ {
			row := t[(nb+j)*n+nb+j : (nb+j)*n+m]
			o := out[j*ldo+j : j*ldo+mt]
			for i := range row {
				row[i] += o[i]
			}
		}
	}
}

// symvUpper sets y = T x for the symmetric block T = t[lo:hi, lo:hi] of
// the row-major t (stride ld), reading only its upper triangle: row i
// gives y[i] its dot product with x and adds x[i] times itself to the
// later entries of y. The rows are split over the workers by area, each
// but the first accumulating into its own part of spare.
func symvUpper(workers int, t []float64, ld, lo, hi int, x, y, spare []float64) {
	rows := hi - lo
	if rows < 512 {
		workers = 1
	}
	workers = min(workers, 2)
	clear(y[:rows])
	// Rows [0, split) hold about half the triangle's area.
	split := rows
	if workers == 2 {
		split = int(float64(rows) * (1 - 1/math.Sqrt2))
	}
	part := func(r0, r1 int, acc []float64, off int) {
		i := r0
		// Four rows at a time: the 4x4 corner of the triangle here, the
		// rest of the rows in one pass that loads and stores y once.
		for ; i+4 <= r1; i += 4 {
			var xs [4]float64
			copy(xs[:], x[i:i+4])
			var rowsOf [4][]float64
			for r := range 4 {
				row := t[(lo+i+r)*ld+lo+i : (lo+i)*ld+ld*r+hi]
				for c := r; c < 4; c++ {
					v := row[c]
					acc[i+r-off] += v * x[i+c]
					if c != r {
						acc[i+c-off] += v * xs[r]
					}
				}
				rowsOf[r] = row[4:]
			}
			dots := symv4(&rowsOf, x[i+4:rows], acc[i+4-off:rows-off], &xs)
			for r := range 4 {
				acc[i+r-off] += dots[r]
			}
		}
		for ; i < r1; i++ {
			row := t[(lo+i)*ld+lo+i : (lo+i)*ld+hi]
			xi := x[i]
			acc[i-off] += row[0]*xi + dotAxpy(row[1:], x[i+1:rows], acc[i-off+1:rows-off], xi)
		}
	}
	if workers == 1 {
		part(0, rows, y, 0)
		return
	}
	acc := spare[:rows-split]
	clear(acc)
	done := make(chan struct{})
	go func() {
		part(split, rows, acc, split)
		close(done)
	}()
	part(0, split, y, 0)
	<-done
	for i, v := range acc {
		y[split+i] += v
	}
}

// householder computes the reflector H = I - tau u u^T, u = (1, x'), that
// maps (alpha, x) = (c[0], c[1:]) to (beta, 0), as LAPACK's dlarfg does. It
// overwrites c[1:] with x' and returns tau and beta.
func householder(c []float64) (tau, beta float64) {
	alpha := c[0]
	x := c[1:]
	var scale, ssq float64 = 0, 1
	for _, v := range x {
		if v == 0 {
			continue
		}
		av := math.Abs(v)
		if scale < av {
			ssq = 1 + ssq*(scale/av)*(scale/av)
			scale = av
		} else {
			ssq += (av / scale) * (av / scale)
		}
	}
	if scale == 0 {
		return 0, alpha
	}
	xnorm := scale * math.Sqrt(ssq)
	beta = -math.Copysign(math.Hypot(alpha, xnorm), alpha)
	tau = (beta - alpha) / beta
	s := 1 / (alpha - beta)
	for i := range x {
		x[i] *= s
	}
	return tau, beta
}
