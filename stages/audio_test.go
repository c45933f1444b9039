package stages

import (
	"encoding/binary"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/pipelinetest"
	"github.com/pipe-ml/pipe/tensor"
)

// Inputs: a stereo cut of the chirp made by testdata/audio/gen.py, and the
// chirp itself, copied by package audio from ../shared/refcases/mel.
const (
	stereoWAV = "testdata/audio/stereo_16k.wav"
	chirpWAV  = "../audio/testdata/refcases/chirp_16k.wav"
	chirpRefs = "../audio/testdata/refcases/"
)

// The tolerances: 1e-4 of the array's maximum for power (or
// magnitude) mels, 1e-3 dB for decibels.
const (
	melRelTol = 1e-4
	dbAbsTol  = 1e-3
)

// runSpecErr runs spec and returns what went wrong, as pipelinetest.Try.
func runSpecErr(t *testing.T, dir, spec string) (map[string]*pipeline.StageResult, error) {
	t.Helper()
	return pipelinetest.Try(t, dir, spec, pipelinetest.Options{Jobs: 2})
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// readStageClips reads the clips a stage result holds in file.
func readStageClips(t *testing.T, r *pipeline.StageResult, file string, dims int) []Clip {
	t.Helper()
	a := &pipeline.Artifact{Stage: r.Name, Kind: r.Kind, Dir: r.Dir, Files: []string{file}}
	clips, err := ReadClips(a, file, dims)
	if err != nil {
		t.Fatal(err)
	}
	return clips
}

// compare checks got against want in shape and values: the largest absolute
// difference must be at most tol, or tol times want's largest magnitude if
// relative is set. It returns that difference (relative if asked) for the
// log.
func compare(
	t *testing.T,
	what string,
	got *tensor.Tensor,
	want *tensor.Tensor,
	tol float64,
	relative bool,
) float64 {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	g, w := got.Float64s(), want.Float64s()
	var diff, peak float64
	for i := range w {
		diff = max(diff, math.Abs(g[i]-w[i]))
		peak = max(peak, math.Abs(w[i]))
	}
	if relative {
		diff /= peak
	}
	if !(diff <= tol) {
		t.Errorf("%s: max difference %.3g (relative: %v), want at most %g", what, diff, relative, tol)
	}
	t.Logf("%s: max difference %.3g (relative: %v)", what, diff, relative)
	return diff
}

func readNPY(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	x, err := tensor.ReadNPYFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// readF32 reads a raw float32 reference of ../shared/refcases/mel.
func readF32(t *testing.T, path string, shape ...int) *tensor.Tensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return tensor.FromFloat32(v, shape...)
}

func TestAudioStagesMatchTorchaudio(t *testing.T) {
	stereo := absPath(t, stereoWAV)
	res := runSpec(t, t.TempDir(), `name: audio-test
stages:
  wav:
    uses: dataset/audio
    with: {files: [`+stereo+`], sample_rate: 8000}
  mel:
    uses: audio/melspec
    inputs: [wav]
    with: {n_fft: 256, hop_length: 64, n_mels: 40, db: true, top_db: 60}
  mono:
    uses: dataset/audio
    with: {files: [`+stereo+`], mono: true}
  mono-mel:
    uses: audio/melspec
    inputs: [mono]
`)
	wav := readStageClips(t, res["wav"], AudioFile, 2)
	if len(wav) != 1 || wav[0].Name != "stereo_16k" || wav[0].SampleRate != 8000 ||
		wav[0].Source != "stereo_16k.wav" {
		t.Fatalf("dataset/audio clips = %+v, want one, stereo_16k at 8000 Hz", wav)
	}
	compare(t, "resampled", wav[0].Data, readNPY(t, "testdata/audio/resampled_8k.npy"), 1e-5, false)

	mel := readStageClips(t, res["mel"], MelFile, 3)
	compare(t, "mel dB", mel[0].Data, readNPY(t, "testdata/audio/mel_8k_db60.npy"), dbAbsTol, false)
	mono := readStageClips(t, res["mono-mel"], MelFile, 3)
	compare(t, "mono mel", mono[0].Data, readNPY(t, "testdata/audio/mono_mel.npy"), melRelTol, true)

	// One PNG per clip: frames wide, mels high (two channels and a 2-pixel gap).
	for _, tt := range []struct {
		stage string
		w, h  int
	}{{"mel", 63, 2*40 + 2}, {"mono-mel", 41, 128}} {
		f, err := os.Open(filepath.Join(res[tt.stage].Dir, "stereo_16k.png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != tt.w || cfg.Height != tt.h {
			t.Errorf("%s: PNG is %dx%d, want %dx%d", tt.stage, cfg.Width, cfg.Height, tt.w, tt.h)
		}
	}
	if m := res["mel"].Metrics; m["count"] != 1 || m["frames"] != 63 {
		t.Errorf("audio/melspec metrics = %v, want count 1, frames 63", m)
	}
	if m := res["wav"].Metrics; m["count"] != 1 || m["seconds"] != 0.5 {
		t.Errorf("dataset/audio metrics = %v, want count 1, seconds 0.5", m)
	}
}

// TestMelSpecStageRefcases runs the stages on the shared reference cases of
// ../shared/refcases/mel (SPEC-numeric.md B.7) whose input is committed.
func TestMelSpecStageRefcases(t *testing.T) {
	chirp := absPath(t, chirpWAV)
	res := runSpec(t, t.TempDir(), `name: refcases
stages:
  wav:
    uses: dataset/audio
    with: {files: [`+chirp+`]}
  a:
    uses: audio/melspec
    inputs: [wav]
    with: {n_fft: 1024, hop_length: 256, n_mels: 80, png: false}
  a-db80:
    uses: audio/melspec
    inputs: [wav]
    with: {n_fft: 1024, hop_length: 256, n_mels: 80, db: true, top_db: 80}
  b:
    uses: audio/melspec
    inputs: [wav]
    with: {n_fft: 2048, hop_length: 512, pad_mode: constant, norm: slaney, mel_scale: slaney}
  c:
    uses: audio/melspec
    inputs: [wav]
    with: {n_fft: 512, win_length: 400, hop_length: 160, f_min: 50, f_max: 7600,
           n_mels: 64, power: 1, center: false, norm: slaney}
`)
	tests := []struct {
		stage, ref string
		shape      []int
		db         bool
	}{
		{"a", "chirp_16k__A_htk_center_reflect.f32", []int{1, 80, 63}, false},
		{"a-db80", "chirp_16k__A_htk_center_reflect__db80.f32", []int{1, 80, 63}, true},
		{"b", "chirp_16k__B_slaney_librosa_defaults.f32", []int{1, 128, 32}, false},
		{"c", "chirp_16k__C_htk_slaneynorm_nocenter_win400.f32", []int{1, 64, 97}, false},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			got := readStageClips(t, res[tt.stage], MelFile, 3)[0].Data
			want := readF32(t, chirpRefs+tt.ref, tt.shape...)
			if tt.db {
				compare(t, tt.ref, got, want, dbAbsTol, false)
			} else {
				compare(t, tt.ref, got, want, melRelTol, true)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(res["a"].Dir, "chirp_16k.png")); err == nil {
		t.Errorf("png: false wrote chirp_16k.png")
	}
}

func TestAudioStageErrors(t *testing.T) {
	dir := t.TempDir()
	chirp, err := os.ReadFile(chirpWAV)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.wav")
	notWAV := filepath.Join(dir, "notes.wav")
	short := filepath.Join(dir, "short.wav")
	// A header claiming 32000 bytes of samples, followed by 1000.
	must(t, os.WriteFile(truncated, chirp[:1044], 0o644))
	must(t, os.WriteFile(notWAV, []byte("these are not samples\n"), 0o644))
	// 100 samples: a valid header whose sizes say so.
	hdr := slices.Clone(chirp[:44])
	binary.LittleEndian.PutUint32(hdr[4:], 36+200)
	binary.LittleEndian.PutUint32(hdr[40:], 200)
	must(t, os.WriteFile(short, append(hdr, chirp[44:244]...), 0o644))

	tests := []struct {
		name, with string
		mel        string // audio/melspec's with, if the test adds one
		want       []string
	}{
		{"truncated", "{files: [" + truncated + "]}", "", []string{truncated, "truncated"}},
		{"not wav", "{files: [" + notWAV + "]}", "", []string{notWAV, "not a RIFF/WAVE"}},
		{"missing", "{files: [" + filepath.Join(dir, "absent.wav") + "]}", "",
			[]string{filepath.Join(dir, "absent.wav"), "no such file"}},
		{"too short", "{files: [" + short + "]}", "{center: false}",
			[]string{"clip short (short.wav, 100 samples)"}},
		{"window", "{files: [" + short + "]}", "{n_fft: 256, win_length: 300}",
			[]string{"clip short (short.wav, 16000 Hz)", "win_length 300"}},
		{"f_min", "{files: [" + short + "]}", "{f_min: 8000}",
			[]string{"clip short", "must exceed f_min (8000)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := "name: errors\nstages:\n  wav:\n    uses: dataset/audio\n    with: " + tt.with + "\n"
			if tt.mel != "" {
				spec += "  mel:\n    uses: audio/melspec\n    inputs: [wav]\n    with: " + tt.mel + "\n"
			}
			_, err := runSpecErr(t, t.TempDir(), spec)
			if err == nil {
				t.Fatalf("run succeeded, want an error mentioning %q", tt.want)
			}
			t.Logf("error: %v", err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestClipNames(t *testing.T) {
	tests := []struct {
		files, want []string
	}{
		{[]string{"/a/x.wav", "/b/y.WAV"}, []string{"x", "y"}},
		{
			[]string{"/a/x.wav", "/b/x.wav", "/c/x.wav", "/d/x-2.wav"},
			[]string{"x", "x-2", "x-3", "x-2-2"},
		},
		{[]string{"/a/__metadata__.wav"}, []string{"__metadata__-2"}},
	}
	for _, tt := range tests {
		if got := clipNames(tt.files); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("clipNames(%q) = %q, want %q", tt.files, got, tt.want)
		}
	}
}

func TestMelSpecNeedsAudio(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "a.txt")
	must(t, os.WriteFile(text, []byte("not audio\n"), 0o644))
	_, err := runSpecErr(t, dir, `name: wrong-input
stages:
  text:
    uses: dataset/text
    with: {files: [`+text+`]}
  mel:
    uses: audio/melspec
    inputs: [text]
`)
	want := `stage "text" (dataset/text) makes text; input audio takes audio`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("melspec of a text dataset: error %v, want one containing %q", err, want)
	}
}
