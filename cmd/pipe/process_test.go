package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests that need pipe as a separate process: to kill it, to interrupt it,
// or to run two at once on one cache.

// TestKillMidStage kills pipe while a stage is under way and has written
// part of its output. The stages finished before stay cached; the killed
// stage has no manifest, no laid-out output and no stored object; a rerun
// completes.
func TestKillMidStage(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	spec := "testdata/exec/slow.yaml"
	p := startPipe(t, "run", spec, "--cache", cacheDir, "-p", "dir="+dir)
	waitForFile(t, p, filepath.Join(dir, "marker"))
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("pipe ended with %v, not by SIGKILL\nstderr:\n%s", p.cmd.ProcessState, p.stderr.String())
	}

	keys := planKeys(t, spec, cacheDir, "dir="+dir)
	checkNothingCommitted(t, cacheDir, keys)

	// What the killed stage wrote sits in a temporary directory, which du
	// reports as a leftover and gc removes once it is an hour old.
	du := mustPipe(t, "cache", "du", "--cache", cacheDir)
	for _, want := range []string{"outputs    1 laid out", "leftovers  1 temporary files"} {
		if !strings.Contains(du.stdout, want) {
			t.Errorf("pipe cache du after the kill lacks %q:\n%s", want, du.stdout)
		}
	}
	temps := tempOutputs(t, cacheDir)
	if len(temps) != 1 {
		t.Fatalf("temporary directories in out/ after the kill: %q, want the killed stage's", temps)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(cacheDir, "out", temps[0]), old, old); err != nil {
		t.Fatal(err)
	}
	gc := mustPipe(t, "cache", "gc", "--all", "--cache", cacheDir)
	if !strings.Contains(gc.stdout, ", 1 temporary files,") || len(tempOutputs(t, cacheDir)) != 0 {
		t.Errorf("pipe cache gc did not remove the killed stage's temporary directory:\n%s", gc.stdout)
	}

	// Released, the stage finishes at once when run again.
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := parseRun(t, mustPipe(t, "run", spec, "--cache", cacheDir, "-p", "dir="+dir, "--json"))
	want := map[string]string{"before": "cached", "slow": "ran", "after": "ran"}
	checkStatuses(t, res, want)
	if got := listDir(t, outPath(cacheDir, keys["slow"])); !slices.Equal(
		got,
		[]string{"done.txt", "part.txt"},
	) {
		t.Errorf("slow's outputs after the rerun: %q", got)
	}
}

// checkNothingCommitted checks that "before" is cached and "slow", stopped
// mid-stage, left nothing a later run could take for its result.
func checkNothingCommitted(t *testing.T, cacheDir string, keys map[string]string) {
	t.Helper()
	if keys["before"] == "" || keys["slow"] == "" {
		t.Fatalf("plan keys %v: before should be cached, so slow's key known", keys)
	}
	if !exists(entryPath(cacheDir, keys["before"])) {
		t.Errorf("stage before finished but has no entry")
	}
	if exists(entryPath(cacheDir, keys["slow"])) {
		t.Errorf("stopped stage slow has an entry")
	}
	if exists(outPath(cacheDir, keys["slow"])) {
		t.Errorf("stopped stage slow has laid-out outputs at %s", outPath(cacheDir, keys["slow"]))
	}
	if exists(objectFor(cacheDir, partialOutput("slow"))) {
		t.Errorf("stopped stage slow had its partial output stored")
	}
}

func checkStatuses(t *testing.T, res runJSON, want map[string]string) {
	t.Helper()
	got := res.statuses()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("stage %s: %q, want %q", name, got[name], w)
		}
	}
}

// tempOutputs lists the temporary directories under the cache's out/.
func tempOutputs(t *testing.T, cacheDir string) []string {
	t.Helper()
	var temps []string
	for _, name := range listDir(t, filepath.Join(cacheDir, "out")) {
		if strings.HasPrefix(name, ".tmp-") {
			temps = append(temps, name)
		}
	}
	return temps
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Error(err)
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestInterrupt sends SIGINT to pipe mid-stage: it exits 130, commits
// nothing for that stage and cleans up what the stage wrote.
func TestInterrupt(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	spec := "testdata/exec/slow.yaml"
	p := startPipe(t, "run", spec, "--cache", cacheDir, "-p", "dir="+dir)
	waitForFile(t, p, filepath.Join(dir, "marker"))
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "pipe: interrupted; nothing partial was committed") {
		t.Errorf("stderr does not say it was interrupted:\n%s", p.stderr.String())
	}
	if p.stdout.Len() != 0 {
		t.Errorf("an interrupted run printed results:\n%s", p.stdout.String())
	}

	keys := planKeys(t, spec, cacheDir, "dir="+dir)
	checkNothingCommitted(t, cacheDir, keys)
	if temps := tempOutputs(t, cacheDir); len(temps) != 0 {
		t.Errorf("interrupted stage left temporary output directories in out/: %q", temps)
	}
	if got, want := countLines(t, dir), []string{"before"}; !slices.Equal(got, want) {
		t.Errorf("stages that ran: %q, want %q", got, want)
	}
}

// TestConcurrentRuns starts two pipes on one cache at once: each stage runs
// once, in one of them, and the other reuses it; both succeed.
func TestConcurrentRuns(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	args := []string{
		"run",
		"testdata/exec/concurrent.yaml",
		"--cache",
		cacheDir,
		"-p",
		"dir=" + dir,
		"--json",
		"-j",
		"2",
	}
	procs := []*proc{startPipe(t, args...), startPipe(t, args...)}
	ran := map[string]int{}
	for i, p := range procs {
		if code := p.wait(t); code != 0 {
			t.Fatalf("pipe %d: exit %d\nstderr:\n%s", i, code, p.stderr.String())
		}
		var res runJSON
		if err := json.Unmarshal(p.stdout.Bytes(), &res); err != nil {
			t.Fatalf("pipe %d: %v\n%s", i, err, p.stdout.String())
		}
		for name, status := range res.statuses() {
			switch status {
			case "ran":
				ran[name]++
			case "cached":
			default:
				t.Errorf("pipe %d: stage %s is %q", i, name, status)
			}
		}
	}
	want := map[string]int{"a": 1, "b": 1, "c": 1, "d": 1}
	for name, n := range want {
		if ran[name] != n {
			t.Errorf("stage %s ran in %d processes, want %d", name, ran[name], n)
		}
	}
	if got, want := countLines(t, dir), []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("count file: %q, want each stage once: %q", got, want)
	}
	if t.Failed() {
		for i, p := range procs {
			t.Logf("pipe %d stderr:\n%s", i, p.stderr.String())
		}
	}
}
