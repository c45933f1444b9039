package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

const sweepUsage = `
Usage: pipe sweep SPEC [--set name=v1,v2,...]... [-p name=value]... [-j N] [--json]

Runs every point of the experiment's sweep (its sweep: section, and the
--set axes, which replace the file's axis of the same parameter): a grid is
the cartesian product of its lists, a zip takes its lists in step. Each point
is a run with its own record; a sweep ID groups them. Stages whose keys are
equal across points (the data, say) run once and are shared; independent
points run in parallel within -j.

Examples:
  pipe sweep experiments/sweep-k.yaml
  pipe sweep experiments/fashion-vae.yaml --set beta=0.001,0.01,0.1,1
  pipe sweep experiments/fashion-gan.yaml --set k=1,3,5 -p epochs=2 --json
`

func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		o    runOptions
		sets stringList
	)
	fs := newFlagSet("sweep", sweepUsage, stderr)
	o.common.register(fs)
	fs.Var(&sets, "set", "sweep a parameter over comma-separated values (repeatable)")
	fs.Var(&o.params, "p", "fix a parameter for every point: name=value (repeatable)")
	fs.Var(&o.force, "force", "run this stage even if cached (repeatable)")
	fs.IntVar(&o.jobs, "j", runtime.NumCPU(), "stages to run at once, across all points")
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
		return usagef("sweep takes one experiment file, got %d", len(pos))
	}
	if o.jobs < 1 || o.threads < 1 {
		return usagef("-j and --threads must be at least 1")
	}

	spec, err := pipeline.Load(pos[0])
	if err != nil {
		if len(pipeline.SpecErrors(err)) == 0 {
			return invalid(err)
		}
		return err
	}
	var axes []*pipeline.SweepAxis
	for _, s := range sets {
		ax, err := pipeline.ParseAxis(s)
		if err != nil {
			return usagef("%v", err)
		}
		axes = append(axes, ax)
	}
	points, err := spec.Points(axes)
	if err != nil {
		return err
	}
	fixed, err := parseOverrides(o.params)
	if err != nil {
		return err
	}
	swept := map[string]bool{}
	for _, ov := range points[0].Overrides {
		swept[ov.Name] = true
	}
	for _, ov := range fixed {
		if swept[ov.Name] {
			return usagef("-p %s: the parameter is swept; drop one of the two", ov.Name)
		}
	}
	graphs := make([]*pipeline.Graph, len(points))
	for i, pt := range points {
		ovs := slices.Concat(fixed, pt.Overrides)
		if graphs[i], err = pipeline.Resolve(spec, ovs); err != nil {
			return err
		}
	}
	sweepID := pipeline.SweepID(spec, append(o.params, sets...), points)

	log := o.common.logger(stderr)
	c, err := o.common.openCache(log)
	if err != nil {
		return err
	}
	x := pipeline.NewExecutor(c, o.jobs, log)
	x.Threads, x.DebugHash = o.threads, debugHash(stderr)
	x.Force = map[string]bool{}
	for _, f := range o.force {
		x.Force[f] = true
	}
	x.Board = pipeline.NewProgressBoard(stderr, isTerminal(stderr))
	log.Info("sweep", "id", sweepID, "points", len(points))

	type pointRun struct {
		results []*pipeline.StageResult
		err     error
		runID   cache.ID
	}
	runs := make([]pointRun, len(points))
	var wg sync.WaitGroup
	for i := range points {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started := time.Now()
			res, err := x.Run(ctx, graphs[i])
			runs[i] = pointRun{results: res, err: err}
			if err != nil {
				return
			}
			rec := pipeline.NewRecord(
				graphs[i],
				o.params,
				res,
				started,
				pipeline.CurrentEnv(o.threads, o.jobs),
			)
			rec.Sweep = &pipeline.SweepPoint{ID: sweepID, Index: i, Point: points[i].Values()}
			runs[i].runID, runs[i].err = rec.Save(c)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	executed, shared, cached, failed := 0, 0, 0, 0
	for _, r := range runs {
		for _, s := range r.results {
			switch status(s) {
			case "ran":
				executed++
			case "shared":
				shared++
			case "cached":
				cached++
			case "failed":
				failed++
			}
		}
	}
	if o.json {
		type runJSON struct {
			RunID  string         `json:"run_id,omitempty"`
			Point  map[string]any `json:"point"`
			Error  string         `json:"error,omitempty"`
			Stages []stageJSON    `json:"stages"`
		}
		out := struct {
			SweepID  string    `json:"sweep_id"`
			Executed int       `json:"executed"`
			Shared   int       `json:"shared"`
			Cached   int       `json:"cached"`
			Failed   int       `json:"failed"`
			Runs     []runJSON `json:"runs"`
		}{SweepID: sweepID, Executed: executed, Shared: shared, Cached: cached, Failed: failed}
		for i, r := range runs {
			rj := runJSON{Point: points[i].Values(), Stages: stagesJSON(r.results)}
			if !r.runID.IsZero() {
				rj.RunID = r.runID.String()
			}
			if r.err != nil {
				rj.Error = r.err.Error()
			}
			out.Runs = append(out.Runs, rj)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tPOINT\tRESULT")
		for i, r := range runs {
			id, result := "-", "ok"
			if !r.runID.IsZero() {
				id = r.runID.Short()
			}
			if r.err != nil {
				result = "failed"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", id, points[i], result)
		}
		tw.Flush()
		fmt.Fprintf(stdout, "\nsweep %s: %d runs; stages: %d executed, %d shared, %d cached, %d failed\n",
			sweepID, len(points), executed, shared, cached, failed)
		fmt.Fprintf(stdout, "compare them: pipe compare --sweep %s\n", sweepID)
	}

	var errs []error
	for _, r := range runs {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(stderr, "pipe: %v\n", e)
		}
		return errSilent
	}
	return errors.Join(errs...)
}

func parseOverrides(params []string) ([]pipeline.Override, error) {
	var ovs []pipeline.Override
	for _, p := range params {
		o, err := pipeline.ParseOverride(p)
		if err != nil {
			return nil, usagef("-p %v", err)
		}
		ovs = append(ovs, o)
	}
	return ovs, nil
}
