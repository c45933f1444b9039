package audio

import (
	"math"
	"testing"
)

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func maxAbs(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// compareScaled requires |got-want| <= relMax·max|want| + relElem·|want| for
// every element and logs the largest error relative to max|want|, the figure
// issue 6 bounds by 1e-4.
func compareScaled(t *testing.T, got []float64, want []float32, relMax, relElem float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("len = %d, want %d", len(got), len(want))
	}
	peak := maxAbs(want)
	var worst float64
	bad := 0
	for i, w := range want {
		d := math.Abs(got[i] - float64(w))
		worst = math.Max(worst, d)
		if !(d <= relMax*peak+relElem*math.Abs(float64(w))) {
			if bad < 3 {
				t.Errorf("[%d] = %g, want %g (diff %.3g, allowed %.3g)", i, got[i], w, d,
					relMax*peak+relElem*math.Abs(float64(w)))
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values out of tolerance", bad, len(want))
	}
	t.Logf("max abs err %.3g = %.3g of max %.6g (tolerance %.0e of max + %.0e elementwise)",
		worst, worst/peak, peak, relMax, relElem)
}

// compareAbs requires |got-want| <= tol everywhere.
func compareAbs(t *testing.T, got []float64, want []float32, tol float64, unit string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("len = %d, want %d", len(got), len(want))
	}
	var worst float64
	at := 0
	for i, w := range want {
		if d := math.Abs(got[i] - float64(w)); !(d <= worst) {
			worst, at = d, i
		}
	}
	if !(worst <= tol) {
		t.Errorf("max abs err %.3g %s at [%d] (got %g, want %g), tolerance %g",
			worst, unit, at, got[at], want[at], tol)
	}
	t.Logf("max abs err %.3g %s (tolerance %g)", worst, unit, tol)
}

// kaldiRange is how far below a frame's maximum the Kaldi comparison
// reaches: 60 dB, in natural-log units. Below it both sides are float32 FFT
// noise (SPEC-numeric B.8).
var kaldiRange = 6 * math.Ln10

// kaldiTol bounds the log-energy error (natural log) within kaldiRange:
// 5e-4 is 2.2e-3 dB; the float64 reference implementation of SPEC-numeric B.8
// is 1.8e-4 from torchaudio there.
const kaldiTol = 5e-4

// compareKaldi compares time-major log filter-bank energies, per frame, where
// the reference is within kaldiRange of the frame's maximum.
func compareKaldi(t *testing.T, got, want []float32, nFrames, nBins int) {
	t.Helper()
	var worst float64
	compared := 0
	for f := 0; f < nFrames; f++ {
		row := want[f*nBins : (f+1)*nBins]
		top := math.Inf(-1)
		for _, v := range row {
			top = math.Max(top, float64(v))
		}
		for m, w := range row {
			if float64(w) < top-kaldiRange {
				continue
			}
			compared++
			d := math.Abs(float64(got[f*nBins+m]) - float64(w))
			if !(d <= kaldiTol) {
				t.Errorf("frame %d bin %d = %g, want %g", f, m, got[f*nBins+m], w)
			}
			worst = math.Max(worst, d)
		}
	}
	t.Logf(
		"max abs err %.3g (ln units, %d of %d values within 60 dB of their frame max; tolerance %g)",
		worst,
		compared,
		len(want),
		kaldiTol,
	)
}
