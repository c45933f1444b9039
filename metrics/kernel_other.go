//go:build !amd64 || purego

package metrics

// Only amd64 with AVX-512 has assembly kernels; elsewhere the portable Go
// loops below run, roughly ten times slower on large feature sets.
const useAVX512 = false

func kern24x8(kc int, a []float64, ps, rs int, b []float64, c []float64, ldc int) {
	kern24x8Go(kc, a, ps, rs, b, c, ldc)
}

func dot(x, y []float64) float64 { return dotGo(x, y) }

func dotAxpy(a, x, y []float64, alpha float64) float64 { return dotAxpyGo(a, x, y, alpha) }

func axpy(alpha float64, x, y []float64) { axpyGo(alpha, x, y) }

func centerRow32(np int, src []float32, mean, dst []float64, stride int) bool { return false }

func reflRows(rows int, a []float64, ld int, v []float64, alpha float64) {
	reflRowsGo(rows, a, ld, v, alpha)
}

func reflCols(rows int, a []float64, ld int, v []float64, n int, alpha float64, acc []float64) {
	reflColsGo(rows, a, ld, v, n, alpha, acc)
}

func symvLower(a []float64, ld int, v, y []float64) { symvLowerGo(a, ld, v, y) }

func syr2Lower(a []float64, ld int, v, w []float64) { syr2LowerGo(a, ld, v, w) }

func prefetchBlock(rows int, a []float64, ld int, cols int) {}

func addRow32(x []float32, sum []float64) bool { return false }
