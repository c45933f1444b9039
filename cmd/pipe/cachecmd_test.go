package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGCWork: gc removes the work directory of a committed stage, keeps
// the checkpoints of one that never finished, and removes those with --work.
func TestGCWork(t *testing.T) {
	cacheDir := filepath.Join(t.TempDir(), "cache")
	run := parseRun(
		t,
		mustPipe(t, "run", "testdata/sweep/reproduce.yaml", "--cache", cacheDir, "--json", "-q"),
	)
	done := filepath.Join(cacheDir, "work", run.Stages[0].Key)
	unfinished := filepath.Join(cacheDir, "work", strings.Repeat("ab", 32))
	for _, d := range []string{done, unfinished} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "checkpoint"), make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	r := mustPipe(t, "cache", "gc", "--cache", cacheDir)
	if exists(done) || !exists(unfinished) {
		t.Errorf("after gc: committed stage's work dir exists %v, unfinished one's %v; want false, true",
			exists(done), exists(unfinished))
	}
	for _, want := range []string{"freed 1000 B of checkpoints: 1 stage",
		"kept the checkpoints of 1 stage that did not finish"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("gc output lacks %q:\n%s", want, r.stdout)
		}
	}

	mustPipe(t, "cache", "gc", "--work", "--dry-run", "--cache", cacheDir)
	if !exists(unfinished) {
		t.Error("gc --work --dry-run removed checkpoints")
	}
	mustPipe(t, "cache", "gc", "--work", "--cache", cacheDir)
	if exists(unfinished) {
		t.Error("gc --work kept the unfinished stage's checkpoints")
	}
}

// TestRunsKept: after gc --keep-last 1, pipe runs says which run's outputs
// the cache no longer holds.
func TestRunsKept(t *testing.T) {
	cacheDir := filepath.Join(t.TempDir(), "cache")
	mustPipe(t, "run", "testdata/sweep/reproduce.yaml", "--cache", cacheDir, "-q")
	mustPipe(t, "run", "testdata/sweep/reproduce.yaml", "-p", "k=7", "--cache", cacheDir, "-q")
	mustPipe(t, "cache", "gc", "--keep-last", "1", "--cache", cacheDir)
	r := mustPipe(t, "runs", "--cache", cacheDir)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	// Newest first: the k=7 run keeps everything. Both stages of the first
	// run have other keys (k differs, and with it the second stage's
	// input), so none of it is kept.
	if len(lines) != 3 || !strings.Contains(lines[1], " all ") ||
		!strings.Contains(lines[2], "none (gc)") {
		t.Errorf("pipe runs after gc --keep-last 1:\n%s", r.stdout)
	}
}
