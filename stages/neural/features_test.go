package neural

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
	"github.com/pipe-ml/pipe/pipeline/pipelinetest"
	"github.com/pipe-ml/pipe/tensor"
)

const fashionDir = "/usr/share/datasets/fashion-mnist/"

// scriptModel is the TorchScript fixture of package torch, made by Debian's
// python3-torch (torch/testdata/make_features_model.py).
var scriptModel, _ = filepath.Abs("../../torch/testdata/features_model.pt")

// run parses and runs an experiment in a fresh cache and returns each
// stage's result by name.
func run(t *testing.T, src string) map[string]*pipeline.StageResult {
	t.Helper()
	if _, err := os.Stat(fashionDir); err != nil {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	res, err := pipelinetest.Try(t, t.TempDir(), src, pipelinetest.Options{Threads: 2})
	for name, r := range res {
		if r.Err != nil {
			t.Errorf("stage %s: %v", name, r.Err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readFeatures reads a features/images artifact.
func readFeatures(t *testing.T, r *pipeline.StageResult) (*tensor.Tensor, string) {
	t.Helper()
	ts, meta, err := tensor.ReadSafetensorsFile(filepath.Join(r.Dir, FeaturesFile))
	if err != nil {
		t.Fatal(err)
	}
	return ts[FeaturesTensor], meta[ExtractorKey]
}

const dataStages = `
  train:
    uses: dataset/idx
    with:
      images: ` + fashionDir + `train-images-idx3-ubyte.gz
      labels: ` + fashionDir + `train-labels-idx1-ubyte.gz
      limit: 640
  test:
    uses: dataset/idx
    with:
      images: ` + fashionDir + `t10k-images-idx3-ubyte.gz
      labels: ` + fashionDir + `t10k-labels-idx1-ubyte.gz
      limit: 300
`

func TestClassifierAndFeaturesStages(t *testing.T) {
	res := run(t, `name: features
seed: 1
stages:`+dataStages+`
  cnn:
    uses: train/classifier
    inputs: {data: train, test: test}
    with: {name: fashion_cnn, width: 8, features: 16, epochs: 3, batch: 32, lr: 2e-3}
  feats:
    uses: features/images
    inputs: {images: test, extractor: cnn}
  script:
    uses: features/images
    inputs: {images: test}
    with: {features: `+scriptModel+`, count: 100}
`)
	cnn := res["cnn"]
	if cnn == nil {
		t.Fatal("no result for stage cnn")
	}
	acc, ok := cnn.Metrics["test_accuracy"]
	t.Logf("test_accuracy after 60 steps on 640 images: %.3f", acc)
	if !ok || acc < 0.5 || acc > 1 {
		t.Errorf("train/classifier metrics %v: want test_accuracy in [0.5, 1]", cnn.Metrics)
	}

	feats, name := readFeatures(t, res["feats"])
	if name != "fashion_cnn" || !slices.Equal(feats.Shape, []int{300, 16}) {
		t.Errorf("classifier features: extractor %q, shape %v; want fashion_cnn, [300 16]",
			name, feats.Shape)
	}
	feats, name = readFeatures(t, res["script"])
	if name != "features_model" || !slices.Equal(feats.Shape, []int{100, 24}) {
		t.Errorf("torchscript features: extractor %q, shape %v; want features_model, [100 24]",
			name, feats.Shape)
	}
}

func TestFeaturesStageErrors(t *testing.T) {
	for _, tc := range []struct{ name, stage, want string }{
		{"no extractor", `{uses: features/images, inputs: {images: test}}`, "no feature extractor"},
		{"not a classifier", `{uses: features/images, inputs: {images: test, extractor: test}}`,
			"input extractor takes model/classifier"},
		{"too many", `{uses: features/images, inputs: {images: test}, with: {features: ` + scriptModel +
			`, count: 301}}`, "only 300 images"},
		// The fixture model takes one channel.
		{"rgb", `{uses: features/images, inputs: {images: test}, with: {features: ` + scriptModel +
			`, rgb: true}}`, "expected input[256, 3, 28, 28] to have 1 channels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf("name: e\nstages:%s  f: %s\n", dataStages, tc.stage)
			s, err := pipeline.Parse(filepath.Join(t.TempDir(), "exp.yaml"), []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			g, err := pipeline.Resolve(s, nil)
			if err != nil {
				// A connection that does not fit is refused here.
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("resolve: %v, want it to contain %q", err, tc.want)
				}
				return
			}
			c, err := cache.Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			results, _ := pipeline.NewExecutor(c, 1, nil).Run(context.Background(), g)
			for _, r := range results {
				if r.Name != "f" {
					continue
				}
				if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
					t.Errorf("stage f: error %v, want it to contain %q", r.Err, tc.want)
				}
				return
			}
			t.Errorf("no result for stage f")
		})
	}
}

func TestGreyToRGB(t *testing.T) {
	grey := tensor.New(tensor.Uint8, 2, 1, 1, 2)
	copy(grey.Data, []byte{1, 2, 3, 4})
	rgb, err := greyToRGB(grey)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}
	if !slices.Equal(rgb.Shape, []int{2, 3, 1, 2}) || !slices.Equal(rgb.Data, want) {
		t.Errorf("greyToRGB = %v %v, want [2 3 1 2] %v", rgb.Shape, rgb.Data, want)
	}
	if _, err := greyToRGB(rgb); err == nil {
		t.Error("greyToRGB of 3-channel images: no error")
	}
}

// TestOpenExtractorBoth: a classifier input and a TorchScript file at once
// are refused before either is loaded.
func TestOpenExtractorBoth(t *testing.T) {
	rc := &pipeline.RunContext{Params: pipeline.Values{"features": "model.pt"},
		Inputs: map[string]*pipeline.Artifact{"extractor": {Stage: "cnn", Kind: "train/classifier"}}}
	if _, err := openExtractor(rc, "extractor", "features"); err == nil ||
		!strings.Contains(err.Error(), "choose one extractor") {
		t.Errorf("error %v, want one asking to choose one extractor", err)
	}
}
