package metrics

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fidCase is one entry of testdata/fid/*.json (the layout of the shared
// refcases' fid_reference.json).
type fidCase struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	X, Y struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	}
	N1 int `json:"n1"`
	N2 int `json:"n2"`
	D  int `json:"d"`

	Mu1        []float64   `json:"mu1"`
	Mu2        []float64   `json:"mu2"`
	Sigma1Diag []float64   `json:"sigma1_diag"`
	Sigma2Diag []float64   `json:"sigma2_diag"`
	Sigma1     [][]float64 `json:"sigma1"`
	Sigma2     [][]float64 `json:"sigma2"`
	Expected   *float64    `json:"expected_exact"`
	Reject     bool        `json:"expect_reject"`

	Components struct {
		MeanTerm float64 `json:"mean_term_sq_norm"`
		Trace1   float64 `json:"trace_sigma1"`
		Trace2   float64 `json:"trace_sigma2"`
	} `json:"components"`
	RankSigma1 *int `json:"rank_sigma1"`
	Symmetric  struct {
		Value float64 `json:"value"`
	} `json:"symmetric_psd"`
	PytorchFID struct {
		Value *float64 `json:"value"`
	} `json:"pytorch_fid"`
}

func loadFIDCases(t *testing.T, file string) []fidCase {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []fidCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return doc.Cases
}

func readF32(t *testing.T, dir, name string, shape []int) []float32 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*shape[0]*shape[1] {
		t.Fatalf("%s: %d bytes for shape %v", name, len(raw), shape)
	}
	x := make([]float32, len(raw)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return x
}

// caseStats builds both sets' statistics for a case.
func caseStats(t *testing.T, dir string, c fidCase) (Stats, Stats) {
	t.Helper()
	if c.Kind == "features" {
		x := readF32(t, dir, c.X.File, c.X.Shape)
		y := readF32(t, dir, c.Y.File, c.Y.Shape)
		a, err := ComputeStats(x, c.X.Shape[0], c.X.Shape[1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := ComputeStats(y, c.Y.Shape[0], c.Y.Shape[1])
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
	build := func(mu, diag []float64, full [][]float64) Stats {
		d := len(mu)
		cov := mat.NewSymDense(d, nil)
		for i := range d {
			if full != nil {
				for j := i; j < d; j++ {
					cov.SetSym(i, j, full[i][j])
				}
			} else {
				cov.SetSym(i, i, diag[i])
			}
		}
		return Stats{Mean: mu, Cov: cov}
	}
	return build(c.Mu1, c.Sigma1Diag, c.Sigma1), build(c.Mu2, c.Sigma2Diag, c.Sigma2)
}

// TestFrechetDistanceRefcases checks every case of the shared refcases and
// of the extra cases made by testdata/fid/gen_extra.py against the
// symmetric_psd reference, with SPEC-numeric.md A.5's tolerances: 1e-9*T
// for full-rank cases and max(2e-3, 1e-7*T) for rank-deficient ones, T
// being tr S1 + tr S2.
func TestFrechetDistanceRefcases(t *testing.T) {
	dir := filepath.Join("testdata", "fid")
	cases := loadFIDCases(t, filepath.Join(dir, "fid_reference.json"))
	cases = append(cases, loadFIDCases(t, filepath.Join(dir, "extra_reference.json"))...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			a, b := caseStats(t, dir, c)
			got, err := FrechetDistance(a, b, FDOptions{AllowRankDeficient: true})
			if c.Reject {
				if err == nil {
					t.Fatalf("FrechetDistance = %v, want an error", got.Value)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.Symmetric.Value
			if c.Expected != nil {
				want = *c.Expected
			}
			T := c.Components.Trace1 + c.Components.Trace2
			tol := 1e-9 * T
			rankDef := c.N1 != 0 && (c.N1 <= c.D || c.N2 <= c.D) ||
				(c.RankSigma1 != nil && *c.RankSigma1 < c.D) || got.Rank1 < a.Dim() || got.Rank2 < b.Dim()
			if rankDef {
				tol = math.Max(2e-3, 1e-7*T)
			}
			diff := math.Abs(got.Value - want)
			t.Logf("FD = %.12g, want %.12g: |diff| = %.3g (tol %.3g, %.2g of tol), ranks %d/%d, warnings %q",
				got.Value, want, diff, tol, diff/tol, got.Rank1, got.Rank2, got.Warnings)
			if diff > tol {
				t.Errorf(
					"FrechetDistance = %.12g, want %.12g (|diff| %.3g > tol %.3g)",
					got.Value,
					want,
					diff,
					tol,
				)
			}
			// pytorch-fid's own value (SciPy sqrtm of S1 S2, eps fallback
			// included) must agree within the same tolerance wherever it
			// gives one: the two formulations differ only by rounding.
			if p := c.PytorchFID.Value; p != nil && c.Expected == nil {
				if d := math.Abs(got.Value - *p); d > tol {
					t.Errorf(
						"FrechetDistance = %.12g, pytorch-fid %.12g (|diff| %.3g > tol %.3g)",
						got.Value,
						*p,
						d,
						tol,
					)
				}
			}
			for _, term := range []struct {
				name      string
				got, want float64
			}{
				{"mean term", got.MeanTerm, c.Components.MeanTerm},
				{"tr S1", got.Trace1, c.Components.Trace1},
				{"tr S2", got.Trace2, c.Components.Trace2},
			} {
				if math.Abs(term.got-term.want) > 1e-10*math.Max(1, math.Abs(term.want)) {
					t.Errorf("%s = %.15g, want %.15g", term.name, term.got, term.want)
				}
			}
		})
	}
}

func TestFrechetDistanceRefusesRankDeficient(t *testing.T) {
	x := randFeatures(20, 32, 3)
	a, err := ComputeStats(x, 20, 32)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FrechetDistance(a, a, FDOptions{}); !errors.Is(err, ErrRankDeficient) {
		t.Fatalf("FrechetDistance(20 samples, 32 features) error = %v, want ErrRankDeficient", err)
	}
	got, err := FrechetDistance(a, a, FDOptions{AllowRankDeficient: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Warnings) == 0 {
		t.Errorf("FrechetDistance(allowed) warnings = none, want a rank warning")
	}
	if math.Abs(got.Value) > 1e-3 {
		t.Errorf("FrechetDistance(a, a) = %g, want about 0", got.Value)
	}
}

func TestComputeStatsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float32
		n, d int
	}{
		{"one sample", make([]float32, 4), 1, 4},
		{"short data", make([]float32, 7), 2, 4},
		{"no features", nil, 3, 0},
		{"infinite", []float32{1, float32(math.Inf(1)), 2, 3}, 2, 2},
	} {
		if _, err := ComputeStats(tc.x, tc.n, tc.d); err == nil {
			t.Errorf("ComputeStats(%s) error = nil, want an error", tc.name)
		}
	}
}

// TestComputeStatsFloat64 checks that float64 input gives the same moments
// as the same values held in float32 (the conversion is exact, and the
// arithmetic after it is shared), and that float64 precision is kept. The
// widths include those narrower than one packed panel (d < 8), where the
// float32 conversion kernel once crashed.
func TestComputeStatsFloat64(t *testing.T) {
	const n = 50
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 30} {
		x32 := randFeatures(n, d, uint64(9+d))
		x64 := make([]float64, len(x32))
		for i, v := range x32 {
			x64[i] = float64(v)
		}
		a, err := ComputeStats(x32, n, d)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ComputeStats(x64, n, d)
		if err != nil {
			t.Fatal(err)
		}
		if !mat.Equal(a.Cov, b.Cov) {
			t.Errorf("d=%d: ComputeStats(float64) covariance differs from ComputeStats(float32) "+
				"on equal values", d)
		}
		for j := range a.Mean {
			if a.Mean[j] != b.Mean[j] {
				t.Fatalf("d=%d: ComputeStats(float64) mean[%d] = %v, want %v", d, j, b.Mean[j], a.Mean[j])
			}
		}
	}

	// 1 + 1e-12 is not a float32: its variance must survive.
	y := []float64{1, 1 + 1e-12, 1, 1 + 1e-12}
	s, err := ComputeStats(y, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, want := s.Cov.At(0, 0), 1e-24/3; math.Abs(v-want) > 1e-3*want {
		t.Errorf("ComputeStats(float64) variance = %g, want %g", v, want)
	}
}

// TestFrechetDistanceSameBitsAnyCores: the order of every sum is fixed by
// the blocking, not by the number of workers, so a run reproduces to the
// bit on a machine with another core count.
func TestFrechetDistanceSameBitsAnyCores(t *testing.T) {
	const n, d = 1300, 600
	x, y := randFeatures(n, d, 21), randFeatures(n, d, 22)
	var vals []float64
	for _, procs := range []int{1, 2, 3} {
		old := runtime.GOMAXPROCS(procs)
		got := distanceOf(t, x, y, n, d)
		runtime.GOMAXPROCS(old)
		vals = append(vals, got.Value)
	}
	for i, v := range vals[1:] {
		if math.Float64bits(v) != math.Float64bits(vals[0]) {
			t.Errorf("GOMAXPROCS %d gives %.17g, GOMAXPROCS 1 gives %.17g", i+2, v, vals[0])
		}
	}
}

// TestFrechetDistanceExtremeScales: scaling both sets by s scales the
// distance by s^2. Without scaling the covariances inside, products of
// Cholesky factors overflowed or underflowed at these sizes, and gonum's
// Dsterf panicked on the scaled tridiagonal matrix.
func TestFrechetDistanceExtremeScales(t *testing.T) {
	const n, d = 60, 16
	x32, y32 := randFeatures(n, d, 31), randFeatures(n, d, 32)
	x, y := make([]float64, n*d), make([]float64, n*d)
	for i := range x {
		x[i] = float64(x32[i])
		y[i] = 1.5*float64(y32[i]) + 0.3*float64(x32[i]) + 0.2
	}
	fd := func(s float64) float64 {
		xs, ys := make([]float64, n*d), make([]float64, n*d)
		for i := range x {
			xs[i], ys[i] = s*x[i], s*y[i]
		}
		got := distanceOf(t, xs, ys, n, d)
		if len(got.Warnings) > 0 {
			t.Errorf("scale %g: warnings %q", s, got.Warnings)
		}
		return got.Value
	}
	want := fd(1)
	for _, s := range []float64{0x1p-200, 1e-150, 1e-90, 1e-40, 1e-20, 1e20, 1e40, 1e90, 1e150} {
		if got := fd(s) / (s * s); math.Abs(got-want) > 1e-11*math.Abs(want) {
			t.Errorf("scale %g: FD/s^2 = %.15g, want %.15g", s, got, want)
		}
	}
}

// distanceOf is FrechetDistance of the statistics of two n x d sets.
func distanceOf[T float32 | float64](t *testing.T, x, y []T, n, d int) Distance {
	t.Helper()
	a, err := ComputeStats(x, n, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ComputeStats(y, n, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FrechetDistance(a, b, FDOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
