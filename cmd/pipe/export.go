package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/export"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages/neural"
)

const exportUsage = `
Usage: pipe export RUN [--stage NAME] [--format onnx|safetensors|torchscript] -o DIR

Exports the model a recorded run trained, as the export/* stages do, and
writes the run's ID into the model card (model.json), which a stage inside
the run cannot know. The model is the run's train/gan, train/vae or train/lm
stage (--stage when there are several); the card also names the data the
model was trained on and carries the metrics of the run's eval stages. The
weights come from the cache, checked against their hashes.

Examples:
  pipe export 902c37d8 -o gan-onnx
  pipe export 902c37d8 --format torchscript -o gan-ts
  pipe export 5688377b --stage vae --format safetensors -o vae
`

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		common        commonFlags
		stage, format string
		out           string
	)
	fs := newFlagSet("export", exportUsage, stderr)
	common.register(fs)
	fs.StringVar(&stage, "stage", "", "the training stage to export (default: the run's only one)")
	fs.StringVar(&format, "format", "onnx", "onnx, safetensors or torchscript")
	fs.StringVar(&out, "o", "", "directory to write (created; must not hold files)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	switch {
	case len(pos) != 1:
		return usagef("export takes one run ID (or a unique prefix)")
	case out == "":
		return usagef("export needs -o DIR")
	case !slices.Contains(neural.ExportFormats, format):
		return usagef("--format %q: want onnx, safetensors or torchscript", format)
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
	train, err := trainingStage(rec, stage)
	if err != nil {
		return invalidf("run %s: %v", id.Short(), err)
	}
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		return invalidf("export: %s is not empty", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	// The stages' outputs, laid out from the cache's objects.
	scratch, err := os.MkdirTemp("", "pipe-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	artifact := func(rs pipeline.RecordStage) (*pipeline.Artifact, error) {
		dir := filepath.Join(scratch, rs.Name)
		if err := c.MaterializeTree(rs.Outputs, dir); err != nil {
			return nil, fmt.Errorf(
				"stage %q of run %s: %w (the cache may have been collected: run it again)",
				rs.Name,
				id.Short(),
				err,
			)
		}
		a := &pipeline.Artifact{Stage: rs.Name, Kind: rs.Kind, Dir: dir, Metrics: rs.Metrics}
		for _, o := range rs.Outputs {
			a.Files = append(a.Files, o.Name)
		}
		return a, nil
	}
	model, err := artifact(train)
	if err != nil {
		return err
	}
	p := export.Provenance{
		PipeVersion: pipeline.Version(), TrainStage: train.Name, TrainKind: train.Kind,
		RunID: id.String(), Metrics: maps.Clone(train.Metrics),
	}
	if p.Metrics == nil {
		p.Metrics = map[string]float64{}
	}
	for _, rs := range rec.Stages {
		if strings.HasPrefix(rs.Kind, "eval/") {
			for k, v := range rs.Metrics {
				p.Metrics[rs.Name+"."+k] = v
			}
		}
	}
	if src, ok := dataInput(rec, train); ok {
		data, err := artifact(src)
		if err != nil {
			return err
		}
		if p.Dataset, err = neural.DescribeDataset(data); err != nil {
			return err
		}
	}
	m, err := neural.Export(format, model, p, out)
	if err != nil {
		return fmt.Errorf("export %s of run %s: %w", train.Name, id.Short(), err)
	}
	fmt.Fprintf(stdout, "exported %s (%s, %d parameters) of run %s as %s to %s\n",
		train.Name, m.Architecture(), m.Parameters(), id.Short(), format, out)
	return nil
}

// trainingStage picks the stage to export: the named one, or the run's only
// training stage of a kind export knows.
func trainingStage(rec *pipeline.Record, name string) (pipeline.RecordStage, error) {
	var found []pipeline.RecordStage
	for _, rs := range rec.Stages {
		if name != "" && rs.Name == name {
			return rs, nil
		}
		if rs.Kind == "train/gan" || rs.Kind == "train/vae" || rs.Kind == "train/lm" {
			found = append(found, rs)
		}
	}
	names := make([]string, len(found))
	for i, rs := range found {
		names[i] = rs.Name
	}
	switch {
	case name != "":
		return pipeline.RecordStage{}, fmt.Errorf(
			"no stage %q (models: %s)",
			name,
			strings.Join(names, ", "),
		)
	case len(found) == 0:
		return pipeline.RecordStage{}, fmt.Errorf("no train/gan, train/vae or train/lm stage to export")
	case len(found) > 1:
		return pipeline.RecordStage{}, fmt.Errorf(
			"several models (%s): choose one with --stage",
			strings.Join(names, ", "),
		)
	}
	return found[0], nil
}

// dataInput follows a training stage's inputs back to the stage that read
// its data from outside (dataset/*), through augmentation and transforms.
func dataInput(rec *pipeline.Record, rs pipeline.RecordStage) (pipeline.RecordStage, bool) {
	byName := map[string]pipeline.RecordStage{}
	for _, s := range rec.Stages {
		byName[s.Name] = s
	}
	for range len(rec.Stages) {
		if strings.HasPrefix(rs.Kind, "dataset/") {
			return rs, true
		}
		slots := slices.Sorted(maps.Keys(rs.Inputs))
		if len(slots) == 0 {
			return pipeline.RecordStage{}, false
		}
		next, ok := byName[rs.Inputs[slots[0]]]
		if !ok {
			return pipeline.RecordStage{}, false
		}
		rs = next
	}
	return pipeline.RecordStage{}, false
}
