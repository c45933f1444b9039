package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/pipeline"
)

const runsUsage = `
Usage: pipe runs [-n N]

Lists recorded runs, newest first: ID, experiment, when, how long, and the
parameters given on the command line.

Examples:
  pipe runs
  pipe runs -n 5
`

func runRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		common commonFlags
		limit  int
	)
	fs := newFlagSet("runs", runsUsage, stderr)
	common.register(fs)
	fs.IntVar(&limit, "n", 0, "show at most N runs (0: all)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 0 {
		return usagef("runs takes no arguments")
	}
	log := common.logger(stderr)
	c, err := common.openExistingCache(log)
	if errors.Is(err, errNoCache) {
		fmt.Fprintln(stderr, "no recorded runs in", common.dir())
		return nil
	}
	if err != nil {
		return err
	}
	infos, err := c.Runs()
	if err != nil {
		return err
	}
	if len(infos) == 0 {
		fmt.Fprintln(stderr, "no recorded runs in", c.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tEXPERIMENT\tSTARTED\tSECONDS\tCACHED\tKEPT\tPARAMS")
	for i, info := range infos {
		if limit > 0 && i == limit {
			break
		}
		_, rec, err := pipeline.LoadRecord(c, info.ID.String())
		if err != nil {
			log.Warn("unreadable run record", "run", info.ID.Short(), "err", err)
			continue
		}
		cached, kept := 0, 0
		for _, s := range rec.Stages {
			if s.Cached {
				cached++
			}
			if _, err := c.Get(s.Key); err == nil {
				kept++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%d/%d\t%s\t%s\n", info.ID.Short(), rec.Experiment,
			rec.Started.Local().Format("2006-01-02 15:04:05"), rec.Seconds, cached, len(rec.Stages),
			keptSummary(kept, len(rec.Stages)), paramSummary(rec))
	}
	return tw.Flush()
}

// keptSummary says how much of a run's output the cache still holds:
// after gc, export and show of a run need its entries.
func keptSummary(kept, n int) string {
	switch kept {
	case n:
		return "all"
	case 0:
		return "none (gc)"
	}
	return fmt.Sprintf("%d/%d (gc)", kept, n)
}

// paramSummary shows what distinguishes a run: its overrides and sweep
// point, else nothing.
func paramSummary(rec *pipeline.Record) string {
	var parts []string
	parts = append(parts, rec.Overrides...)
	if rec.Sweep != nil {
		keys := make([]string, 0, len(rec.Sweep.Point))
		for k := range rec.Sweep.Point {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+"="+pipeline.Format(rec.Sweep.Point[k]))
		}
	}
	return strings.Join(parts, " ")
}
