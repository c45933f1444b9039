package metrics

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/lapack/gonum"
)

// symEigenvalues returns the eigenvalues, ascending, of the symmetric
// matrix s, which it destroys: a two-stage reduction to tridiagonal form
// (band.go), then gonum's Dsterf (Pal-Walker-Kahan QL/QR, no
// eigenvectors), about a sixth of the reduction's time at n = 2048.
func symEigenvalues(s symMatrix) ([]float64, error) {
	n := s.n
	if n == 0 {
		return nil, nil
	}
	d := make([]float64, n)
	e := make([]float64, n-1)
	reduceToBand(s, bandWidth)
	bandToTridiagonal(s, bandWidth, d, e)
	// Dsterf rescales a matrix whose norm is far from 1 itself, through a
	// call that panics in gonum 0.17 (Dlascl with too short a slice); an
	// exact power-of-two scaling here keeps it off that path.
	var norm float64
	for i, v := range d {
		norm = math.Max(norm, math.Abs(v))
		if i < n-1 {
			norm = math.Max(norm, math.Abs(e[i]))
		}
	}
	k := evenExponent(norm)
	for i := range d {
		d[i] = math.Ldexp(d[i], -k)
		if i < n-1 {
			e[i] = math.Ldexp(e[i], -k)
		}
	}
	if !(gonum.Implementation{}).Dsterf(n, d, e) {
		return nil, errors.New("tridiagonal eigenvalue iteration did not converge")
	}
	for i := range d {
		d[i] = math.Ldexp(d[i], k)
	}
	return d, nil
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
