package metrics

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocking of the packed product. A slab of kcBlock source rows is packed
// once; a unit of work keeps mcBlock packed A columns hot in the core's L2
// (24 KiB per 24 columns at kc=256, so 480 columns fill about 1 MiB of the
// 2 MiB L2 measured here) and walks ncBlock B columns, one 16 KiB B panel
// at a time in L1. Units are small so two cores finish a slab together.
const (
	kcBlock = 256
	mcBlock = 480
	ncBlock = 128
)

// packer writes a block of a virtual row-major matrix X (the reduction
// index r runs over rows) in the panel layout the micro-kernel reads:
// np panels of 8 columns starting at column c0, each (r1-r0)*8 values,
// row after row. Columns past the matrix's width are written as zeros.
type packer interface {
	pack(dst []float64, r0, r1, c0, np int)
}

// centered is a row-major n x d matrix with its column means removed,
// converted to float64 while packing: the second pass of the two-pass
// covariance.
type centered[T float32 | float64] struct {
	x    []T
	d    int
	mean []float64
}

func (s centered[T]) pack(dst []float64, r0, r1, c0, np int) {
	kc := r1 - r0
	x32, is32 := any(s.x).([]float32)
	full := max(0, min(np, (s.d-c0)/8)) // panels with no column past d
	for r := r0; r < r1; r++ {
		row := s.x[r*s.d : (r+1)*s.d]
		q := 0
		if is32 && full > 0 &&
			centerRow32(full, x32[r*s.d+c0:(r+1)*s.d], s.mean[c0:], dst[(r-r0)*8:], kc*8) {
			q = full
		}
		for ; q < np; q++ {
			out := dst[q*kc*8+(r-r0)*8 : q*kc*8+(r-r0)*8+8]
			c := c0 + 8*q
			if c+8 <= s.d {
				src := row[c : c+8]
				mu := s.mean[c : c+8]
				for i := range out {
					out[i] = float64(src[i]) - mu[i]
				}
				continue
			}
			for i := range out {
				out[i] = 0
				if c+i < s.d {
					out[i] = float64(row[c+i]) - s.mean[c+i]
				}
			}
		}
	}
}

// rows64 is a row-major float64 matrix with cols columns and row stride ld,
// optionally negated while packing.
type rows64 struct {
	x    []float64
	ld   int
	cols int
	neg  bool
}

func (s rows64) pack(dst []float64, r0, r1, c0, np int) {
	kc := r1 - r0
	sign := 1.0
	if s.neg {
		sign = -1
	}
	for r := r0; r < r1; r++ {
		row := s.x[r*s.ld : r*s.ld+s.cols]
		for q := 0; q < np; q++ {
			out := dst[q*kc*8+(r-r0)*8 : q*kc*8+(r-r0)*8+8]
			for i := range out {
				c := c0 + 8*q + i
				out[i] = 0
				if c < s.cols {
					out[i] = sign * row[c]
				}
			}
		}
	}
}

// cols64 is the transpose of a row-major float64 block: X(r, c) is
// x[c*ld + r] for c < cols.
type cols64 struct {
	x    []float64
	ld   int
	cols int
}

func (s cols64) pack(dst []float64, r0, r1, c0, np int) {
	kc := r1 - r0
	for q := 0; q < np; q++ {
		panel := dst[q*kc*8 : (q+1)*kc*8]
		for i := 0; i < 8; i++ {
			c := c0 + 8*q + i
			if c >= s.cols {
				for r := 0; r < kc; r++ {
					panel[r*8+i] = 0
				}
				continue
			}
			col := s.x[c*s.ld+r0 : c*s.ld+r1]
			for r, v := range col {
				panel[r*8+i] = v
			}
		}
	}
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// productShape describes one call of atb.
type productShape struct {
	k      int  // rows of both sources (the reduction length)
	na, nb int  // columns of A and of B
	same   bool // A and B are the same source, packed once
	upper  bool // compute only the tiles touching i >= j (out's upper triangle)
	tri    bool // both sources are lower triangular: X(r, c) = 0 for c > r
}

// atb adds to out the product B^T A of two virtual row-major matrices with
// sh.k rows: out[j*ldo+i] += sum_r B(r, j) A(r, i). out must hold
// roundUp(nb, 8) rows of ldo >= roundUp(na, 24) values; the padding rows
// and columns receive zeros from the packers. With sh.upper only the tiles
// that touch the triangle i >= j are written (row j, columns i >= j:
// the upper triangle of out), for symmetric products.
func atb(out []float64, ldo int, a, b packer, sh productShape) {
	npa := roundUp(sh.na, 24)
	npb := roundUp(sh.nb, 8)
	workers := runtime.GOMAXPROCS(0)
	kcMax := min(kcBlock, sh.k)
	bufA := getBuf(kcMax * npa)
	defer putBuf(bufA)
	bufB := bufA
	if !sh.same {
		bufB = getBuf(kcMax * npb)
		defer putBuf(bufB)
	}

	type unit struct{ ic, jc int }
	var units []unit
	for r0 := 0; r0 < sh.k; r0 += kcBlock {
		r1 := min(r0+kcBlock, sh.k)
		kc := r1 - r0
		colsA, colsB := npa, npb
		if sh.tri {
			colsA = min(npa, roundUp(r1, 24))
			colsB = min(npb, roundUp(r1, 8))
		}

		parallelPanels(workers, colsA/8, func(q0, q1 int) {
			a.pack(bufA[q0*kc*8:], r0, r1, q0*8, q1-q0)
		})
		if !sh.same {
			parallelPanels(workers, colsB/8, func(q0, q1 int) {
				b.pack(bufB[q0*kc*8:], r0, r1, q0*8, q1-q0)
			})
		}

		units = units[:0]
		for ic := 0; ic < colsA; ic += mcBlock {
			for jc := 0; jc < colsB; jc += ncBlock {
				if sh.upper && jc >= ic+mcBlock {
					break
				}
				units = append(units, unit{ic, jc})
			}
		}
		var next atomic.Int64
		run := func() {
			for {
				u := int(next.Add(1)) - 1
				if u >= len(units) {
					return
				}
				ic, jc := units[u].ic, units[u].jc
				iEnd := min(ic+mcBlock, colsA)
				for jp := jc; jp < min(jc+ncBlock, colsB); jp += 8 {
					bp := bufB[jp/8*kc*8:]
					for ip := ic; ip < iEnd; ip += 24 {
						if sh.upper && ip+24 <= jp {
							continue
						}
						kern24x8(kc, bufA[ip/8*kc*8:], kc*8, 8, bp, out[jp*ldo+ip:], ldo)
					}
				}
			}
		}
		parallel(workers, run)
	}
}

// parallelPanels splits np panels into contiguous ranges, one per worker.
func parallelPanels(workers, np int, f func(q0, q1 int)) {
	if np == 0 {
		return
	}
	if workers > np {
		workers = np
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		q0, q1 := np*w/workers, np*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(q0, q1)
		}()
	}
	wg.Wait()
}

// parallel runs f on the given number of goroutines and waits for all.
func parallel(workers int, f func()) { parallelIndexed(workers, func(int) { f() }) }

// parallelIndexed runs f(0), ..., f(workers-1) on their own goroutines and
// waits for all.
func parallelIndexed(workers int, f func(w int)) {
	if workers <= 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
		}()
	}
	wg.Wait()
}

// packPool keeps packing buffers between calls of atb. The blocked
// factorizations call it once per panel, and fresh buffers each time
// would mean fresh pages, whose first touch costs about 1.25 us per
// 4 KiB here: more than the packing itself.
var packPool sync.Pool // of *[]float64

// getBuf returns n float64s of unspecified content.
func getBuf(n int) []float64 {
	if p, ok := packPool.Get().(*[]float64); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return prefaulted(n)
}

// prefaulted returns n zero float64s whose pages are already mapped. A
// large make hands out fresh pages, and the first write to each one is a
// page fault; taken by several cores at once inside the kernels, those
// faults serialise in the kernel and cost several times more than here,
// where one core clears the slice first (a 34 MB matrix: 12 ms here,
// about 90 ms of a parallel product's time otherwise).
func prefaulted(n int) []float64 {
	b := make([]float64, n)
	clear(b)
	return b
}

// putBuf hands a buffer from getBuf back for reuse.
func putBuf(b []float64) { packPool.Put(&b) }
