package neural

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/tensor"
	"github.com/pipe-ml/pipe/torch"
)

func init() { pipeline.Register(featuresImages{}) }

// The artifact features/images writes: FeaturesFile holds one tensor,
// FeaturesTensor (F32 [N, D]), and in its metadata the extractor's name
// under ExtractorKey, which metric names carry (fid_<name>).
const (
	FeaturesFile   = "features.safetensors"
	FeaturesTensor = "features"
	ExtractorKey   = "extractor"
)

type featuresImages struct{}

func (featuresImages) Kind() string { return "features/images" }
func (featuresImages) Version() int { return 2 } // 2: classifier features before the ReLU

var (
	extractorName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	nonName       = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

func (featuresImages) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "features",
		Doc: "feature vectors of images, F32 [N, D] in " + FeaturesFile + ", from a train/classifier " +
			"stage (its penultimate layer) or a TorchScript model (features: path/to/model.pt, " +
			"given [0, 1] images)",
		Params: []pipeline.Param{
			{Name: "features", Type: pipeline.Path,
				Doc: "a TorchScript file (torch.jit.save) mapping [B, C, H, W] images in [0, 1] to [B, ...]; " +
					"instead of an extractor input"},
			{Name: "name", Type: pipeline.String, Default: "",
				Doc: "the extractor's name in metric names; empty takes the classifier's name or the " +
					"TorchScript file's base name",
				Check: func(v any) error {
					if s := v.(string); s != "" && !extractorName.MatchString(s) {
						return fmt.Errorf("name %q: use letters, digits and _", s)
					}
					return nil
				}},
			{Name: "count", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "use the first N images; 0 uses all"},
			{Name: "rgb", Type: pipeline.Bool, Default: false,
				Doc: "repeat a single grey channel three times, for models that take RGB " +
					"(an Inception on Fashion-MNIST)"},
		},
		Inputs: []pipeline.Input{
			{Name: "images", Doc: "an image dataset, values in [0, 1]", Accepts: []string{"images"}},
			{
				Name:     "extractor",
				Optional: true,
				Doc:      "a train/classifier stage, instead of features",
				Accepts:  []string{"model/classifier"},
			},
		},
		// Features depend on the images and the extractor only, so one
		// artifact serves every experiment seed.
		Unseeded: true,
	}
}

func (featuresImages) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("images")
	if err != nil {
		return err
	}
	d, err := stages.ReadDataset(in)
	if err != nil {
		return err
	}
	images := d.Images
	if n := rc.Params.Int("count"); n > 0 {
		if n > images.Shape[0] {
			return fmt.Errorf("count %d: stage %q has only %d images", n, in.Stage, images.Shape[0])
		}
		images = firstN(images, n)
	}
	if rc.Params.Bool("rgb") {
		if images, err = greyToRGB(images); err != nil {
			return fmt.Errorf("rgb: images from stage %q: %w", in.Stage, err)
		}
	}

	ex, err := openExtractor(rc, "extractor", "features")
	if err != nil {
		return err
	}
	defer ex.Close()
	// A file name such as pt_inception-2015-12-05 becomes
	// pt_inception_2015_12_05: metric names take letters, digits and _.
	name := nonName.ReplaceAllString(ex.Name(), "_")
	if s := rc.Params.String("name"); s != "" {
		name = s
	}

	feats, err := ex.Features(ctx, images)
	if err != nil {
		return err
	}
	rc.Metric("count", float64(feats.Shape[0]))
	rc.Metric("dim", float64(feats.Shape[1]))
	rc.Log.Info("features computed", "extractor", name,
		"images", feats.Shape[0], "dim", feats.Shape[1])
	meta := map[string]string{ExtractorKey: name, "images_from": in.Stage}
	out := map[string]*tensor.Tensor{FeaturesTensor: feats}
	return tensor.WriteSafetensorsFile(filepath.Join(rc.Out, FeaturesFile), out, meta)
}

// openExtractor opens the feature extractor a stage names: a train/classifier
// stage in input slot, or a TorchScript file in path parameter param, but
// not both. eval/fid uses it too. The caller closes the extractor.
func openExtractor(rc *pipeline.RunContext, slot, param string) (torch.Extractor, error) {
	a, fromStage := rc.Inputs[slot]
	path := rc.Params.String(param)
	switch {
	case fromStage && path != "":
		return nil, fmt.Errorf("both input %s (stage %q) and %s are set: choose one extractor",
			slot, a.Stage, param)
	case !fromStage && path == "":
		return nil, fmt.Errorf("no feature extractor: connect a train/classifier stage as input %s "+
			"or set %s to a TorchScript file", slot, param)
	}
	dev, err := device(rc)
	if err != nil {
		return nil, err
	}
	if path != "" {
		return torch.LoadScript(path, dev)
	}
	if a.Kind != "train/classifier" {
		return nil, fmt.Errorf("input %s from stage %q is %s; want train/classifier",
			slot, a.Stage, a.Kind)
	}
	return torch.LoadClassifier(a.Dir, dev)
}

// greyToRGB repeats the one channel of [N, 1, H, W] images three times.
func greyToRGB(t *tensor.Tensor) (*tensor.Tensor, error) {
	if len(t.Shape) != 4 || t.Shape[1] != 1 {
		return nil, fmt.Errorf("shape %v: want one channel, [N, 1, H, W]", t.Shape)
	}
	n, plane := t.Shape[0], t.Shape[2]*t.Shape[3]*t.DType.Size()
	out := tensor.New(t.DType, n, 3, t.Shape[2], t.Shape[3])
	for i := range n {
		src := t.Data[i*plane : (i+1)*plane]
		for c := range 3 {
			copy(out.Data[(3*i+c)*plane:], src)
		}
	}
	return out, nil
}

// firstN returns the first n images of t, sharing its data.
func firstN(t *tensor.Tensor, n int) *tensor.Tensor {
	per := t.NumElements() / t.Shape[0] * t.DType.Size()
	shape := append([]int{n}, t.Shape[1:]...)
	return &tensor.Tensor{DType: t.DType, Shape: shape, Data: t.Data[:n*per]}
}
