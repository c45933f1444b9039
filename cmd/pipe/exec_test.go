package main

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRunTwiceAllCached runs an experiment on real data twice: the second
// run reuses every stage, with the same keys and outputs, and runs nothing.
func TestRunTwiceAllCached(t *testing.T) {
	needFashion(t)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	args := []string{
		"run",
		"testdata/exec/twice.yaml",
		"--cache",
		cacheDir,
		"-p",
		"dir=" + dir,
		"--json",
	}

	first := parseRun(t, mustPipe(t, args...))
	for _, s := range first.Stages {
		if s.Status != "ran" {
			t.Errorf("first run: stage %s is %q, want ran", s.Name, s.Status)
		}
	}
	if got := first.Stages[0].Metrics["count"]; first.Stages[0].Name != "data" || got != 500 {
		t.Errorf("first run: stage %s read %v images, want data with 500", first.Stages[0].Name, got)
	}

	r := mustPipe(t, args...)
	second := parseRun(t, r)
	if len(second.Stages) != len(first.Stages) {
		t.Fatalf("second run has %d stages, first %d", len(second.Stages), len(first.Stages))
	}
	for i, s := range second.Stages {
		f := first.Stages[i]
		if s.Status != "cached" || !s.Cached {
			t.Errorf("second run: stage %s is %q (cached %v), want cached", s.Name, s.Status, s.Cached)
		}
		if s.Key != f.Key || s.Key == "" {
			t.Errorf("stage %s: key %q, first run %q", s.Name, s.Key, f.Key)
		}
		if !maps.Equal(s.Outputs, f.Outputs) || len(s.Outputs) == 0 {
			t.Errorf("stage %s: outputs %v, first run %v", s.Name, s.Outputs, f.Outputs)
		}
	}
	if second.RunID == "" || second.RunID == first.RunID {
		t.Errorf("run IDs %q then %q: want two recorded runs", first.RunID, second.RunID)
	}
	if strings.Contains(r.stderr, "stage start") {
		t.Errorf("second run started a stage:\n%s", r.stderr)
	}
	if got, want := countLines(t, dir), []string{"count-norm", "side"}; !slices.Equal(got, want) {
		t.Errorf("stages that ran, by their count file: %q, want %q once each", got, want)
	}
}

// countLines returns the lines test/count wrote to dir/count, sorted.
func countLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "count"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	slices.Sort(lines)
	return lines
}

// objectFor is the path the cache would store content under.
func objectFor(cacheDir, content string) string {
	sum := sha256.Sum256([]byte(content))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(cacheDir, "objects", h[:2], h)
}

// TestExitCodes checks the codes `pipe help` documents, except 130, which
// needs a signal (TestInterrupt). "$DIR" in args is a fresh directory.
func TestExitCodes(t *testing.T) {
	needFashion(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // a line stderr must hold
	}{
		{"success", []string{"run", "testdata/run/fashion.yaml"}, exitOK, ""},
		{"help", []string{"run", "-h"}, exitOK,
			"Usage: pipe run SPEC [-p name=value]... [--force STAGE]... [-j N] [--json]"},
		{"stage-fails", []string{"run", "testdata/exec/fail.yaml", "-p", "dir=$DIR"}, exitFailed,
			`pipe: stage "x" (test/fail): loss is NaN at step 3`},
		{"invalid-spec", []string{"run", "testdata/validate/stages.yaml"}, exitUsage,
			`testdata/validate/stages.yaml:9:11: stages.data.uses: ` +
				`unknown stage kind "dataset/idz" (did you mean "dataset/idx"?)`},
		{"missing-spec", []string{"plan", "testdata/nonexistent.yaml"}, exitUsage,
			"pipe: read experiment: open testdata/nonexistent.yaml: no such file or directory"},
		{"unknown-flag", []string{"run", "--bogus", "testdata/run/fashion.yaml"}, exitUsage,
			"pipe: flag provided but not defined: -bogus"},
		{"unknown-force", []string{"run", "testdata/run/fashion.yaml", "--force", "nrom"}, exitUsage,
			"pipe: --force nrom: no such stage in testdata/run/fashion.yaml"},
		{"unknown-param", []string{"run", "testdata/run/fashion.yaml", "-p", "m=3"}, exitUsage,
			`command line: params.m: no such parameter in testdata/run/fashion.yaml (did you mean "n"?)`},
		{"bad-run-id", []string{"show", "zz"}, exitUsage, `pipe: run "zz": not a hex run id or prefix`},
		{
			"no-cache",
			[]string{"show", "abc"},
			exitUsage,
			"pipe: no cache at $DIR/cache: nothing has run with it (--cache or PIPE_CACHE chooses another)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var args []string
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "$DIR", dir))
			}
			args = append(args, "--cache", filepath.Join(dir, "cache"))
			if tt.name != "no-cache" {
				if err := os.MkdirAll(filepath.Join(dir, "cache"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			r := pipe(t, args...)
			if r.code != tt.code {
				t.Errorf(
					"pipe %s: exit %d, want %d\nstderr:\n%s",
					strings.Join(args, " "),
					r.code,
					tt.code,
					r.stderr,
				)
			}
			want := strings.ReplaceAll(tt.stderr, "$DIR", dir)
			if want != "" && !slices.Contains(strings.Split(r.stderr, "\n"), want) {
				t.Errorf(
					"pipe %s: stderr lacks the line\n%s\nstderr:\n%s",
					strings.Join(args, " "),
					want,
					r.stderr,
				)
			}
			if tt.name == "no-cache" && exists(filepath.Join(dir, "cache")) {
				t.Errorf("pipe %s created the cache it only reads", strings.Join(args, " "))
			}
		})
	}
}

// TestStageFailure: a failing stage stops what depends on it, commits
// nothing of its own, and leaves independent stages cached.
func TestStageFailure(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	spec := "testdata/exec/fail.yaml"
	r := pipe(t, "run", spec, "--cache", cacheDir, "-p", "dir="+dir, "--json")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFailed, r.stderr)
	}
	res := parseRun(t, r)
	want := map[string]string{"x": "failed", "after-x": "skipped", "ok": "ran"}
	if got := res.statuses(); !maps.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if res.RunID != "" {
		t.Errorf("a failed run was recorded as %s", res.RunID)
	}
	for _, s := range res.Stages {
		if s.Name == "x" && s.Error != `stage "x" (test/fail): loss is NaN at step 3` {
			t.Errorf("stage x: error %q", s.Error)
		}
	}

	keys := planKeys(t, spec, cacheDir, "dir="+dir)
	if !exists(entryPath(cacheDir, keys["ok"])) {
		t.Errorf("independent stage ok was not cached")
	}
	if exists(entryPath(cacheDir, keys["x"])) || exists(outPath(cacheDir, keys["x"])) {
		t.Errorf("failed stage x left an entry or laid-out outputs")
	}
	if exists(objectFor(cacheDir, "never committed\n")) {
		t.Errorf("failed stage x stored its output")
	}
	if got, want := countLines(t, dir), []string{"ok"}; !slices.Equal(got, want) {
		t.Errorf("stages that ran: %q, want %q", got, want)
	}

	// Again: ok is reused, x fails again.
	res = parseRun(t, pipe(t, "run", spec, "--cache", cacheDir, "-p", "dir="+dir, "--json"))
	want["ok"] = "cached"
	if got := res.statuses(); !maps.Equal(got, want) {
		t.Errorf("second run: statuses %v, want %v", got, want)
	}
}

// TestCorruptObject damages a stored output and removes the laid-out
// copies: the next run warns, recomputes that stage to the same output,
// and reuses the stage after it.
func TestCorruptObject(t *testing.T) {
	needFashion(t)
	damage := map[string]func(path string, data []byte) error{
		"flipped-byte": func(path string, data []byte) error {
			data[len(data)-20] ^= 0x40
			return os.WriteFile(path, data, 0o444)
		},
		"truncated": func(path string, data []byte) error {
			return os.Truncate(path, int64(len(data)-100))
		},
	}
	for name, corrupt := range damage {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cacheDir := filepath.Join(dir, "cache")
			args := []string{"run", "testdata/run/fashion.yaml", "--cache", cacheDir, "--json"}
			first := parseRun(t, mustPipe(t, args...))
			id := first.Stages[0].Outputs["data.safetensors"]
			if first.Stages[0].Name != "data" || len(id) != 64 {
				t.Fatalf("first stage %s has outputs %v", first.Stages[0].Name, first.Stages[0].Outputs)
			}

			obj := filepath.Join(cacheDir, "objects", id[:2], id)
			data, err := os.ReadFile(obj)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(obj, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := corrupt(obj, data); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(cacheDir, "out")); err != nil {
				t.Fatal(err)
			}

			r := mustPipe(t, args...)
			second := parseRun(t, r)
			want := map[string]string{"data": "ran", "norm": "cached"}
			if got := second.statuses(); !maps.Equal(got, want) {
				t.Errorf("after corruption: statuses %v, want %v", got, want)
			}
			if !strings.Contains(r.stderr, `level=WARN msg="cache entry unusable, recomputing" stage=data`) {
				t.Errorf("no warning about the corrupt entry:\n%s", r.stderr)
			}
			if got := second.Stages[0].Outputs["data.safetensors"]; got != id {
				t.Errorf("recomputed output %s, want %s as before", got, id)
			}

			r = mustPipe(t, args...)
			third := parseRun(t, r)
			want = map[string]string{"data": "cached", "norm": "cached"}
			if got := third.statuses(); !maps.Equal(got, want) || strings.Contains(r.stderr, "WARN") {
				t.Errorf("after repair: statuses %v, want %v\nstderr:\n%s", got, want, r.stderr)
			}
		})
	}
}
