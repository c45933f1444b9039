package neural

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/export"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/pipelinetest"
	"github.com/pipe-ml/pipe/torch"
)

const exportFashion = "/usr/share/datasets/fashion-mnist/"

// runExport runs an experiment in a fresh cache and returns each stage's
// result by name; stage errors are returned in the results, not failed on.
func runExport(t *testing.T, src string) map[string]*pipeline.StageResult {
	t.Helper()
	if _, err := os.Stat(exportFashion); err != nil {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	res, err := pipelinetest.Try(t, t.TempDir(), src, pipelinetest.Options{Threads: 2})
	if res == nil {
		t.Fatal(err)
	}
	return res
}

func readCard(t *testing.T, r *pipeline.StageResult) export.Card {
	t.Helper()
	if r == nil || r.Err != nil {
		t.Fatalf("stage result %+v", r)
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, export.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	var c export.Card
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

const exportData = `
  data:
    uses: dataset/idx
    with:
      images: ` + exportFashion + `train-images-idx3-ubyte.gz
      limit: 64
`

func TestExportStages(t *testing.T) {
	res := runExport(t, `name: export
seed: 3
stages:`+exportData+`
  gan:
    uses: train/gan
    inputs: [data]
    with: {arch: mlp, latent: 8, epochs: 1, batch: 32}
  vae:
    uses: train/vae
    inputs: [data]
    with: {arch: mlp, latent: 4, hidden: 16, epochs: 1, batch: 32}
  recon:
    uses: eval/recon
    inputs: {model: vae, data: data}
  onnx:
    uses: export/onnx
    inputs: {model: gan, data: data}
  vae_onnx:
    uses: export/onnx
    inputs: {model: vae, eval: recon}
  weights:
    uses: export/safetensors
    inputs: {model: gan}
  script:
    uses: export/torchscript
    inputs: {model: vae}
`)
	card := readCard(t, res["onnx"])
	if card.Dataset == nil || card.Dataset.Source != "train-images-idx3-ubyte.gz" ||
		card.Dataset.Images != 64 ||
		card.Dataset.Stage != "data" ||
		len(card.Dataset.Shape) != 3 {
		t.Errorf("onnx card dataset = %+v, want 64 images from train-images-idx3-ubyte.gz", card.Dataset)
	}
	if _, ok := card.Metrics["d_loss"]; !ok || card.Training.Stage != "gan" || card.ONNX == nil {
		t.Errorf("onnx card = %+v, want gan's d_loss and the ONNX opset", card)
	}
	if card.Files[0].File != "generator.onnx" ||
		float64(card.Parameters) != res["onnx"].Metrics["parameters"] {
		t.Errorf(
			"onnx card files %+v, parameters %d; stage metric %v",
			card.Files,
			card.Parameters,
			res["onnx"].Metrics,
		)
	}

	card = readCard(t, res["vae_onnx"])
	if _, ok := card.Metrics["recon_mse"]; !ok || card.Dataset != nil || len(card.Files) != 2 {
		t.Errorf("vae onnx card = %+v, want recon_mse, no dataset, two files", card)
	}

	card = readCard(t, res["script"])
	for i, want := range []string{"encoder.pt", "decoder.pt"} {
		if card.Files[i].File != want || len(card.Files[i].SHA256) != 64 {
			t.Errorf("torchscript card file %d = %+v, want %s with its hash", i, card.Files[i], want)
		}
	}

	// The safetensors export loads back into pipe, through gotch, and
	// samples what the trained model samples.
	cpu, err := torch.Device("cpu")
	if err != nil {
		t.Fatal(err)
	}
	g1, err := torch.LoadGAN(res["gan"].Dir, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer g1.Close()
	g2, err := torch.LoadGAN(res["weights"].Dir, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	a, _ := g1.Sample(4, 9)
	b, _ := g2.Sample(4, 9)
	if a == nil || b == nil || !bytes.Equal(a.Data, b.Data) {
		t.Errorf("samples of the exported safetensors differ from the trained model's")
	}

	// Exporting a dataset is refused before anything runs.
	bad := "name: bad\nstages:" + exportData +
		"  bad:\n    uses: export/onnx\n    inputs: {model: data}\n"
	spec, err := pipeline.Parse(filepath.Join(t.TempDir(), "exp.yaml"), []byte(bad))
	if err == nil {
		_, err = pipeline.Resolve(spec, nil)
	}
	if err == nil ||
		!strings.Contains(err.Error(), "input model takes model/gan or model/vae or model/lm") {
		t.Errorf("export of a dataset: %v, want an error asking for a trained model", err)
	}
}
