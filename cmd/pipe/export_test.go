package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportRun(t *testing.T) {
	needFashion(t)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	run := parseRun(
		t,
		mustPipe(t, "run", "testdata/export/gan.yaml", "--cache", cacheDir, "--json", "-q"),
	)

	out := filepath.Join(dir, "onnx")
	r := mustPipe(t, "export", run.RunID[:10], "--cache", cacheDir, "-o", out)
	if !strings.Contains(r.stdout, "exported gan (gan/mlp") {
		t.Errorf("stdout %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "generator.onnx")); err != nil {
		t.Error(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	var card struct {
		Training struct {
			RunID string `json:"run_id"`
			Stage string
		}
		Dataset struct {
			Stage, Source string
			Images        int
		}
	}
	if err := json.Unmarshal(b, &card); err != nil {
		t.Fatal(err)
	}
	if card.Training.RunID != run.RunID || card.Training.Stage != "gan" {
		t.Errorf("card training %+v, want run %s, stage gan", card.Training, run.RunID)
	}
	// The data behind the augmentation: the IDX file the run read.
	if card.Dataset.Stage != "data" || card.Dataset.Source != "t10k-images-idx3-ubyte.gz" ||
		card.Dataset.Images != 128 {
		t.Errorf("card dataset %+v, want stage data, the t10k file, 128 images", card.Dataset)
	}

	id, x := run.RunID[:10], filepath.Join(dir, "x")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", run.RunID[:10]}, "export needs -o DIR"},
		{[]string{"export", id, "-o", x, "--stage", "flip"}, `stage "flip" is augment/images`},
		{[]string{"export", id, "-o", x, "--stage", "nope"}, `no stage "nope" (models: gan)`},
		{[]string{"export", run.RunID[:10], "-o", out}, "is not empty"},
		{[]string{"export", id, "-o", x, "--format", "pt"}, `--format "pt"`},
	} {
		r := pipe(t, append(tc.args, "--cache", cacheDir)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf(
				"pipe %s: exit %d, stderr %q; want it to say %q",
				strings.Join(tc.args, " "),
				r.code,
				r.stderr,
				tc.want,
			)
		}
	}
}
