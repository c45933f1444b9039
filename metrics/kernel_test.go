package metrics

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The assembly kernels are checked against their portable forms on every
// length class they treat differently: empty, shorter than one vector
// block, exact multiples, and multiples plus every possible tail. Each
// test runs the public wrapper once with the kernels on and once off (on
// a CPU without AVX-512 both runs take the Go path and the test still
// checks the wrappers against the plain definitions).

// kernelLengths covers 0..70 and a few long lengths with ragged tails.
func kernelLengths() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 1000, 2047, 2048)
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// closeTo compares a reduction computed in a different order: the error
// bound of a length-n dot product is about n*eps*sum|x_i y_i|.
func closeTo(got, want, scale float64, n int) bool {
	return math.Abs(got-want) <= 4*float64(n+1)*eps*scale
}

func TestDotKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, avx := range []bool{false, true} {
		for _, n := range kernelLengths() {
			x, y := randVec(rng, n), randVec(rng, n)
			var want, scale float64
			for i := range x {
				want += x[i] * y[i]
				scale += math.Abs(x[i] * y[i])
			}
			var got float64
			withKernel(avx, func() { got = dot(x, y) })
			if !closeTo(got, want, scale, n) {
				t.Errorf("avx=%v: dot(n=%d) = %.17g, want %.17g", avx, n, got, want)
			}
		}
	}
}

func TestAxpyKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, avx := range []bool{false, true} {
		for _, n := range kernelLengths() {
			alpha := rng.NormFloat64()
			a, x, y := randVec(rng, n), randVec(rng, n), randVec(rng, n)
			// A guard value past the end catches writes beyond n.
			yy := append(append([]float64(nil), y...), 42)
			withKernel(avx, func() { axpy(alpha, a, yy[:n]) })
			for i := range y {
				if want := y[i] + alpha*a[i]; math.Abs(
					yy[i]-want,
				) > 2*eps*(math.Abs(y[i])+math.Abs(alpha*a[i])) {
					t.Fatalf("avx=%v: axpy(n=%d) y[%d] = %g, want %g", avx, n, i, yy[i], want)
				}
			}
			if yy[n] != 42 {
				t.Fatalf("avx=%v: axpy(n=%d) wrote past the end", avx, n)
			}

			yy = append(append(yy[:0], y...), 42)
			var got float64
			withKernel(avx, func() { got = dotAxpy(a, x, yy[:n], alpha) })
			var want, scale float64
			for i := range a {
				want += a[i] * x[i]
				scale += math.Abs(a[i] * x[i])
				if w := y[i] + alpha*a[i]; math.Abs(yy[i]-w) > 2*eps*(math.Abs(y[i])+math.Abs(alpha*a[i])) {
					t.Fatalf("avx=%v: dotAxpy(n=%d) y[%d] = %g, want %g", avx, n, i, yy[i], w)
				}
			}
			if !closeTo(got, want, scale, n) {
				t.Errorf("avx=%v: dotAxpy(n=%d) = %.17g, want %.17g", avx, n, got, want)
			}
			if yy[n] != 42 {
				t.Fatalf("avx=%v: dotAxpy(n=%d) wrote past the end", avx, n)
			}
		}
	}
}

// TestFrechetDistanceKernelsAgree runs the whole distance, covariance
// included, with the kernels on and off on a case large enough to use
// every blocking path (several kc slabs, the two-worker symv, tails).
func TestFrechetDistanceKernelsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("slow on the portable path")
	}
	dir := filepath.Join("testdata", "fid")
	for _, c := range loadFIDCases(t, filepath.Join(dir, "fid_reference.json")) {
		if c.Name != "g256_n600" {
			continue
		}
		var vals [2]float64
		for i, avx := range []bool{false, true} {
			withKernel(avx, func() {
				a, b := caseStats(t, dir, c)
				got, err := FrechetDistance(a, b, FDOptions{})
				if err != nil {
					t.Fatal(err)
				}
				vals[i] = got.Value
			})
		}
		T := c.Components.Trace1 + c.Components.Trace2
		if math.Abs(vals[0]-vals[1]) > 1e-10*T {
			t.Errorf("FrechetDistance portable = %.15g, assembly = %.15g", vals[0], vals[1])
		}
	}

	// 1300 x 600 random sets: past the 512 rows where symvUpper splits
	// the tridiagonal reduction over two workers, with ragged blocks.
	const n, d = 1300, 600
	x, y := randFeatures(n, d, 11), randFeatures(n, d, 12)
	for i := range y {
		y[i] = 1.2*y[i] + 0.1*x[i] + 0.01
	}
	var vals [2]Distance
	for i, avx := range []bool{false, true} {
		withKernel(avx, func() { vals[i] = distanceOf(t, x, y, n, d) })
	}
	T := vals[0].Trace1 + vals[0].Trace2
	if math.Abs(vals[0].Value-vals[1].Value) > 1e-10*T {
		t.Errorf(
			"FrechetDistance(%dx%d) portable = %.15g, assembly = %.15g",
			n,
			d,
			vals[0].Value,
			vals[1].Value,
		)
	}

	// And both against SPEC-numeric.md A.1's symmetric formulation
	// computed with gonum: R = sqrt(S1), eigenvalues of R S2 R.
	a, _ := ComputeStats(x, n, d)
	b, _ := ComputeStats(y, n, d)
	want := vals[1].MeanTerm + vals[1].Trace1 + vals[1].Trace2 - 2*gonumTraceSqrt(t, a.Cov, b.Cov)
	if diff := math.Abs(vals[1].Value - want); diff > 1e-9*T {
		t.Errorf("FrechetDistance(%dx%d) = %.15g, gonum symmetric route %.15g (|diff| %.3g > %.3g)",
			n, d, vals[1].Value, want, diff, 1e-9*T)
	}
}

// gonumTraceSqrt is tr sqrtm(S1 S2) the slow, obvious way.
func gonumTraceSqrt(t *testing.T, s1, s2 *mat.SymDense) float64 {
	t.Helper()
	var e mat.EigenSym
	if !e.Factorize(s1, true) {
		t.Fatal("eigen decomposition of S1 did not converge")
	}
	var v mat.Dense
	e.VectorsTo(&v)
	w := e.Values(nil)
	d := len(w)
	vs := mat.DenseCopyOf(&v)
	for j := range d {
		f := math.Sqrt(math.Max(w[j], 0))
		for i := range d {
			vs.Set(i, j, vs.At(i, j)*f)
		}
	}
	var r, m, rm mat.Dense
	r.Mul(vs, v.T())
	rm.Mul(&r, s2)
	m.Mul(&rm, &r)
	sym := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	if !e.Factorize(sym, false) {
		t.Fatal("eigen decomposition of R S2 R did not converge")
	}
	var sum float64
	for _, l := range e.Values(nil) {
		sum += math.Sqrt(math.Max(l, 0))
	}
	return sum
}

// TestCenteredPackKernel packs float32 rows with the conversion kernel on
// and off, for widths with and without a ragged last panel and for panels
// starting inside the row.
func TestCenteredPackKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{1, 7, 8, 9, 29, 64, 70} {
		const n = 5
		x := make([]float32, n*d)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		mean := randVec(rng, d)
		src := centered[float32]{x: x, d: d, mean: mean}
		// Panels may start past the last column: atb packs whole blocks of
		// 24 columns, zeros beyond d.
		for _, c0 := range []int{0, 8, 24} {
			np := max(1, roundUp(d-c0, 8)/8)
			var got [2][]float64
			for i, avx := range []bool{false, true} {
				got[i] = make([]float64, np*(n-1)*8)
				withKernel(avx, func() { src.pack(got[i], 1, n, c0, np) })
			}
			for k := range got[0] {
				q, r, c := k/((n-1)*8), k/8%(n-1)+1, c0+8*(k/((n-1)*8))+k%8
				want := 0.0
				if c < d {
					want = float64(x[r*d+c]) - mean[c]
				}
				if got[0][k] != want || got[1][k] != want {
					t.Fatalf("d=%d c0=%d panel %d row %d col %d: portable %g, assembly %g, want %g",
						d, c0, q, r, c, got[0][k], got[1][k], want)
				}
			}
		}
	}
}

// TestReflRowsKernel applies a reflector to rows of every length class
// with the kernel on and off.
func TestReflRowsKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range kernelLengths() {
		const rows, ld = 3, 2100
		a := randVec(rng, rows*ld)
		v := randVec(rng, n)
		var got [2][]float64
		for i, avx := range []bool{false, true} {
			got[i] = append([]float64(nil), a...)
			withKernel(avx, func() { reflRows(rows, got[i], ld, v, -0.7) })
		}
		for r := range rows {
			row := a[r*ld : r*ld+n]
			s := -0.7 * dotGo(row, v)
			var scale float64
			for j := range v {
				scale += math.Abs(row[j] * v[j])
			}
			for j := 0; j < ld; j++ {
				for k, avx := range []bool{false, true} {
					g := got[k][r*ld+j]
					if j >= n {
						if g != a[r*ld+j] {
							t.Fatalf("n=%d avx=%v: row %d value %d past the vector changed", n, avx, r, j)
						}
						continue
					}
					want := a[r*ld+j] + s*v[j]
					if !closeTo(g, want, math.Abs(a[r*ld+j])+0.7*scale*math.Abs(v[j]), n) {
						t.Fatalf("n=%d avx=%v: row %d value %d = %g, want %g", n, avx, r, j, g, want)
					}
				}
			}
		}
	}
}

// TestChaseKernels checks the block kernels of the bulge chasing against
// their plain definitions, kernels on and off, for block sizes across
// every tail length: reflCols on rows x n blocks, and symvLower and
// syr2Lower on nv x nv lower triangles, with the values around each block
// checked untouched.
func TestChaseKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const ld = 80
	for _, avx := range []bool{false, true} {
		for nv := 0; nv <= 40; nv++ {
			a := randVec(rng, (nv+1)*ld)
			v, w := randVec(rng, nv), randVec(rng, nv)
			at := func(m []float64, i, j int) float64 { return m[i*ld+j] }

			// symvLower: y += D v with D symmetric from its lower triangle.
			y := randVec(rng, nv)
			want := append([]float64(nil), y...)
			for i := range nv {
				for j := range nv {
					want[i] += at(a, max(i, j), min(i, j)) * v[j]
				}
			}
			withKernel(avx, func() { symvLower(a, ld, v, y) })
			for i := range nv {
				if !closeTo(y[i], want[i], math.Abs(want[i])+float64(nv)*4, nv) {
					t.Fatalf("avx=%v nv=%d: symvLower y[%d] = %g, want %g", avx, nv, i, y[i], want[i])
				}
			}

			// syr2Lower: only the lower triangle moves.
			got := append([]float64(nil), a...)
			withKernel(avx, func() { syr2Lower(got, ld, v, w) })
			for i := range nv + 1 {
				for j := range ld {
					want := at(a, i, j)
					if i < nv && j <= i {
						want -= v[i]*w[j] + w[i]*v[j]
					}
					if !closeTo(at(got, i, j), want, math.Abs(want)+4, 2) {
						t.Fatalf("avx=%v nv=%d: syr2Lower a[%d][%d] = %g, want %g",
							avx, nv, i, j, at(got, i, j), want)
					}
				}
			}

			// reflCols on nv rows of n values.
			for _, n := range []int{0, 1, 7, 8, 9, 31, 33} {
				got := append([]float64(nil), a...)
				acc := make([]float64, n)
				withKernel(avx, func() { reflCols(nv, got, ld, v, n, -0.8, acc) })
				for j := range n {
					var s float64
					for i := range nv {
						s += v[i] * at(a, i, j)
					}
					for i := range nv {
						want := at(a, i, j) - 0.8*v[i]*s
						if !closeTo(at(got, i, j), want, math.Abs(want)+float64(nv)*4, nv) {
							t.Fatalf("avx=%v rows=%d n=%d: reflCols a[%d][%d] = %g, want %g",
								avx, nv, n, i, j, at(got, i, j), want)
						}
					}
				}
				for i := range nv + 1 {
					for j := n; j < ld; j++ {
						if at(got, i, j) != at(a, i, j) {
							t.Fatalf("avx=%v rows=%d n=%d: reflCols changed a[%d][%d] past the block",
								avx, nv, n, i, j)
						}
					}
				}
			}
		}
	}
}

// TestColumnSumsKernel checks the float32 column sums with the kernel on
// and off against the plain loop, bit for bit (each sum adds the same
// values in the same order), for widths with every tail length.
func TestColumnSumsKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, d := range []int{1, 7, 8, 9, 29, 70} {
		const n = 2*meanChunk + 3
		x := make([]float32, n*d)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		want := make([]float64, d)
		for c := 0; c*meanChunk < n; c++ {
			part := make([]float64, d)
			for i := c * meanChunk; i < min(n, (c+1)*meanChunk); i++ {
				for j := range d {
					part[j] += float64(x[i*d+j])
				}
			}
			for j := range d {
				if c == 0 {
					want[j] = part[j]
				} else {
					want[j] += part[j]
				}
			}
		}
		for _, avx := range []bool{false, true} {
			var got []float64
			withKernel(avx, func() { got = columnSums(x, n, d) })
			for j := range d {
				if got[j] != want[j] {
					t.Fatalf("d=%d avx=%v: sum %d = %v, want %v", d, avx, j, got[j], want[j])
				}
			}
		}
	}
}
