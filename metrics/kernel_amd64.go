//go:build !purego

package metrics

import "golang.org/x/sys/cpu"

// useAVX512 selects the assembly kernels. AVX-512F is enough for every
// instruction they use; cpu.X86.HasAVX512F also checks that the operating
// system saves the ZMM state.
var useAVX512 = cpu.X86.HasAVX512F

//go:noescape
func kern24x8AVX512(kc int, a *float64, lda int, b *float64, c *float64, ldc int)

//go:noescape
func dotAVX512(n int, x, y *float64) float64

//go:noescape
func symv4AVX512(n int, a0, a1, a2, a3, x, y, xs, dots *float64)

//go:noescape
func centerRow32AVX512(np int, src *float32, mean *float64, dst *float64, dstStride int)

//go:noescape
func axpyAVX512(n int, alpha float64, x, y *float64)

//go:noescape
func dotAxpyAVX512(n int, a, x, y *float64, alpha float64) float64

// kern24x8 adds to the 8x24 block of c (row stride ldc) the product of
// three packed A panels (24 columns, panel stride lda) and one packed B
// panel (8 columns), both kc rows long: c[j*ldc+i] += sum_r b[r][j]*a[r][i].
func kern24x8(kc int, a []float64, lda int, b []float64, c []float64, ldc int) {
	if useAVX512 {
		_ = a[2*lda+kc*8-1]
		_ = b[kc*8-1]
		_ = c[7*ldc+23]
		kern24x8AVX512(kc, &a[0], lda, &b[0], &c[0], ldc)
		return
	}
	kern24x8Go(kc, a, lda, b, c, ldc)
}

// dot returns the inner product of x and y (equal lengths).
func dot(x, y []float64) float64 {
	n := len(x)
	if !useAVX512 || n < 32 {
		return dotGo(x, y)
	}
	m := n &^ 31
	s := dotAVX512(m, &x[0], &y[:m][0])
	if m < n {
		s += dotGo(x[m:], y[m:n])
	}
	return s
}

// dotAxpy returns a . x and adds alpha*a to y (all the same length).
func dotAxpy(a, x, y []float64, alpha float64) float64 {
	n := len(a)
	if !useAVX512 || n < 16 {
		return dotAxpyGo(a, x, y, alpha)
	}
	m := n &^ 15
	_, _ = x[n-1], y[n-1]
	s := dotAxpyAVX512(m, &a[0], &x[0], &y[0], alpha)
	if m < n {
		s += dotAxpyGo(a[m:], x[m:n], y[m:n], alpha)
	}
	return s
}

// axpy adds alpha*x to y (equal lengths).
func axpy(alpha float64, x, y []float64) {
	n := len(x)
	if !useAVX512 || n < 16 {
		axpyGo(alpha, x, y)
		return
	}
	m := n &^ 15
	_ = y[n-1]
	axpyAVX512(m, alpha, &x[0], &y[0])
	if m < n {
		axpyGo(alpha, x[m:], y[m:n])
	}
}

// symv4 handles four rows of a symmetric product at once: with rows
// a[0..3] (equal lengths n, the length of x and y), it returns
// dots[r] = a[r] . x and adds sum_r xs[r]*a[r] to y.
func symv4(a *[4][]float64, x, y []float64, xs *[4]float64) (dots [4]float64) {
	n := len(x)
	m := 0
	if useAVX512 {
		m = n &^ 7
	}
	if m > 0 {
		_, _, _, _, _ = a[0][n-1], a[1][n-1], a[2][n-1], a[3][n-1], y[n-1]
		symv4AVX512(m, &a[0][0], &a[1][0], &a[2][0], &a[3][0], &x[0], &y[0], &xs[0], &dots[0])
	}
	if m < n {
		tail := symv4Go(&[4][]float64{a[0][m:n], a[1][m:n], a[2][m:n], a[3][m:n]}, x[m:n], y[m:n], xs)
		for r := range dots {
			dots[r] += tail[r]
		}
	}
	return dots
}

// centerRow32 writes np groups of 8 values of a float32 row, minus their
// means, as float64 to dst[q*stride : q*stride+8]: one row of np packed
// panels. It reports false, doing nothing, where there is no assembly.
func centerRow32(np int, src []float32, mean, dst []float64, stride int) bool {
	if !useAVX512 || np == 0 {
		return false
	}
	_, _ = src[8*np-1], mean[8*np-1]
	_ = dst[(np-1)*stride+7]
	centerRow32AVX512(np, &src[0], &mean[0], &dst[0], stride)
	return true
}
