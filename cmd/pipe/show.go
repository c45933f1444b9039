package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/pipeline"
)

const showUsage = `
Usage: pipe show RUN [--json]

Prints a recorded run: the experiment as it was, the resolved parameters,
each stage's key, output IDs, metrics and duration, and the versions of
pipe, Go and libtorch and the device it ran on. A unique prefix of the run
ID is enough.

Examples:
  pipe show 3f9c2a1
  pipe show 3f9c2a1 --json | jq .stages[].metrics
`

func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		common  commonFlags
		jsonOut bool
	)
	fs := newFlagSet("show", showUsage, stderr)
	common.register(fs)
	fs.BoolVar(&jsonOut, "json", false, "print the record as stored (JSON)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("show takes one run ID (or a unique prefix)")
	}
	c, err := common.openExistingCache(common.logger(stderr))
	if err != nil {
		return err
	}
	id, rec, err := pipeline.LoadRecord(c, pos[0])
	if err != nil {
		return invalid(err)
	}
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	}

	fmt.Fprintf(stdout, "run        %s\n", id)
	fmt.Fprintf(stdout, "experiment %s (%s)\n", rec.Experiment, rec.SpecFile)
	fmt.Fprintf(
		stdout,
		"started    %s, %.1f s\n",
		rec.Started.Local().Format("2006-01-02 15:04:05 MST"),
		rec.Seconds,
	)
	env := rec.Env
	torch := env.Libtorch
	if torch == "" {
		torch = "not linked"
	}
	fmt.Fprintf(stdout, "versions   pipe %s, %s, libtorch %s\n", env.Pipe, env.Go, torch)
	fmt.Fprintf(
		stdout,
		"machine    %s, device %s, %d threads, -j %d\n",
		env.OS,
		orDash(env.Device),
		env.Threads,
		env.Jobs,
	)
	if rec.Sweep != nil {
		fmt.Fprintf(stdout, "sweep      %s, point %d\n", rec.Sweep.ID, rec.Sweep.Index)
	}
	if len(rec.Overrides) > 0 {
		fmt.Fprintf(stdout, "overrides  %s\n", strings.Join(rec.Overrides, " "))
	}

	fmt.Fprintln(stdout, "\nparams:")
	keys := make([]string, 0, len(rec.Params))
	for k := range rec.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %s = %s\n", k, pipeline.Format(rec.Params[k]))
	}

	fmt.Fprintln(stdout, "\nstages:")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  STAGE\tKIND\tKEY\tOUTPUT\tSECONDS\tCACHED\tMETRICS")
	for _, s := range rec.Stages {
		fmt.Fprintf(
			tw,
			"  %s\t%s\t%s\t%s\t%.1f\t%v\t%s\n",
			s.Name,
			s.Kind,
			s.Key.Short(),
			s.OutputID.Short(),
			s.Seconds,
			s.Cached,
			metricList(s.Metrics),
		)
	}
	tw.Flush()

	fmt.Fprintln(stdout, "\noutputs:")
	for _, s := range rec.Stages {
		for _, o := range s.Outputs {
			fmt.Fprintf(stdout, "  %s/%s  %s  %d bytes\n", s.Name, o.Name, o.ID.Short(), o.Size)
		}
	}
	fmt.Fprintf(stdout, "\nspec (%s):\n", rec.SpecFile)
	for _, line := range strings.Split(strings.TrimRight(rec.Spec, "\n"), "\n") {
		fmt.Fprintf(stdout, "  %s\n", line)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func metricList(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + formatMetric(m[k], 5)
	}
	return strings.Join(parts, " ")
}
