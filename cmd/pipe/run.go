package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

const runUsage = `
Usage: pipe run SPEC [-p name=value]... [--force STAGE]... [-j N] [--json]

Runs the experiment in SPEC. Stages whose key (kind, version, parameters,
inputs, seed) is in the cache are reused; the others run, independent ones in
parallel, and are committed to the cache when they succeed.

Examples:
  pipe run experiments/fashion-gan.yaml
  pipe run experiments/fashion-gan.yaml -p k=3 -p lr=1e-4
  pipe run experiments/fashion-vae.yaml --force train --json | jq .run_id
`

type runOptions struct {
	common  commonFlags
	params  stringList
	force   stringList
	jobs    int
	threads int
	json    bool
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o runOptions
	fs := newFlagSet("run", runUsage, stderr)
	o.common.register(fs)
	fs.Var(&o.params, "p", "override a parameter: name=value (repeatable)")
	fs.Var(&o.force, "force", "run this stage even if cached (repeatable)")
	fs.IntVar(&o.jobs, "j", runtime.NumCPU(), "stages to run at once")
	fs.IntVar(
		&o.threads,
		"threads",
		runtime.NumCPU(),
		"compute threads for libtorch and parallel stages",
	)
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("run takes one experiment file, got %d", len(pos))
	}
	return o.run(ctx, pos[0], stdout, stderr)
}

func helpOK(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func (o *runOptions) run(ctx context.Context, specPath string, stdout, stderr io.Writer) error {
	g, err := loadGraph(specPath, o.params)
	if err != nil {
		return err
	}
	force := map[string]bool{}
	for _, f := range o.force {
		if g.Node(f) == nil {
			return usagef("--force %s: no such stage in %s", f, specPath)
		}
		force[f] = true
	}
	if o.jobs < 1 || o.threads < 1 {
		return usagef("-j and --threads must be at least 1")
	}

	log := o.common.logger(stderr)
	c, err := o.common.openCache(log)
	if err != nil {
		return err
	}
	x := pipeline.NewExecutor(c, o.jobs, log)
	x.Threads, x.Force, x.DebugHash = o.threads, force, debugHash(stderr)
	x.Board = pipeline.NewProgressBoard(stderr, isTerminal(stderr))

	started := time.Now()
	results, err := x.Run(ctx, g)
	if errors.Is(err, context.Canceled) {
		return err
	}
	var runID cache.ID
	if err == nil {
		rec := pipeline.NewRecord(g, o.params, results, started, pipeline.CurrentEnv(o.threads, o.jobs))
		if runID, err = rec.Save(c); err != nil {
			return err
		}
	}
	if o.json {
		if jerr := printRunJSON(stdout, runID, results); jerr != nil {
			return jerr
		}
	} else {
		printRunText(stdout, g, runID, results)
	}
	if err != nil {
		for _, r := range results {
			if r.Err != nil {
				fmt.Fprintf(stderr, "pipe: %v\n", r.Err)
			}
		}
		return errSilent
	}
	return nil
}

// stageJSON is one stage in the output of run --json and plan --json.
type stageJSON struct {
	Name    string             `json:"name"`
	Kind    string             `json:"kind"`
	Key     string             `json:"key,omitempty"`
	Cached  bool               `json:"cached"`
	Shared  bool               `json:"shared,omitempty"`
	Seconds *float64           `json:"seconds,omitempty"`
	Outputs map[string]string  `json:"outputs,omitempty"`
	Dir     string             `json:"dir,omitempty"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Status  string             `json:"status,omitempty"`
	Error   string             `json:"error,omitempty"`
}

func printRunJSON(w io.Writer, runID cache.ID, results []*pipeline.StageResult) error {
	out := struct {
		RunID  string      `json:"run_id,omitempty"`
		Stages []stageJSON `json:"stages"`
	}{Stages: stagesJSON(results)}
	if !runID.IsZero() {
		out.RunID = runID.String()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func stagesJSON(results []*pipeline.StageResult) []stageJSON {
	out := []stageJSON{}
	for _, r := range results {
		s := stageJSON{Name: r.Name, Kind: r.Kind, Cached: r.Cached, Shared: r.Shared,
			Metrics: r.Metrics, Dir: r.Dir, Status: status(r)}
		if !r.Key.IsZero() {
			s.Key = r.Key.String()
		}
		secs := round3(r.Seconds)
		s.Seconds = &secs
		if len(r.Outputs) > 0 {
			s.Outputs = map[string]string{}
			for _, o := range r.Outputs {
				s.Outputs[o.Name] = o.ID.String()
			}
		}
		if r.Err != nil {
			s.Error = r.Err.Error()
		}
		out = append(out, s)
	}
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func status(r *pipeline.StageResult) string {
	switch {
	case r.Err != nil:
		return "failed"
	case r.Skipped:
		return "skipped"
	case r.Shared:
		return "shared"
	case r.Cached:
		return "cached"
	}
	return "ran"
}

func printRunText(w io.Writer, g *pipeline.Graph, runID cache.ID, results []*pipeline.StageResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tKIND\tSTATUS\tSECONDS\tKEY")
	for _, r := range results {
		key := "-"
		if !r.Key.IsZero() {
			key = r.Key.Short()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\n", r.Name, r.Kind, status(r), r.Seconds, key)
	}
	tw.Flush()

	var metrics, pictures []string
	for _, r := range results {
		names := make([]string, 0, len(r.Metrics))
		for m := range r.Metrics {
			names = append(names, m)
		}
		sort.Strings(names)
		for _, m := range names {
			metrics = append(metrics, fmt.Sprintf("  %s.%s = %s", r.Name, m, formatMetric(r.Metrics[m], 6)))
		}
		for _, o := range r.Outputs {
			if strings.HasSuffix(o.Name, ".png") && r.Dir != "" {
				pictures = append(pictures, "  "+filepath.Join(r.Dir, o.Name))
			}
		}
	}
	if len(metrics) > 0 {
		fmt.Fprintf(w, "\nmetrics:\n%s\n", strings.Join(metrics, "\n"))
	}
	if len(pictures) > 0 {
		fmt.Fprintf(w, "\npictures:\n%s\n", strings.Join(pictures, "\n"))
	}
	if !runID.IsZero() {
		fmt.Fprintf(w, "\nrun %s (%s)\n", runID.Short(), g.Spec.Name)
	}
}

// formatMetric prints a metric for people: whole numbers (counts, sizes)
// in full, others with digits significant digits.
func formatMetric(v float64, digits int) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}
