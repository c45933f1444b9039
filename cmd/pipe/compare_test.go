package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

// sweepRecords is a 3-point sweep of k as compare sees it: a shared data
// stage, a varying parameter and a metric reported by two stages.
func sweepRecords() []loadedRun {
	var runs []loadedRun
	for i, k := range []int64{1, 3, 5} {
		rec := &pipeline.Record{
			Experiment: "sweep-k",
			Params:     map[string]any{"k": k, "epochs": int64(3), "lr": 0.0002},
			Sweep:      &pipeline.SweepPoint{ID: "5c1d0e9a2b3f", Index: i, Point: map[string]any{"k": k}},
			Stages: []pipeline.RecordStage{
				{Name: "data", Metrics: map[string]float64{"count": 60000}},
				{
					Name:    "gan",
					Metrics: map[string]float64{"d_loss": 1.1 - 0.1*float64(i), "g_loss": 0.9 + 0.2*float64(i)},
				},
				{
					Name:    "fid",
					Metrics: map[string]float64{"fid_fashion_cnn": []float64{31.25, 18.5, 12.125}[i]},
				},
				{Name: "fid2", Metrics: map[string]float64{"fid_fashion_cnn": 0.000125 * float64(i+1)}},
			},
		}
		runs = append(runs, loadedRun{id: cache.HashBytes([]byte{byte(i)}), rec: rec})
	}
	return runs
}

func TestCompareFormats(t *testing.T) {
	for _, tc := range []struct {
		name, format, metrics, sort string
	}{
		{name: "table", format: "table"},
		{name: "markdown_sorted", format: "markdown", metrics: "gan.d_loss,fid.fid_fashion_cnn",
			sort: "fid.fid_fashion_cnn"},
		{name: "csv", format: "csv", metrics: "count,gan.g_loss"},
		{name: "json_desc", format: "json", metrics: "fid.fid_fashion_cnn", sort: "-fid.fid_fashion_cnn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmp, err := buildComparison(sweepRecords(), tc.metrics, tc.sort)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := cmp.write(&buf, tc.format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "compare", tc.name+".golden")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("compare --format %s:\n%s\nwant:\n%s", tc.format, buf.String(), want)
			}
		})
	}
}

func TestCompareErrors(t *testing.T) {
	if _, err := buildComparison(sweepRecords(), "nope", ""); err == nil {
		t.Error("--metrics nope: no error")
	}
	if _, err := buildComparison(sweepRecords(), "", "fid_fashion_cnn"); err == nil {
		t.Error("--sort by an ambiguous bare name: no error")
	}
	if _, err := buildComparison(nil, "", ""); err == nil {
		t.Error("no runs: no error")
	}
}
