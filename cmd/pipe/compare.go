package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

const compareUsage = `
Usage: pipe compare [RUN...] [--sweep ID|last] [--metrics a,b] [--sort METRIC]
                    [--format table|markdown|csv|json]

Prints a row per run: its ID, the parameters whose values differ between the
runs, and the metrics. A metric is named by itself when one stage reports it,
else as stage.metric. --sort orders rows by a metric, ascending (prefix it
with - for descending).

Examples:
  pipe compare --sweep last --sort recon_mse
  pipe compare 3f9c2a1 8d01e77 --metrics fid_fashion_cnn
  pipe compare --sweep 5c1d0e9a2b3f --format markdown > results.md
`

type compareOptions struct {
	common  commonFlags
	sweep   string
	metrics string
	sort    string
	format  string
}

func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o compareOptions
	fs := newFlagSet("compare", compareUsage, stderr)
	o.common.register(fs)
	fs.StringVar(&o.sweep, "sweep", "", "compare the runs of this sweep (an ID, or last)")
	fs.StringVar(&o.metrics, "metrics", "", "comma-separated metrics to show (default: all)")
	fs.StringVar(&o.sort, "sort", "", "sort rows by this metric (-name: descending)")
	fs.StringVar(&o.format, "format", "table", "table, markdown, csv or json")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	switch o.format {
	case "table", "markdown", "csv", "json":
	default:
		return usagef("--format %q: want table, markdown, csv or json", o.format)
	}
	if len(pos) == 0 && o.sweep == "" {
		o.sweep = "last"
	}
	c, err := o.common.openExistingCache(o.common.logger(stderr))
	if err != nil {
		return err
	}
	runs, err := selectRuns(c, pos, o.sweep)
	if err != nil {
		return err
	}
	t, err := buildComparison(runs, o.metrics, o.sort)
	if err != nil {
		return err
	}
	return t.write(stdout, o.format)
}

type loadedRun struct {
	id  cache.ID
	rec *pipeline.Record
}

// selectRuns loads the named runs, or those of a sweep (oldest first, in
// sweep order).
func selectRuns(c *cache.Cache, ids []string, sweep string) ([]loadedRun, error) {
	var out []loadedRun
	for _, p := range ids {
		id, rec, err := pipeline.LoadRecord(c, p)
		if err != nil {
			return nil, invalid(err)
		}
		out = append(out, loadedRun{id, rec})
	}
	if sweep == "" {
		return out, nil
	}
	infos, err := c.Runs()
	if err != nil {
		return nil, err
	}
	var all []loadedRun
	for _, info := range infos {
		_, rec, err := pipeline.LoadRecord(c, info.ID.String())
		if err != nil || rec.Sweep == nil {
			continue
		}
		if sweep == "last" {
			sweep = rec.Sweep.ID // newest first: the first sweep run found is the last sweep
		}
		if strings.HasPrefix(rec.Sweep.ID, sweep) {
			all = append(all, loadedRun{info.ID, rec})
		}
	}
	if len(all) == 0 {
		if sweep == "last" {
			return nil, invalidf("no sweep has been recorded in %s", c.Dir())
		}
		return nil, invalidf("no runs of sweep %q in %s", sweep, c.Dir())
	}
	// A point run twice keeps its newest run.
	slices.SortStableFunc(
		all,
		func(a, b loadedRun) int { return a.rec.Sweep.Index - b.rec.Sweep.Index },
	)
	all = slices.CompactFunc(all, func(a, b loadedRun) bool {
		return a.rec.Sweep.ID == b.rec.Sweep.ID && a.rec.Sweep.Index == b.rec.Sweep.Index
	})
	return append(out, all...), nil
}

// comparison is the table compare prints.
type comparison struct {
	params  []string
	metrics []string
	rows    []comparisonRow
}

// decimals is how many decimals metric m prints with: none for whole
// numbers (counts), else enough for four significant digits of the column's
// smallest value, so one column lines up and small values keep their
// digits. -1 asks for exponent notation (magnitudes beyond 1e-4 to 1e9).
func (t *comparison) decimals(m string) int {
	whole, smallest, largest := true, math.Inf(1), 0.0
	for _, r := range t.rows {
		v, ok := r.metrics[m]
		if !ok {
			continue
		}
		a := math.Abs(v)
		if v != math.Trunc(v) || a >= 1e15 {
			whole = false
		}
		if a != 0 {
			smallest = min(smallest, a)
		}
		largest = max(largest, a)
	}
	switch {
	case whole:
		return 0
	case smallest < 1e-4 || largest >= 1e9:
		return -1
	}
	return max(0, 3-int(math.Floor(math.Log10(smallest))))
}

// constant reports whether every run has metric m with one value.
func (t *comparison) constant(m string) bool {
	first, seen := 0.0, false
	for _, r := range t.rows {
		v, ok := r.metrics[m]
		if !ok {
			return false
		}
		if seen && v != first {
			return false
		}
		first, seen = v, true
	}
	return true
}

type comparisonRow struct {
	id      cache.ID
	params  map[string]any
	metrics map[string]float64
}

func buildComparison(runs []loadedRun, only, sortBy string) (*comparison, error) {
	if len(runs) == 0 {
		return nil, invalidf("no runs to compare")
	}
	t := &comparison{}

	// Parameters whose values differ between runs (all of them for one run).
	values := map[string]map[string]bool{}
	for _, r := range runs {
		for k, v := range r.rec.Params {
			if values[k] == nil {
				values[k] = map[string]bool{}
			}
			values[k][pipeline.Format(v)] = true
		}
	}
	for k, vs := range values {
		if len(vs) > 1 || len(runs) == 1 {
			t.params = append(t.params, k)
		}
	}
	sort.Strings(t.params)

	// Metric names: bare when one stage reports it, else stage.metric.
	stagesOf := map[string]map[string]bool{}
	for _, r := range runs {
		for _, s := range r.rec.Stages {
			for m := range s.Metrics {
				if stagesOf[m] == nil {
					stagesOf[m] = map[string]bool{}
				}
				stagesOf[m][s.Name] = true
			}
		}
	}
	name := func(stage, metric string) string {
		if len(stagesOf[metric]) == 1 {
			return metric
		}
		return stage + "." + metric
	}
	// alias maps what users may type (the shown name, or stage.metric
	// always) to the shown name.
	alias := map[string]string{}
	for _, r := range runs {
		row := comparisonRow{id: r.id, params: r.rec.Params, metrics: map[string]float64{}}
		for _, s := range r.rec.Stages {
			for m, v := range s.Metrics {
				n := name(s.Name, m)
				row.metrics[n] = v
				if _, ok := alias[n]; !ok {
					t.metrics = append(t.metrics, n)
				}
				alias[n], alias[s.Name+"."+m] = n, n
			}
		}
		t.rows = append(t.rows, row)
	}
	sort.Strings(t.metrics)
	if len(runs) > 1 && only == "" {
		// A metric every run has with the same value (the size of a
		// shared dataset, say) tells nothing apart: leave it out.
		t.metrics = slices.DeleteFunc(t.metrics, func(m string) bool { return t.constant(m) })
	}

	if only != "" {
		var keep []string
		for _, m := range strings.Split(only, ",") {
			n, ok := alias[strings.TrimSpace(m)]
			if !ok {
				return nil, usagef(
					"--metrics: no metric %q in these runs (have %s)",
					m,
					strings.Join(t.metrics, ", "),
				)
			}
			keep = append(keep, n)
		}
		t.metrics = keep
	}
	if sortBy != "" {
		desc := strings.HasPrefix(sortBy, "-")
		m, ok := alias[strings.TrimPrefix(sortBy, "-")]
		if !ok {
			return nil, usagef(
				"--sort: no metric %q in these runs (have %s)",
				sortBy,
				strings.Join(t.metrics, ", "),
			)
		}
		slices.SortStableFunc(t.rows, func(a, b comparisonRow) int {
			x, okx := a.metrics[m]
			y, oky := b.metrics[m]
			switch {
			case !okx && !oky:
				return 0
			case !okx:
				return 1 // runs without the metric go last either way
			case !oky:
				return -1
			}
			if desc {
				x, y = y, x
			}
			if x < y {
				return -1
			}
			if x > y {
				return 1
			}
			return 0
		})
	}
	return t, nil
}

func (t *comparison) header() []string {
	return slices.Concat([]string{"run"}, t.params, t.metrics)
}

func (t *comparison) cells(r comparisonRow) []string {
	row := []string{r.id.Short()}
	for _, p := range t.params {
		row = append(row, pipeline.Format(r.params[p]))
	}
	for _, m := range t.metrics {
		v, ok := r.metrics[m]
		switch d := t.decimals(m); {
		case !ok:
			row = append(row, "-")
		case d < 0:
			row = append(row, strconv.FormatFloat(v, 'e', 3, 64))
		default:
			row = append(row, strconv.FormatFloat(v, 'f', d, 64))
		}
	}
	return row
}

func (t *comparison) write(w io.Writer, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(t.header())
		for _, r := range t.rows {
			// Full precision: CSV is for further processing.
			row := []string{r.id.String()}
			for _, p := range t.params {
				row = append(row, pipeline.Format(r.params[p]))
			}
			for _, m := range t.metrics {
				if v, ok := r.metrics[m]; ok {
					row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
				} else {
					row = append(row, "")
				}
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	case "json":
		type rowJSON struct {
			RunID   string             `json:"run_id"`
			Params  map[string]any     `json:"params"`
			Metrics map[string]float64 `json:"metrics"`
		}
		out := []rowJSON{}
		for _, r := range t.rows {
			rj := rowJSON{RunID: r.id.String(), Params: map[string]any{}, Metrics: map[string]float64{}}
			for _, p := range t.params {
				rj.Params[p] = r.params[p]
			}
			for _, m := range t.metrics {
				if v, ok := r.metrics[m]; ok {
					rj.Metrics[m] = v
				}
			}
			out = append(out, rj)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if format == "markdown" {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	tbl := tablewriter.NewTable(w, opts...)
	tbl.Header(t.header())
	for _, r := range t.rows {
		if err := tbl.Append(t.cells(r)); err != nil {
			return err
		}
	}
	return tbl.Render()
}
