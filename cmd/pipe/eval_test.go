package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/tensor"
)

// The reference case comes from the metrics package's fixtures (copied
// from the shared refcases, SciPy 1.10): 500 x 64 float32 features per set.
const (
	fidFixtures = "../../metrics/testdata/fid"
	fidCase     = "g64_mean_shift"
)

// fidReference returns the case's features and expected distance and
// trace sum (tr S1 + tr S2), which scales the tolerance (SPEC-numeric.md A.5).
func fidReference(t *testing.T) (x, y []float32, want, traces float64) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fidFixtures, "fid_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name       string
			Components struct {
				Trace1 float64 `json:"trace_sigma1"`
				Trace2 float64 `json:"trace_sigma2"`
			}
			Symmetric struct{ Value float64 } `json:"symmetric_psd"`
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Cases {
		if c.Name == fidCase {
			x = readRawF32(t, filepath.Join(fidFixtures, fidCase+"__X.f32"))
			y = readRawF32(t, filepath.Join(fidFixtures, fidCase+"__Y.f32"))
			return x, y, c.Symmetric.Value, c.Components.Trace1 + c.Components.Trace2
		}
	}
	t.Fatalf("case %s not in fid_reference.json", fidCase)
	return
}

func readRawF32(t *testing.T, path string) []float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(raw)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return v
}

// evalFiles writes the feature files the tests use into dir.
func evalFiles(t *testing.T, dir string) (want, tol float64) {
	t.Helper()
	x, y, want, traces := fidReference(t)
	y64 := make([]float64, len(y))
	for i, v := range y {
		y64[i] = float64(v)
	}
	write := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	write("x.npy", tensor.WriteNPYFile(filepath.Join(dir, "x.npy"), tensor.FromFloat32(x, 500, 64)))
	write("y.npy", tensor.WriteNPYFile(filepath.Join(dir, "y.npy"), tensor.FromFloat32(y, 500, 64)))
	write(
		"y64.npy",
		tensor.WriteNPYFile(filepath.Join(dir, "y64.npy"), tensor.FromFloat64(y64, 500, 64)),
	)
	write("y.safetensors", tensor.WriteSafetensorsFile(filepath.Join(dir, "y.safetensors"),
		map[string]*tensor.Tensor{"features": tensor.FromFloat32(y, 500, 64)}, nil))
	write("two.safetensors", tensor.WriteSafetensorsFile(filepath.Join(dir, "two.safetensors"),
		map[string]*tensor.Tensor{
			"pool3":  tensor.FromFloat32(y, 500, 64),
			"logits": tensor.FromFloat32(y[:5000], 500, 10),
		}, nil))
	write(
		"flat.npy",
		tensor.WriteNPYFile(filepath.Join(dir, "flat.npy"), tensor.FromFloat32(x, len(x))),
	)
	write(
		"d10.npy",
		tensor.WriteNPYFile(filepath.Join(dir, "d10.npy"), tensor.FromFloat32(x[:5000], 500, 10)),
	)
	write(
		"one.npy",
		tensor.WriteNPYFile(filepath.Join(dir, "one.npy"), tensor.FromFloat32(x[:64], 1, 64)),
	)
	write("x.txt", os.WriteFile(filepath.Join(dir, "x.txt"), []byte("1 2 3\n"), 0o644))
	// Narrower than one 8-column panel of the packed kernels.
	write(
		"narrow.npy",
		tensor.WriteNPYFile(filepath.Join(dir, "narrow.npy"), tensor.FromFloat32(x[:400], 100, 4)),
	)

	// 20 samples of 32 features: rank-deficient.
	rng := rand.New(rand.NewPCG(1, 2))
	small := make([]float32, 20*32)
	for i := range small {
		small[i] = float32(rng.NormFloat64())
	}
	write(
		"small.npy",
		tensor.WriteNPYFile(filepath.Join(dir, "small.npy"), tensor.FromFloat32(small, 20, 32)),
	)
	return want, 1e-9 * traces
}

// TestEvalFID runs `pipe eval fid` on each input kind and mistake and
// checks the exit code, the distance against SciPy's, and the message.
func TestEvalFID(t *testing.T) {
	dir := t.TempDir()
	want, tol := evalFiles(t, dir)
	p := func(name string) string { return filepath.Join(dir, name) }

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		value  bool   // stdout carries the reference distance
		stdout string // substring of stdout
		stderr string // substring of stderr
	}{
		{"npy float32", []string{p("x.npy"), p("y.npy")}, 0, true,
			"FD: 5.026653\n  500 vs 500 samples, 64 features", ""},
		{"npy float64", []string{p("x.npy"), p("y64.npy")}, 0, true, "FD: 5.026653", ""},
		{"json", []string{"--json", p("x.npy"), p("y.npy")}, 0, true, `"metric": "frechet_distance"`, ""},
		{"safetensors", []string{"--json", p("x.npy"), p("y.safetensors")}, 0, true, `"d": 64`, ""},
		{"safetensors named", []string{"--tensor", "pool3", p("two.safetensors"), p("x.npy")}, 0,
			true, "FD: 5.026653", ""},
		{"safetensors ambiguous", []string{p("x.npy"), p("two.safetensors")}, 2, false, "",
			"2 tensors (logits, pool3); choose one with --tensor"},
		{"safetensors missing name", []string{"--tensor", "nope", p("x.npy"), p("y.safetensors")}, 2,
			false, "",
			`no tensor "nope"`},
		{"rank-deficient refused", []string{p("small.npy"), p("small.npy")}, 2, false, "",
			"set 1 has 20 samples for 32 features: no more samples than features"},
		{"rank-deficient allowed", []string{"--allow-rank-deficient", p("small.npy"), p("small.npy")},
			0, false,
			"FD: ", "warning: set 1 has 20 samples for 32 features"},
		{"dimensions differ", []string{p("x.npy"), p("d10.npy")}, 2, false, "",
			"feature dimensions differ: 64 and 10"},
		{"not a matrix", []string{p("flat.npy"), p("y.npy")}, 2, false, "",
			"want a 2-D matrix (samples x features), got shape [32000]"},
		{"one sample", []string{p("x.npy"), p("one.npy")}, 2, false, "",
			"need at least 2 samples, got 1"},
		{"unknown format", []string{p("x.txt"), p("y.npy")}, 2, false, "",
			"want a .npy or .safetensors file"},
		{"missing file", []string{p("none.npy"), p("y.npy")}, 2, false, "", "no such file"},
		{"one file", []string{p("x.npy")}, 2, false, "", "eval fid takes two feature files, got 1"},
		{"bad flag", []string{"--nope", p("x.npy"), p("y.npy")}, 2, false, "",
			"pipe: flag provided but not defined: -nope\nRun 'pipe help' for usage."},
		{"tensor without safetensors", []string{"--tensor", "pool3", p("x.npy"), p("y.npy")}, 2,
			false, "", "--tensor names a tensor of a .safetensors file"},
		{"narrow float32, identical", []string{p("narrow.npy"), p("narrow.npy")}, 0, false,
			"FD: 0.000000\n  100 vs 100 samples, 4 features", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := pipe(t, append([]string{"eval", "fid"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("pipe eval fid %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
					tc.args, r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("pipe eval fid %v: stdout = %q, want it to contain %q", tc.args, r.stdout, tc.stdout)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("pipe eval fid %v: stderr = %q, want it to contain %q", tc.args, r.stderr, tc.stderr)
			}
			if tc.code != 0 && strings.Contains(r.stderr, "Usage:") {
				t.Errorf("pipe eval fid %v: stderr carries the help page:\n%s", tc.args, r.stderr)
			}
			if tc.code == 0 && tc.stderr == "" && r.stderr != "" {
				t.Errorf("pipe eval fid %v: stderr = %q, want nothing", tc.args, r.stderr)
			}
			if !tc.value {
				return
			}
			var got float64
			if strings.Contains(strings.Join(tc.args, " "), "--json") {
				var res fidResult
				if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
					t.Fatalf("pipe eval fid --json: %v\n%s", err, r.stdout)
				}
				if res.N1 != 500 || res.N2 != 500 || res.D != 64 || res.Rank1 != 64 || len(res.Warnings) != 0 {
					t.Errorf("pipe eval fid --json = %+v, want n1 500, n2 500, d 64, rank 64, no warnings", res)
				}
				got = res.Value
				if sum := res.MeanTerm + res.Trace1 + res.Trace2 - 2*res.TraceSqrt; math.Abs(sum-got) > tol {
					t.Errorf("pipe eval fid --json: terms add up to %.12g, value %.12g", sum, got)
				}
				if math.Abs(got-want) > tol {
					t.Errorf("pipe eval fid --json value = %.12g, want %.12g (tol %.3g)", got, want, tol)
				}
			}
		})
	}
}

// TestEvalUsage checks the metric dispatch and the help.
func TestEvalUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"eval"}, 2, "", "eval takes a metric: fid"},
		{[]string{"eval", "bleu"}, 2, "", "eval bleu takes one hypothesis file, got 0"},
		{[]string{"eval", "rouge"}, 2, "", "eval rouge: unknown metric; want fid or bleu"},
		{[]string{"eval", "-h"}, 0, "Usage: pipe eval fid", ""},
		{[]string{"eval", "fid", "-h"}, 0, "", "  pipe eval fid real_feats.npy fake_feats.npy"},
	} {
		r := pipe(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) ||
			!strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("pipe %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}
