package audio

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Reference cases: testdata/refcases holds copies of ../shared/refcases/mel,
// testdata/mel what testdata/gen.py adds. Each <case>.f32 has a <case>.json
// sidecar naming its kind, input and setting.

// refInputs are the signals the cases were computed from. The alsa-utils
// prompts are GPL and not copied: their cases skip when the files are absent.
var refInputs = map[string]string{
	"chirp_16k":    "testdata/refcases/chirp_16k.wav",
	"front_center": "/usr/share/sounds/alsa/Front_Center.wav",
	"rear_left":    "/usr/share/sounds/alsa/Rear_Left.wav",
}

// refSettings mirrors SETTINGS in testdata/gen.py (A-C: SPEC-numeric.md B.7).
var refSettings = map[string]MelOptions{
	"A_htk_center_reflect": {NFFT: 1024, WinLength: 1024, HopLength: 256, NMels: 80,
		Power: 2, Center: true, PadMode: "reflect", Norm: "none", MelScale: "htk"},
	"B_slaney_librosa_defaults": {NFFT: 2048, WinLength: 2048, HopLength: 512, NMels: 128,
		Power: 2, Center: true, PadMode: "constant", Norm: "slaney", MelScale: "slaney"},
	"C_htk_slaneynorm_nocenter_win400": {NFFT: 512, WinLength: 400, HopLength: 160,
		FMin: 50, FMax: 7600, NMels: 64, Power: 1, Center: false, PadMode: "reflect",
		Norm: "slaney", MelScale: "htk"},
	"D_slaney_constant_mag_win300": {NFFT: 400, WinLength: 300, HopLength: 100, FMin: 20,
		FMax: 6000, NMels: 40, Power: 1, Center: true, PadMode: "constant", Norm: "none",
		MelScale: "slaney"},
	"E_htk_odd_nfft": {NFFT: 255, WinLength: 255, HopLength: 64, NMels: 32, Power: 2,
		Center: true, PadMode: "reflect", Norm: "slaney", MelScale: "htk"},
}

type refMeta struct {
	Kind       string `json:"kind"`
	Input      string `json:"input"`
	Setting    string `json:"setting"`
	SampleRate int    `json:"sample_rate"`
	Shape      []int  `json:"shape"`
	DB         *struct {
		Stype string   `json:"stype"`
		TopDB *float64 `json:"top_db"`
	} `json:"db"`
	KaldiParams map[string]any `json:"kaldi_params"`
	InputScale  float64        `json:"input_scale"`
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// loadInput reads a reference input as mono float32, skipping the test when
// an optional system file is absent.
func loadInput(t *testing.T, name string) (*Audio, []float32) {
	t.Helper()
	path, ok := refInputs[name]
	if !ok {
		t.Fatalf("unknown input %q", name)
	}
	if _, err := os.Stat(path); err != nil && !strings.HasPrefix(path, "testdata") {
		t.Skipf("%s absent (Debian package alsa-utils): %v", path, err)
	}
	a, err := ReadWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a, a.Mono()
}

func TestReferenceCases(t *testing.T) {
	var sidecars []string
	for _, dir := range []string{"testdata/refcases", "testdata/mel"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		sidecars = append(sidecars, m...)
	}
	sort.Strings(sidecars)
	if len(sidecars) < 20 {
		t.Fatalf("found %d reference cases, want the committed ones", len(sidecars))
	}
	for _, side := range sidecars {
		name := strings.TrimSuffix(filepath.Base(side), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(side)
			if err != nil {
				t.Fatal(err)
			}
			var meta refMeta
			if err := json.Unmarshal(b, &meta); err != nil {
				t.Fatalf("%s: %v", side, err)
			}
			want := readF32(t, strings.TrimSuffix(side, ".json")+".f32")
			if n := meta.Shape[0] * meta.Shape[1]; n != len(want) {
				t.Fatalf("%s: shape %v but %d values", side, meta.Shape, len(want))
			}
			checkCase(t, name, meta, want)
		})
	}
}

// checkCase recomputes one case and compares it with the reference values.
func checkCase(t *testing.T, name string, meta refMeta, want []float32) {
	o, ok := refSettings[meta.Setting]
	if meta.Kind != "kaldi_fbank" && !ok {
		t.Fatalf("unknown setting %q", meta.Setting)
	}
	switch meta.Kind {
	case "mel_filterbank":
		o.SampleRate = meta.SampleRate
		fb, err := MelFilterBank(o)
		if err != nil {
			t.Fatal(err)
		}
		got := fb.Dense()
		checkShape(t, meta, fb.NFreqs, fb.NMels)
		// SPEC-numeric B.4: float32 (torchaudio) against float64 filters.
		compareScaled(t, got, want, 1e-5, 1e-6)

	case "power_spectrogram":
		a, x := loadInput(t, meta.Input)
		o.SampleRate = a.Rate
		got, nf, nt, err := Spectrogram(x, o)
		if err != nil {
			t.Fatal(err)
		}
		checkShape(t, meta, nf, nt)
		compareScaled(t, f64(got), want, 1e-5, 1e-6)

	case "mel_spectrogram", "mel_spectrogram_db":
		a, x := loadInput(t, meta.Input)
		o.SampleRate = a.Rate
		got, nm, nt, err := MelSpectrogram(x, o)
		if err != nil {
			t.Fatal(err)
		}
		checkShape(t, meta, nm, nt)
		if meta.Kind == "mel_spectrogram" {
			// Issue 6: 1e-4 of the maximum. Also the elementwise bound of
			// SPEC-numeric B.4, which is tighter.
			compareScaled(t, f64(got), want, 1e-5, 1e-6)
			return
		}
		do := dbOptionsFor(t, name, meta)
		db, err := AmplitudeToDB(got, do)
		if err != nil {
			t.Fatal(err)
		}
		if do.TopDB == 0 {
			// Without top_db the reference keeps values 120 dB below its peak,
			// where float32 FFT rounding dominates (SPEC-numeric B.6); compare
			// the top 80 dB only.
			clampBelow(db, want, 80)
		}
		compareAbs(t, f64(db), want, 1e-3, "dB")

	case "kaldi_fbank":
		a, x := loadInput(t, meta.Input)
		ko := kaldiOptions(t, meta.KaldiParams)
		if ko.SampleRate != float64(a.Rate) {
			t.Fatalf("sample_frequency %g for a %d Hz file", ko.SampleRate, a.Rate)
		}
		scaled := make([]float32, len(x))
		for i, v := range x {
			scaled[i] = v * float32(meta.InputScale)
		}
		got, nt, nb, err := Fbank(scaled, ko)
		if err != nil {
			t.Fatal(err)
		}
		checkShape(t, meta, nt, nb)
		compareKaldi(t, got, want, nt, nb)

	default:
		t.Fatalf("unknown kind %q", meta.Kind)
	}
}

func checkShape(t *testing.T, meta refMeta, rows, cols int) {
	t.Helper()
	if rows != meta.Shape[0] || cols != meta.Shape[1] {
		t.Fatalf("shape = (%d, %d), want %v", rows, cols, meta.Shape)
	}
}

// dbOptionsFor reads the dB settings from the sidecar, or for the shared
// refcase (which has none) from its name: __db80 is AmplitudeToDB('power', 80).
func dbOptionsFor(t *testing.T, name string, meta refMeta) DBOptions {
	o := DefaultDBOptions()
	switch {
	case meta.DB != nil:
		o.Magnitude = meta.DB.Stype == "magnitude"
		if meta.DB.TopDB != nil {
			o.TopDB = *meta.DB.TopDB
		}
	case strings.HasSuffix(name, "__db80"):
		o.TopDB = 80
	default:
		t.Fatalf("%s: no dB settings", name)
	}
	return o
}

// kaldiOptions maps torchaudio.compliance.kaldi.fbank keyword arguments.
func kaldiOptions(t *testing.T, p map[string]any) FbankOptions {
	o := DefaultFbankOptions()
	for k, v := range p {
		f, _ := v.(float64)
		b, _ := v.(bool)
		switch k {
		case "dither":
			if f != 0 {
				t.Fatalf("dither %g: not supported", f)
			}
		case "sample_frequency":
			o.SampleRate = f
		case "num_mel_bins":
			o.NumMelBins = int(f)
		case "snip_edges":
			o.SnipEdges = b
		case "low_freq":
			o.LowFreq = f
		case "high_freq":
			o.HighFreq = f
		case "frame_length":
			o.FrameLengthMs = f
		case "frame_shift":
			o.FrameShiftMs = f
		case "preemphasis_coefficient":
			o.PreemphasisCoefficient = f
		case "remove_dc_offset":
			o.RemoveDCOffset = b
		default:
			t.Fatalf("kaldi parameter %q not mapped", k)
		}
	}
	return o
}

// clampBelow raises got and want (in place, on copies the caller owns) to
// want's maximum minus rangeDB.
func clampBelow(got, want []float32, rangeDB float64) {
	floor := float32(math.Inf(-1))
	for _, v := range want {
		floor = max(floor, v)
	}
	floor -= float32(rangeDB)
	for i := range want {
		got[i], want[i] = max(got[i], floor), max(want[i], floor)
	}
}
