package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// runIDs lists the run records in a cache, as their full IDs.
func runIDs(t *testing.T, cacheDir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(cacheDir, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && len(id) == 64 {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestRecords runs an experiment at two values of a parameter, then shows
// the records (runs, show), the cache (cache du), and collects it: gc
// keeps what the runs refer to, and once a run's record is deleted frees
// the entries and objects only that run used.
func TestRecords(t *testing.T) {
	needFashion(t)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	spec := "testdata/run/fashion.yaml"
	run500 := mustPipe(t, "run", spec, "--cache", cacheDir, "-j", "2", "--threads", "2")
	id500 := runIDs(t, cacheDir)[0]
	// Listed newest first by the records' times; make the order certain.
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(filepath.Join(cacheDir, "runs", id500+".json"), old, old); err != nil {
		t.Fatal(err)
	}
	run300 := mustPipe(t, "run", spec, "--cache", cacheDir, "-j", "2", "--threads", "2", "-p", "n=300")
	var id300 string
	for _, id := range runIDs(t, cacheDir) {
		if id != id500 {
			id300 = id
		}
	}
	if !strings.Contains(run500.stdout, "run "+id500[:12]) ||
		!strings.Contains(run300.stdout, "run "+id300[:12]) {
		t.Fatalf(
			"run IDs %s and %s are not the ones the runs printed:\n%s\n%s",
			id500,
			id300,
			run500.stdout,
			run300.stdout,
		)
	}
	keys500 := planKeys(t, spec, cacheDir)
	keys300 := planKeys(t, spec, cacheDir, "n=300")

	runs := mustPipe(t, "runs", "--cache", cacheDir)
	show := mustPipe(t, "show", id500[:8], "--cache", cacheDir)
	du := mustPipe(t, "cache", "du", "--cache", cacheDir)
	gcAll := mustPipe(t, "cache", "gc", "--cache", cacheDir)

	abs, err := filepath.Abs(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"run        " + id500, "experiment fashion-prep (" + abs + ")",
		"versions   pipe ", "  n = 500", keys500["data"][:12], keys500["norm"][:12],
		"count=500", "data/data.safetensors", "spec (" + abs + "):", "      limit: ${n}",
	} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("pipe show lacks %q:\n%s", want, show.stdout)
		}
	}
	if !strings.HasPrefix(gcAll.stdout, "freed 0 B: 0 entries, 0 objects") {
		t.Errorf("gc with every run recorded freed something:\n%s", gcAll.stdout)
	}

	if err := os.Remove(filepath.Join(cacheDir, "runs", id300+".json")); err != nil {
		t.Fatal(err)
	}
	gcOne := mustPipe(t, "cache", "gc", "--cache", cacheDir)
	if !strings.Contains(
		gcOne.stdout,
		": 2 entries, 2 objects, 0 temporary files, 2 laid-out outputs",
	) {
		t.Errorf("gc after forgetting run %s did not free its two stages:\n%s", id300[:12], gcOne.stdout)
	}
	for _, k := range keys300 {
		if exists(entryPath(cacheDir, k)) || exists(outPath(cacheDir, k)) {
			t.Errorf("key %s of the forgotten run is still cached", k[:12])
		}
	}
	for _, k := range keys500 {
		if !exists(entryPath(cacheDir, k)) || !exists(outPath(cacheDir, k)) {
			t.Errorf("key %s of the kept run was collected", k[:12])
		}
	}
	duAfter := mustPipe(t, "cache", "du", "--cache", cacheDir)
	planAfter := mustPipe(t, "plan", spec, "--cache", cacheDir)
	if strings.Contains(planAfter.stdout, "miss") {
		t.Errorf("the kept run's stages are no longer cached:\n%s", planAfter.stdout)
	}

	n := newNormalizer(t, dir)
	n.addRun(id500, "$RUN500")
	n.addRun(id300, "$RUN300")
	golden(t, "records", n, runs, show, du, gcAll, gcOne, duAfter, planAfter)
}

// TestRunsEmpty: a cache without records says so on stderr, and nothing
// on stdout.
func TestRunsEmpty(t *testing.T) {
	dir := t.TempDir()
	r := mustPipe(t, "runs", "--cache", filepath.Join(dir, "cache"))
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.stdout != "" || !slices.Contains(lines, "no recorded runs in "+filepath.Join(dir, "cache")) {
		t.Errorf("pipe runs on an empty cache: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}
