package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/pipeline"
)

const planUsage = `
Usage: pipe plan SPEC [-p name=value]... [--force STAGE]... [--json]

Shows what 'pipe run' would do, running nothing: the stages in order, each
one's key and whether the cache holds it. A stage after a miss has no key yet.

Examples:
  pipe plan experiments/fashion-vae.yaml
  PIPE_DEBUG_HASH=1 pipe plan experiments/fashion-vae.yaml -p beta=0.01
`

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		common  commonFlags
		params  stringList
		force   stringList
		jsonOut bool
	)
	fs := newFlagSet("plan", planUsage, stderr)
	common.register(fs)
	fs.Var(&params, "p", "override a parameter: name=value (repeatable)")
	fs.Var(&force, "force", "plan this stage as forced (repeatable)")
	fs.BoolVar(&jsonOut, "json", false, "print the plan as one JSON object")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("plan takes one experiment file, got %d", len(pos))
	}
	g, err := loadGraph(pos[0], params)
	if err != nil {
		return err
	}
	c, err := common.openCache(common.logger(stderr))
	if err != nil {
		return err
	}
	forced := map[string]bool{}
	for _, f := range force {
		forced[f] = true
	}
	plan, err := pipeline.Plan(g, c, forced, debugHash(stderr))
	if err != nil {
		return err
	}

	if jsonOut {
		out := struct {
			Stages []stageJSON `json:"stages"`
		}{}
		for _, p := range plan {
			s := stageJSON{Name: p.Name, Kind: p.Kind, Cached: p.Cached}
			if !p.Key.IsZero() {
				s.Key = p.Key.String()
			}
			if !p.Cached {
				s.Status = p.Why
			}
			out.Stages = append(out.Stages, s)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tKIND\tCACHE\tKEY")
	for _, p := range plan {
		state, key := "hit", "-"
		if !p.Cached {
			state = "miss: " + p.Why
		}
		if !p.Key.IsZero() {
			key = p.Key.Short()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Kind, state, key)
	}
	return tw.Flush()
}
