//go:build !purego

package metrics

import "golang.org/x/sys/cpu"

// useAVX512 selects the assembly kernels. AVX-512F is enough for every
// instruction they use; cpu.X86.HasAVX512F also checks that the operating
// system saves the ZMM state.
var useAVX512 = cpu.X86.HasAVX512F

//go:noescape
func kern24x8AVX512(kc int, a *float64, ps, rs int, b *float64, c *float64, ldc int)

//go:noescape
func kern24x8pfAVX512(kc int, a *float64, ps, rs int, b *float64, c *float64, ldc int)

//go:noescape
func dotAVX512(n int, x, y *float64) float64

//go:noescape
func centerRow32AVX512(np int, src *float32, mean *float64, dst *float64, dstStride int)

//go:noescape
func reflRowsAVX512(rows int, a *float64, ld int, v *float64, n int, alpha float64)

//go:noescape
func axpyAVX512(n int, alpha float64, x, y *float64)

//go:noescape
func dotAxpyAVX512(n int, a, x, y *float64, alpha float64) float64

// kern24x8 adds to the 8x24 block of c (row stride ldc) the product of
// 24 columns of A and the 8 columns of one packed B panel over kc rows:
// c[j*ldc+i] += sum_r b[r*8+j] * A(r, i), where A(r, i) is
// a[(i/8)*ps + r*rs + i%8]. Packed A panels have ps = kc*8 and rs = 8; a
// row-major matrix read in place has ps = 8 and rs = its row stride.
func kern24x8(kc int, a []float64, ps, rs int, b []float64, c []float64, ldc int) {
	if useAVX512 {
		if kc > 0 {
			_ = a[2*ps+(kc-1)*rs+7]
		}
		_ = b[kc*8-1]
		_ = c[7*ldc+23]
		if rs == 8 {
			kern24x8AVX512(kc, &a[0], ps, rs, &b[0], &c[0], ldc)
		} else {
			kern24x8pfAVX512(kc, &a[0], ps, rs, &b[0], &c[0], ldc)
		}
		return
	}
	kern24x8Go(kc, a, ps, rs, b, c, ldc)
}

// dot returns the inner product of x and y (equal lengths).
func dot(x, y []float64) float64 {
	n := len(x)
	if !useAVX512 || n == 0 {
		return dotGo(x, y)
	}
	return dotAVX512(n, &x[0], &y[:n][0])
}

// dotAxpy returns a . x and adds alpha*a to y (all the same length).
func dotAxpy(a, x, y []float64, alpha float64) float64 {
	n := len(a)
	if !useAVX512 || n == 0 {
		return dotAxpyGo(a, x, y, alpha)
	}
	_, _ = x[n-1], y[n-1]
	return dotAxpyAVX512(n, &a[0], &x[0], &y[0], alpha)
}

// axpy adds alpha*x to y (equal lengths).
func axpy(alpha float64, x, y []float64) {
	n := len(x)
	if !useAVX512 || n == 0 {
		axpyGo(alpha, x, y)
		return
	}
	_ = y[n-1]
	axpyAVX512(n, alpha, &x[0], &y[0])
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

// reflRows adds alpha*(r.v)*v to each of rows rows r = a[i*ld : i*ld+len(v)]:
// a reflector applied from the right when alpha = -tau.
func reflRows(rows int, a []float64, ld int, v []float64, alpha float64) {
	n := len(v)
	if !useAVX512 {
		reflRowsGo(rows, a, ld, v, alpha)
		return
	}
	if rows == 0 || n == 0 {
		return
	}
	_ = a[(rows-1)*ld+n-1]
	reflRowsAVX512(rows, &a[0], ld, &v[0], n, alpha)
}
