package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randSym returns a random symmetric n x n matrix in both forms the tests
// need: a symMatrix and a gonum SymDense.
func randSym(rng *rand.Rand, n int) (symMatrix, *mat.SymDense) {
	s := newSymMatrix(n, nil)
	g := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := rng.NormFloat64()
			s.a[i*s.ld+j], s.a[j*s.ld+i] = v, v
			g.SetSym(i, j, v)
		}
	}
	return s, g
}

// TestTwoStageEigenvalues checks the band reduction and the bulge chasing
// against gonum's dense symmetric eigensolver, for sizes around every
// edge of the panels and sweeps and for several bandwidths, with the
// assembly kernels on and off.
func TestTwoStageEigenvalues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, avx := range []bool{false, true} {
		for _, b := range []int{1, 2, 3, 5, 8, 13, 32} {
			for _, n := range []int{1, 2, 3, 4, 5, 7, 9, 16, 31, 33, 34, 40, 64, 65, 97, 130} {
				t.Run(fmt.Sprintf("avx=%v/b=%d/n=%d", avx, b, n), func(t *testing.T) {
					s, g := randSym(rng, n)
					var e mat.EigenSym
					if !e.Factorize(g, false) {
						t.Fatal("gonum did not converge")
					}
					want := e.Values(nil)
					var got []float64
					withKernel(avx, func() { got = twoStage(t, s, b) })
					var norm float64
					for _, w := range want {
						norm = math.Max(norm, math.Abs(w))
					}
					for i := range want {
						if math.Abs(got[i]-want[i]) > 1e-12*float64(n)*norm {
							t.Fatalf("eigenvalue %d = %.17g, want %.17g", i, got[i], want[i])
						}
					}
				})
			}
		}
	}
}

func twoStage(t *testing.T, s symMatrix, b int) []float64 {
	t.Helper()
	n := s.n
	reduceToBand(s, b)
	// The band must be exact, nothing beyond b, and symmetric to rounding.
	for i := range n {
		for j := range n {
			v := s.a[i*s.ld+j]
			if (i-j > b || j-i > b) && v != 0 {
				t.Fatalf("after reduceToBand(b=%d), a[%d][%d] = %g outside the band", b, i, j, v)
			}
			// The two triangles are updated by sums in different orders.
			if math.Abs(v-s.a[j*s.ld+i]) > 1e-13*float64(n) {
				t.Fatalf("after reduceToBand, a[%d][%d] = %g but a[%d][%d] = %g", i, j, v, j, i, s.a[j*s.ld+i])
			}
		}
	}
	d, e := make([]float64, n), make([]float64, max(n-1, 0))
	bandToTridiagonal(s, b, d, e)
	tri := mat.NewSymDense(n, nil)
	for i := range n {
		tri.SetSym(i, i, d[i])
		if i+1 < n {
			tri.SetSym(i, i+1, e[i])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(tri, false) {
		t.Fatal("tridiagonal eigenvalues did not converge")
	}
	got := es.Values(nil)
	sort.Float64s(got)
	return got
}

// TestSymEigenvaluesExtremeNorms: eigenvalues scale with the matrix, far
// from 1 too (gonum's Dsterf panicked on its own rescaling path there).
func TestSymEigenvaluesExtremeNorms(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 70
	base, _ := randSym(rng, n)
	want, err := symEigenvalues(symMatrix{a: append([]float64(nil), base.a...), n: n, ld: base.ld})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []float64{1e-200, 1e-160, 1e160, 1e200} {
		s := symMatrix{a: make([]float64, len(base.a)), n: n, ld: base.ld}
		for i, v := range base.a {
			s.a[i] = v * sc
		}
		got, err := symEigenvalues(s)
		if err != nil {
			t.Fatalf("scale %g: %v", sc, err)
		}
		for i := range want {
			if math.Abs(got[i]/sc-want[i]) > 1e-12*float64(n) {
				t.Fatalf("scale %g: eigenvalue %d = %g, want %g", sc, i, got[i]/sc, want[i])
			}
		}
	}
}
