package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

const reproduceUsage = `
Usage: pipe reproduce RUN [-j N] [--keep]

Runs every stage of a recorded run again, from scratch: in a new, empty cache,
with the recorded experiment text, parameters, seed and thread count. For each
stage it prints the recorded and the new output ID and whether they are
identical, and how the metrics moved. Exits 0 when every stage that is
expected to be deterministic gave identical bytes, 1 otherwise.

Examples:
  pipe reproduce 3f9c2a1
  pipe reproduce 3f9c2a1 --keep     # keep the scratch cache to inspect outputs
`

func runReproduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		common commonFlags
		jobs   int
		keep   bool
	)
	fs := newFlagSet("reproduce", reproduceUsage, stderr)
	common.register(fs)
	fs.IntVar(&jobs, "j", 1, "stages to run at once")
	fs.BoolVar(&keep, "keep", false, "keep the scratch cache and print where it is")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("reproduce takes one run ID (or a unique prefix)")
	}
	log := common.logger(stderr)
	c, err := common.openExistingCache(log)
	if err != nil {
		return err
	}
	id, rec, err := pipeline.LoadRecord(c, pos[0])
	if err != nil {
		return invalid(err)
	}
	g, err := recordGraph(rec)
	if err != nil {
		return fmt.Errorf("run %s: rebuild its experiment: %w", id.Short(), err)
	}

	scratchDir, err := os.MkdirTemp("", "pipe-reproduce-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(stderr, "scratch cache: %s\n", scratchDir)
	} else {
		defer os.RemoveAll(scratchDir)
	}
	scratch, err := cache.Open(scratchDir, log)
	if err != nil {
		return err
	}
	x := pipeline.NewExecutor(scratch, jobs, log)
	// The recorded thread count: libtorch's reductions can round
	// differently with another.
	x.Threads = rec.Env.Threads
	x.Board = pipeline.NewProgressBoard(stderr, isTerminal(stderr))
	results, runErr := x.Run(ctx, g)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	fmt.Fprintf(stdout, "run %s (%s), reproduced from scratch\n\n", id.Short(), rec.Experiment)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tKIND\tRECORDED\tNEW\tRESULT\tMETRICS")
	mismatch := 0
	byName := map[string]*pipeline.StageResult{}
	for _, r := range results {
		byName[r.Name] = r
	}
	for _, rs := range rec.Stages {
		r := byName[rs.Name]
		result, newID := "identical", "-"
		switch {
		case r == nil:
			result = "missing from the experiment"
		case r.Err != nil:
			result = "failed: " + r.Err.Error()
		case r.Skipped:
			result = "skipped: an input failed"
		default:
			newID = r.OutputID.Short()
			if r.OutputID != rs.OutputID {
				result = "differs"
			}
		}
		if result != "identical" {
			if rs.Deterministic {
				mismatch++
			} else {
				result += " (nondeterministic stage)"
			}
		}
		if r != nil && r.Key != rs.Key && r.Err == nil && !r.Skipped {
			result += "; key changed"
		}
		var m map[string]float64
		if r != nil {
			m = r.Metrics
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", rs.Name, rs.Kind, rs.OutputID.Short(), newID, result,
			metricDiff(rs.Metrics, m))
	}
	tw.Flush()
	if runErr != nil {
		fmt.Fprintf(stderr, "pipe: %v\n", runErr)
	}
	if mismatch > 0 {
		fmt.Fprintf(stdout, "\n%d deterministic stage(s) did not reproduce\n", mismatch)
		return errSilent
	}
	fmt.Fprintln(stdout, "\nevery deterministic stage reproduced bit for bit")
	return nil
}

// recordGraph rebuilds a recorded run's graph from the experiment text it
// recorded, its overrides and its sweep point.
func recordGraph(rec *pipeline.Record) (*pipeline.Graph, error) {
	spec, err := pipeline.Parse(rec.SpecFile, []byte(rec.Spec))
	if err != nil {
		return nil, err
	}
	ovs, err := parseOverrides(rec.Overrides)
	if err != nil {
		return nil, err
	}
	if rec.Sweep != nil {
		names := make([]string, 0, len(rec.Sweep.Point))
		for k := range rec.Sweep.Point {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			// JSON is YAML: the value reads back with its type.
			j, err := json.Marshal(rec.Sweep.Point[k])
			if err != nil {
				return nil, err
			}
			o, err := pipeline.ParseOverride(k + "=" + string(j))
			if err != nil {
				return nil, err
			}
			ovs = append(ovs, o)
		}
	}
	return pipeline.Resolve(spec, ovs)
}

// metricDiff prints each metric as recorded -> new, with the relative change.
func metricDiff(old, cur map[string]float64) string {
	names := map[string]bool{}
	for k := range old {
		names[k] = true
	}
	for k := range cur {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		a, okA := old[k]
		b, okB := cur[k]
		switch {
		case !okB:
			parts = append(parts, fmt.Sprintf("%s %.6g -> -", k, a))
		case !okA:
			parts = append(parts, fmt.Sprintf("%s - -> %.6g", k, b))
		case a == b:
			parts = append(parts, fmt.Sprintf("%s %.6g (same)", k, a))
		default:
			rel := math.Abs(b-a) / math.Max(math.Abs(a), 1e-300)
			parts = append(parts, fmt.Sprintf("%s %.6g -> %.6g (%.2g%%)", k, a, b, 100*rel))
		}
	}
	return strings.Join(parts, ", ")
}
