package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sweepJSON is the output of `pipe sweep --json`.
type sweepJSON struct {
	SweepID  string `json:"sweep_id"`
	Executed int    `json:"executed"`
	Shared   int    `json:"shared"`
	Cached   int    `json:"cached"`
	Failed   int    `json:"failed"`
	Runs     []struct {
		RunID  string         `json:"run_id"`
		Point  map[string]any `json:"point"`
		Stages []struct {
			Name    string             `json:"name"`
			Status  string             `json:"status"`
			Metrics map[string]float64 `json:"metrics"`
		} `json:"stages"`
	} `json:"runs"`
}

func TestSweepSharesStages(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	r := mustPipe(t, "sweep", "testdata/sweep/grid.yaml", "--cache", cacheDir, "-p", "dir="+dir,
		"--set", "k=1,3,5", "--set", "beta=0.001,0.01,0.1", "-j", "3", "--json")
	var out sweepJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("sweep --json: %v\n%s", err, r.stdout)
	}
	// data and aug once, train once per point; the other eight points
	// share data and aug.
	if out.Executed != 2+9 || out.Shared != 2*8 || out.Cached != 0 || out.Failed != 0 {
		t.Errorf("executed %d, shared %d, cached %d, failed %d; want 11, 16, 0, 0",
			out.Executed, out.Shared, out.Cached, out.Failed)
	}
	if got, want := countLines(t, dir), []string{"aug", "data"}; !slices.Equal(got, want) {
		t.Errorf("test/count ran %q, want data and aug once each", got)
	}
	if len(out.Runs) != 9 {
		t.Fatalf("%d runs, want 9", len(out.Runs))
	}
	seen := map[string]bool{}
	for _, run := range out.Runs {
		if run.RunID == "" || seen[run.RunID] {
			t.Errorf("point %v: run ID %q missing or repeated", run.Point, run.RunID)
		}
		seen[run.RunID] = true
		k, _ := run.Point["k"].(float64)
		beta, _ := run.Point["beta"].(float64)
		for _, s := range run.Stages {
			if s.Name == "train" && s.Metrics["loss"] != 1/k+beta {
				t.Errorf("point %v: loss %v, want %v", run.Point, s.Metrics["loss"], 1/k+beta)
			}
		}
	}

	// The sweep is recorded: compare finds its nine runs, the parameters
	// that differ as columns.
	cmp := mustPipe(t, "compare", "--cache", cacheDir, "--sweep", "last", "--format", "csv",
		"--sort", "train.loss")
	lines := strings.Split(strings.TrimSpace(cmp.stdout), "\n")
	if len(lines) != 10 || !strings.Contains(lines[0], "k") || !strings.Contains(lines[0], "beta") {
		t.Errorf("compare --sweep last: want a header with k and beta and 9 rows, got\n%s", cmp.stdout)
	}

	// Again: everything is cached, nothing executes.
	r = mustPipe(t, "sweep", "testdata/sweep/grid.yaml", "--cache", cacheDir, "-p", "dir="+dir,
		"--set", "k=1,3,5", "--set", "beta=0.001,0.01,0.1", "--json")
	out = sweepJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Executed != 0 || out.Cached != 11 {
		t.Errorf("second sweep: executed %d, cached %d; want 0 and 11", out.Executed, out.Cached)
	}
}

func TestSweepErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown parameter", []string{"--set", "gamma=1,2"}, `gamma`},
		{"empty list", []string{"--set", "k="}, `k`},
		{"bad value", []string{"--set", "k=1,x"}, `k`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"sweep", "testdata/sweep/grid.yaml", "--cache", filepath.Join(dir, "c"),
				"-p", "dir=" + dir}, tc.args...)
			r := pipe(t, args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d; stderr should name %q:\n%s", r.code, exitUsage, tc.want, r.stderr)
			}
		})
	}
}

func TestReproduce(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		code   int
		output []string
	}{
		{"reproduce.yaml", 0, []string{"identical", "every deterministic stage reproduced bit for bit"}},
		{"noise.yaml", 1, []string{"differs", "1 deterministic stage(s) did not reproduce"}},
		{"declared.yaml", 0, []string{"differs (nondeterministic stage)",
			"every deterministic stage reproduced"}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			cacheDir := filepath.Join(t.TempDir(), "cache")
			run := parseRun(t, mustPipe(t, "run", "testdata/sweep/"+tc.spec, "--cache", cacheDir, "--json"))
			r := pipe(t, "reproduce", run.RunID[:8], "--cache", cacheDir)
			if r.code != tc.code {
				t.Errorf("reproduce: exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range tc.output {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("reproduce output lacks %q:\n%s", s, r.stdout)
				}
			}
			// The score stage is deterministic in every case.
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(line, "score ") && !strings.Contains(line, "identical") {
					t.Errorf("score did not reproduce: %s", line)
				}
			}
		})
	}
}
