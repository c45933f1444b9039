package audio

import (
	"runtime"
	"strings"
	"testing"
)

func TestMelOptionsValidate(t *testing.T) {
	if err := DefaultMelOptions().Validate(); err != nil {
		t.Fatalf("DefaultMelOptions().Validate() = %v", err)
	}
	bad := MelOptions{SampleRate: 0, NFFT: 256, WinLength: 512, HopLength: -1, FMin: 100,
		FMax: 50, NMels: 0, Power: 0, Center: true, PadMode: "wrap", Norm: "l2", MelScale: "bark"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for a bad configuration")
	}
	// Every problem is reported, in field order.
	want := []string{"sample rate 0", "win_length 512", "hop_length -1", "power 0",
		`pad mode "wrap"`, "f_max 50", "n_mels 0", `norm "l2"`, `mel scale "bark"`}
	msg, last := err.Error(), -1
	for _, w := range want {
		i := strings.Index(msg, w)
		if i < 0 || i < last {
			t.Fatalf("Validate() = %q, want %q after the previous problem", msg, w)
		}
		last = i
	}
}

func TestMelOptionsZeroMeansDefault(t *testing.T) {
	o := MelOptions{SampleRate: 22050, NFFT: 512, NMels: 40, Power: 2, PadMode: "reflect",
		MelScale: "htk"}
	r := o.resolved()
	if r.WinLength != 512 || r.HopLength != 256 || r.FMax != 11025 || r.Norm != "none" {
		t.Fatalf("resolved() = %+v, want win 512, hop 256, f_max 11025, norm none", r)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFbankOptionsValidate(t *testing.T) {
	if err := DefaultFbankOptions().Validate(); err != nil {
		t.Fatalf("DefaultFbankOptions().Validate() = %v", err)
	}
	o := DefaultFbankOptions()
	o.FrameShiftMs, o.NumMelBins, o.LowFreq, o.HighFreq = 0, 2, 9000, 100
	err := o.Validate()
	for _, w := range []string{"frame shift 0", "num mel bins 2", "low freq 9000", "high freq 100"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Fatalf("Validate() = %v, want it to mention %q", err, w)
		}
	}
	if _, _, _, err := Fbank(make([]float32, 100), DefaultFbankOptions()); err == nil {
		t.Fatal("Fbank of 100 samples succeeded, want: shorter than one frame")
	}
}

func TestDBOptionsValidate(t *testing.T) {
	if _, err := AmplitudeToDB([]float32{1}, DBOptions{}); err == nil ||
		!strings.Contains(err.Error(), "amin 0") || !strings.Contains(err.Error(), "ref 0") {
		t.Fatalf("AmplitudeToDB with zero options: %v, want amin and ref reported", err)
	}
	got, err := AmplitudeToDB([]float32{100, 1, 0, 0.01}, DBOptions{Magnitude: true, Amin: 1e-5,
		Ref: 1, TopDB: 50})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{40, 0, -10, -10} // 20·log10; floored at 40-50 dB
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("AmplitudeToDB = %v, want %v", got, want)
		}
	}
}

func TestSTFTFrameCounts(t *testing.T) {
	x := make([]float32, 1000)
	tests := []struct {
		name           string
		nfft, hop      int
		center         bool
		pad            string
		n, wantFrames  int
		wantErrContain string
	}{
		{"centred", 256, 100, true, "reflect", 1000, 11, ""},
		{"centred odd n_fft", 255, 100, true, "reflect", 1000, 10, ""},
		{"not centred", 256, 100, false, "", 1000, 8, ""},
		{"not centred exact", 256, 100, false, "", 956, 8, ""},
		{"too short", 256, 100, false, "", 255, 0, "shorter than n_fft"},
		{"reflect too short", 256, 100, true, "reflect", 128, 0, "reflect padding"},
		{"constant short", 256, 100, true, "constant", 10, 1, ""},
		{"empty", 256, 100, true, "constant", 0, 0, "shorter than n_fft"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := MelOptions{NFFT: tt.nfft, HopLength: tt.hop, Power: 2, Center: tt.center,
				PadMode: tt.pad}
			_, nf, frames, err := Spectrogram(x[:tt.n], o)
			if tt.wantErrContain != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrContain) {
					t.Fatalf("Spectrogram = %v, want error containing %q", err, tt.wantErrContain)
				}
				return
			}
			if err != nil || frames != tt.wantFrames || nf != tt.nfft/2+1 {
				t.Fatalf("Spectrogram: %d bins x %d frames, %v; want %d x %d",
					nf, frames, err, tt.nfft/2+1, tt.wantFrames)
			}
		})
	}
}

// TestMelSpectrogramDeterministic: the result must not depend on how many
// goroutines split the frames (the cache keys outputs by content).
func TestMelSpectrogramDeterministic(t *testing.T) {
	x := benchSignal()[:48000]
	for _, nfft := range []int{1024, 512, 400} {
		o := benchOptions()
		o.NFFT, o.WinLength = nfft, nfft
		prev := runtime.GOMAXPROCS(1)
		one, _, _, err := MelSpectrogram(x, o)
		runtime.GOMAXPROCS(3)
		three, _, _, err2 := MelSpectrogram(x, o)
		runtime.GOMAXPROCS(prev)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		for i := range one {
			if one[i] != three[i] {
				t.Fatalf("n_fft %d: value %d is %g with 1 worker, %g with 3", nfft, i, one[i], three[i])
			}
		}
	}
}
