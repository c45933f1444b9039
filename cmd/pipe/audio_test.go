package main

import (
	"encoding/binary"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/tensor"
)

// References: package audio's copies of ../shared/refcases/mel (refcases/)
// and its own torchaudio outputs (mel/), the stereo fixture of package
// stages, and testdata/audio/gen.py's output for torchaudio's defaults.
const (
	audioRefs  = "../../audio/testdata/refcases/"
	audioMel   = "../../audio/testdata/mel/"
	chirpFile  = audioRefs + "chirp_16k.wav"
	stereoFile = "../../stages/testdata/audio/stereo_16k.wav"
)

// The tolerances: 1e-4 of the array's maximum for power (or
// magnitude) mels, 1e-3 dB for decibels.
const (
	melRelTol = 1e-4
	dbAbsTol  = 1e-3
)

func TestAudioMelMatchesTorchaudio(t *testing.T) {
	const frontCenter = "/usr/share/sounds/alsa/Front_Center.wav"
	tests := []struct {
		name  string
		wav   string
		flags []string
		ref   string // .npy, or raw float32 of shape
		shape []int
		db    bool
	}{
		{"defaults", chirpFile, nil, "testdata/audio/chirp_16k__defaults.npy", []int{1, 128, 81}, false},
		{"A", chirpFile, []string{"--n-fft", "1024", "--hop-length", "256", "--n-mels", "80"},
			audioRefs + "chirp_16k__A_htk_center_reflect.f32", []int{1, 80, 63}, false},
		{"A db80", chirpFile,
			[]string{"--n-fft", "1024", "--hop-length", "256", "--n-mels", "80", "--db", "--top-db", "80"},
			audioRefs + "chirp_16k__A_htk_center_reflect__db80.f32", []int{1, 80, 63}, true},
		{"B", chirpFile, []string{"--n-fft", "2048", "--hop-length", "512", "--pad-mode", "constant",
			"--norm", "slaney", "--mel-scale", "slaney"},
			audioRefs + "chirp_16k__B_slaney_librosa_defaults.f32", []int{1, 128, 32}, false},
		{"C", chirpFile, []string{"--n-fft", "512", "--win-length", "400", "--hop-length", "160",
			"--f-min", "50", "--f-max", "7600", "--n-mels", "64", "--power", "1", "--center=false",
			"--norm", "slaney"},
			audioRefs + "chirp_16k__C_htk_slaneynorm_nocenter_win400.f32", []int{1, 64, 97}, false},
		{"C magnitude db60", chirpFile, []string{"--n-fft", "512", "--win-length", "400",
			"--hop-length", "160", "--f-min", "50", "--f-max", "7600", "--n-mels", "64", "--power", "1",
			"--center=false", "--norm", "slaney", "--db", "--top-db", "60"},
			audioMel + "chirp_16k__C_htk_slaneynorm_nocenter_win400__magdb60.f32", []int{1, 64, 97}, true},
		{"stereo resampled db60", stereoFile, []string{"--sample-rate", "8000", "--n-fft", "256",
			"--hop-length", "64", "--n-mels", "40", "--db", "--top-db", "60"},
			"../../stages/testdata/audio/mel_8k_db60.npy", []int{2, 40, 63}, true},
		{
			"Front_Center A",
			frontCenter,
			[]string{"--n-fft", "1024", "--hop-length", "256", "--n-mels", "80"},
			audioRefs + "front_center__A_htk_center_reflect.f32",
			[]int{1, 80, 268},
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.wav); err != nil && tt.wav == frontCenter {
				t.Skipf("%s absent (Debian package alsa-utils)", frontCenter)
			}
			out := filepath.Join(t.TempDir(), "out.npy")
			args := append([]string{"audio", "mel", tt.wav, "-o", out}, tt.flags...)
			r := mustPipe(t, args...)
			if !strings.HasPrefix(r.stdout, out+": ") {
				t.Errorf("stdout %q does not start with the output file", r.stdout)
			}
			got, err := tensor.ReadNPYFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var want *tensor.Tensor
			if strings.HasSuffix(tt.ref, ".npy") {
				if want, err = tensor.ReadNPYFile(tt.ref); err != nil {
					t.Fatal(err)
				}
			} else {
				want = tensor.FromFloat32(audioRefF32(t, tt.ref), tt.shape...)
			}
			if !slices.Equal(got.Shape, tt.shape) || !slices.Equal(want.Shape, tt.shape) {
				t.Fatalf("shape %v, reference %v, want %v", got.Shape, want.Shape, tt.shape)
			}
			diff, peak := maxDiff(got.Float64s(), want.Float64s())
			if tt.db {
				t.Logf("max |difference| %.3g dB", diff)
				if !(diff <= dbAbsTol) {
					t.Errorf("max |difference| %.3g dB, want at most %g", diff, dbAbsTol)
				}
				return
			}
			t.Logf("max |difference| %.3g of the maximum", diff/peak)
			if !(diff <= melRelTol*peak) {
				t.Errorf("max |difference| %.3g of the maximum, want at most %g", diff/peak, melRelTol)
			}
		})
	}
}

func audioRefF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// maxDiff returns the largest absolute difference and want's largest
// magnitude.
func maxDiff(got, want []float64) (diff, peak float64) {
	for i := range want {
		diff = max(diff, math.Abs(got[i]-want[i]))
		peak = max(peak, math.Abs(want[i]))
	}
	return diff, peak
}

func TestAudioMelPNG(t *testing.T) {
	dir := t.TempDir()
	out, img := filepath.Join(dir, "s.npy"), filepath.Join(dir, "s.png")
	r := mustPipe(t, "audio", "mel", "--n-mels", "40", "--db", stereoFile, "-o", out, "--png", img)
	want := out + ": 2 x 40 x 41 float32 mel dB of stereo_16k.wav (16000 Hz, 0.50 s)\n"
	if r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// Frames wide; two channels of 40 mels and a 2-pixel gap high.
	if cfg.Width != 41 || cfg.Height != 82 {
		t.Errorf("PNG is %dx%d, want 41x82", cfg.Width, cfg.Height)
	}
}

func TestAudioMelErrors(t *testing.T) {
	dir := t.TempDir()
	chirp, err := os.ReadFile(chirpFile)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.wav")
	if err := os.WriteFile(truncated, chirp[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "absent.wav")
	out := filepath.Join(dir, "out.npy")
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"missing", []string{missing, "-o", out}, exitUsage, []string{missing, "no such file"}},
		{"truncated", []string{truncated, "-o", out}, exitUsage,
			[]string{truncated, "truncated wav", "declares 32000 bytes"}},
		{"not wav", []string{audioRefs + "chirp_16k__A_htk_center_reflect.json", "-o", out}, exitUsage,
			[]string{"chirp_16k__A_htk_center_reflect.json", "not a RIFF/WAVE file"}},
		{"no output", []string{chirpFile}, exitUsage, []string{"needs -o OUT.npy"}},
		{
			"two files",
			[]string{chirpFile, chirpFile, "-o", out},
			exitUsage,
			[]string{"one WAV file, got 2"},
		},
		{"bool without =", []string{chirpFile, "--center", "false", "-o", out}, exitUsage,
			[]string{"--center=false"}},
		{"pad mode", []string{chirpFile, "--pad-mode", "edge", "-o", out}, exitUsage,
			[]string{`pad mode "edge": want reflect or constant`}},
		{"window", []string{chirpFile, "--win-length", "500", "-o", out}, exitUsage,
			[]string{"win_length 500"}},
		{"top-db without db", []string{chirpFile, "--top-db", "80", "-o", out}, exitUsage,
			[]string{"--top-db 80", "with --db"}},
		{"too short", []string{chirpFile, "--n-fft", "32768", "--center=false", "-o", out}, exitUsage,
			[]string{chirpFile, "shorter than n_fft 32768"}},
		{"no subcommand", nil, exitUsage, []string{"audio takes a subcommand: mel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"audio"}
			if tt.args != nil {
				args = append(args, "mel")
				args = append(args, tt.args...)
			}
			r := pipe(t, args...)
			if r.code != tt.code {
				t.Errorf(
					"pipe %s: exit %d, want %d\nstderr: %s",
					strings.Join(args, " "),
					r.code,
					tt.code,
					r.stderr,
				)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.stderr, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed command wrote %s", out)
			}
		})
	}
}

// TestSpeechMelExperiment runs experiments/speech-mel.yaml twice: one PNG
// per prompt, the same numbers as `pipe audio mel` with the same settings,
// and a second run that is all cache hits.
func TestSpeechMelExperiment(t *testing.T) {
	wavs, _ := filepath.Glob("/usr/share/sounds/alsa/*.wav")
	if len(wavs) == 0 {
		t.Skip("/usr/share/sounds/alsa/*.wav absent (Debian package alsa-utils)")
	}
	dir := t.TempDir()
	args := []string{
		"run",
		"../../experiments/speech-mel.yaml",
		"--cache",
		filepath.Join(dir, "cache"),
		"--json",
	}
	first := parseRun(t, mustPipe(t, args...))
	if got := first.statuses(); got["speech"] != "ran" || got["logmel"] != "ran" {
		t.Fatalf("first run: statuses %v, want both stages ran", got)
	}
	mel := first.Stages[1]
	if mel.Name != "logmel" || mel.Metrics["count"] != float64(len(wavs)) {
		t.Errorf("stage %s: metrics %v, want count %d", mel.Name, mel.Metrics, len(wavs))
	}
	for _, w := range wavs {
		name := strings.TrimSuffix(filepath.Base(w), ".wav") + ".png"
		if _, ok := mel.Outputs[name]; !ok {
			t.Errorf("logmel outputs %v: no %s", mel.Outputs, name)
		}
	}

	second := parseRun(t, mustPipe(t, args...))
	for _, s := range second.Stages {
		if s.Status != "cached" {
			t.Errorf("second run: stage %s is %q, want cached", s.Name, s.Status)
		}
	}

	// The stage and the command compute the same thing.
	ts, _, err := tensor.ReadSafetensorsFile(
		filepath.Join(outPath(filepath.Join(dir, "cache"), mel.Key),
			"mel.safetensors"),
	)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "front.npy")
	mustPipe(t, "audio", "mel", wavs[0], "--sample-rate", "16000", "--hop-length", "160",
		"--n-mels", "80", "--db", "--top-db", "80", "-o", out)
	cli, err := tensor.ReadNPYFile(out)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(filepath.Base(wavs[0]), ".wav")
	got := ts[name]
	if got == nil {
		t.Fatalf("stage's mel.safetensors has no %s", name)
	}
	if !slices.Equal(got.Shape, cli.Shape) || !slices.Equal(got.Data, cli.Data) {
		t.Errorf("stage's %s (%v) differs from pipe audio mel's (%v)", name, got.Shape, cli.Shape)
	}
}
