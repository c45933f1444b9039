package audio

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResampleReference compares with torchaudio.functional.resample
// (testdata/resample, made by testdata/gen.py). torchaudio convolves in
// float32: the reference itself is that far from torchaudio run in float64,
// up to 1.2e-5 (16000 -> 22050), hence the tolerance.
func TestResampleReference(t *testing.T) {
	cases, _ := filepath.Glob("testdata/resample/resample_*[0-9].json")
	if len(cases) < 5 {
		t.Fatalf("found %d resample cases, want the committed ones", len(cases))
	}
	for _, side := range cases {
		name := strings.TrimSuffix(filepath.Base(side), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(side)
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				From  int    `json:"orig_freq"`
				To    int    `json:"new_freq"`
				Input string `json:"input"`
			}
			if err := json.Unmarshal(b, &meta); err != nil {
				t.Fatal(err)
			}
			x := readF32(t, filepath.Join("testdata/resample", meta.Input))
			want := readF32(t, strings.TrimSuffix(side, ".json")+".f32")
			got, err := Resample(x, meta.From, meta.To)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("Resample(%d samples, %d, %d) has %d samples, want %d",
					len(x), meta.From, meta.To, len(got), len(want))
			}
			compareAbs(t, f64(got), want, 2e-5, "")
		})
	}
}

func TestResampleEdges(t *testing.T) {
	x := []float32{1, 2, 3}
	if got, err := Resample(x, 16000, 16000); err != nil || &got[0] != &x[0] {
		t.Errorf("Resample at equal rates = %v, %v; want x itself", got, err)
	}
	for _, r := range [][2]int{{0, 16000}, {16000, -1}} {
		if _, err := Resample(x, r[0], r[1]); err == nil {
			t.Errorf("Resample(x, %d, %d) succeeded, want an error", r[0], r[1])
		}
	}
	if got, err := Resample(nil, 48000, 16000); err != nil || len(got) != 0 {
		t.Errorf("Resample(nil) = %v, %v; want empty", got, err)
	}

	// A tone well below both Nyquist frequencies survives down- and
	// up-sampling away from the edges.
	n := 4800
	tone := make([]float32, n)
	for i := range tone {
		tone[i] = float32(math.Sin(2 * math.Pi * 440 * float64(i) / 48000))
	}
	down, _ := Resample(tone, 48000, 16000)
	for i := 100; i < len(down)-100; i++ {
		want := math.Sin(2 * math.Pi * 440 * float64(i) / 16000)
		if d := math.Abs(float64(down[i]) - want); d > 2e-3 {
			t.Fatalf("440 Hz at 16 kHz: sample %d = %g, want %g", i, down[i], want)
		}
	}
}
