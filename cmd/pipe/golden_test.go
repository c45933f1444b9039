package main

import (
	"path/filepath"
	"regexp"
	"testing"
)

// Golden transcripts of commands whose output people read. Regenerate with
// `go test ./cmd/pipe -update` and review the diff.

func TestGoldenHelp(t *testing.T) {
	golden(t, "help", newNormalizer(t, ""), pipe(t, "help"))
}

func TestGoldenUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no-command", nil},
		{"unknown-command", []string{"frobnicate"}},
		{"run-no-spec", []string{"run"}},
		{"run-two-specs", []string{"run", "a.yaml", "b.yaml"}},
		{"graph-bad-format", []string{"graph", "testdata/run/fashion.yaml", "--format", "svg"}},
		{"cache-bad-subcommand", []string{"cache", "--cache", "CACHE", "compact"}},
		{"bad-override", []string{"validate", "testdata/run/fashion.yaml", "-p", "n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			n := newNormalizer(t, "")
			if len(args) > 2 && args[2] == "CACHE" {
				dir := t.TempDir()
				args = append([]string{}, args...)
				args[2] = dir
				n = newNormalizer(t, dir)
			}
			r := pipe(t, args...)
			if r.code != exitUsage {
				t.Errorf("pipe %v: exit %d, want %d", args, r.code, exitUsage)
			}
			if r.stdout != "" {
				t.Errorf("pipe %v: usage error wrote to stdout:\n%s", args, r.stdout)
			}
			golden(t, "usage-"+tt.name, n, r)
		})
	}
}

func TestGoldenValidate(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		code  int
	}{
		{"structure", []string{"testdata/validate/structure.yaml"}, exitUsage},
		{"stages", []string{"testdata/validate/stages.yaml", "testdata/run/fashion.yaml"}, exitUsage},
		{"connections", []string{"testdata/validate/connections.yaml"}, exitUsage},
		{"ok", []string{"testdata/run/fashion.yaml", "testdata/graph/diamond.yaml"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pipe(t, append([]string{"validate"}, tt.files...)...)
			if r.code != tt.code {
				t.Errorf("pipe validate %v: exit %d, want %d", tt.files, r.code, tt.code)
			}
			golden(t, "validate-"+tt.name, newNormalizer(t, ""), r)
		})
	}
}

func TestGoldenGraph(t *testing.T) {
	for _, format := range []string{"dot", "mermaid"} {
		t.Run(format, func(t *testing.T) {
			r := mustPipe(t, "graph", "testdata/graph/diamond.yaml", "--format", format)
			golden(t, "graph-"+format, newNormalizer(t, ""), r)
		})
	}
}

// TestGoldenPlan shows plan before a run (the first stage's key known, the
// second's not yet), after it (both hits, the same keys run printed), and
// with an override that changes the first stage's key.
func TestGoldenPlan(t *testing.T) {
	needFashion(t)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	spec := "testdata/run/fashion.yaml"

	before := pipe(t, "plan", spec, "--cache", cacheDir)
	ran := mustPipe(t, "run", spec, "--cache", cacheDir, "-j", "2", "--threads", "2")
	after := pipe(t, "plan", spec, "--cache", cacheDir)
	changed := pipe(t, "plan", spec, "--cache", cacheDir, "-p", "n=300")
	forced := pipe(t, "plan", spec, "--cache", cacheDir, "--force", "norm")

	n := newNormalizer(t, dir)
	n.add(shortRunID(t, ran), "$RUN")
	golden(t, "plan", n, before, ran, after, changed, forced)
}

// shortRunID reads the run ID from the last line of run's text output,
// "run 3f9c2a1b4d5e (name)".
func shortRunID(t *testing.T, r result) string {
	t.Helper()
	m := runLineRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("pipe %v: no run ID in output:\n%s", r.args, r.stdout)
	}
	return m[1]
}

var runLineRE = regexp.MustCompile(`(?m)^run ([0-9a-f]{12}) \(`)
