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
func reflColsAVX512(rows int, a *float64, ld int, v *float64, n int, alpha float64, acc *float64)

//go:noescape
func symvLowerAVX512(nv int, a *float64, ld int, v, y *float64)

//go:noescape
func syr2LowerAVX512(nv int, a *float64, ld int, v, w *float64)

//go:noescape
func prefetchBlockAVX512(rows int, a *float64, ld int, cols int)

//go:noescape
func addRow32AVX512(n int, x *float32, sum *float64)

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

// reflCols applies a reflector from the left to n columns of rows rows
// r_i = a[i*ld : i*ld+n]: acc = sum_i v[i] r_i, then r_i += alpha*v[i]*acc
// (alpha = -tau). acc is scratch of at least n values.
func reflCols(rows int, a []float64, ld int, v []float64, n int, alpha float64, acc []float64) {
	if !useAVX512 || rows == 0 || n == 0 {
		reflColsGo(rows, a, ld, v, n, alpha, acc)
		return
	}
	_, _, _ = a[(rows-1)*ld+n-1], v[rows-1], acc[n-1]
	reflColsAVX512(rows, &a[0], ld, &v[0], n, alpha, &acc[0])
}

// symvLower adds D v to y for the symmetric block D of len(v) rows whose
// lower triangle is a[i*ld : i*ld+i+1], row by row.
func symvLower(a []float64, ld int, v, y []float64) {
	nv := len(v)
	if !useAVX512 || nv == 0 {
		symvLowerGo(a, ld, v, y)
		return
	}
	_, _ = a[(nv-1)*ld+nv-1], y[nv-1]
	symvLowerAVX512(nv, &a[0], ld, &v[0], &y[0])
}

// syr2Lower subtracts v w^T + w v^T from the lower triangle of the block
// of symvLower.
func syr2Lower(a []float64, ld int, v, w []float64) {
	nv := len(v)
	if !useAVX512 || nv == 0 {
		syr2LowerGo(a, ld, v, w)
		return
	}
	_, _ = a[(nv-1)*ld+nv-1], w[nv-1]
	syr2LowerAVX512(nv, &a[0], ld, &v[0], &w[0])
}

// prefetchBlock asks for the cache lines of rows rows of cols values at
// a[i*ld:], which a later step will read. It reads nothing itself, so the
// block may reach past the end of a.
func prefetchBlock(rows int, a []float64, ld int, cols int) {
	if useAVX512 && len(a) > 0 {
		prefetchBlockAVX512(rows, &a[0], ld, cols)
	}
}

// addRow32 adds the float32 row x to the float64 sums (equal lengths). It
// reports false, doing nothing, where there is no assembly.
func addRow32(x []float32, sum []float64) bool {
	if !useAVX512 || len(x) == 0 {
		return false
	}
	_ = sum[len(x)-1]
	addRow32AVX512(len(x), &x[0], &sum[0])
	return true
}
