package stages

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/augment"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(augmentImages{}) }

// augmentImages applies a list of torchvision-style transforms to every
// image of a dataset, with draws seeded by (stage seed, copy, image index)
// so the output is the same bytes for any number of threads.
type augmentImages struct{}

func (augmentImages) Kind() string { return "augment/images" }
func (augmentImages) Version() int { return 1 }

func (augmentImages) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "images",
		Doc: "torchvision 0.14 transforms over an image dataset, in order; output F32 " +
			"(bytes become [0, 1] first, as ToTensor). Ops: " + strings.Join(augment.OpNames(), ", ") +
			"; a range of one value ([90, 90]) is a fixed, deterministic op",
		Params: []pipeline.Param{
			{Name: "ops", Type: pipeline.Any, Required: true, Check: checkOps,
				Doc: "list of {op: {param: value}}, " +
					"e.g. [{random_crop: {size: 28, padding: 4}}, horizontal_flip]"},
			{Name: "copies", Type: pipeline.Int, Default: int64(1), Min: pipeline.AtLeast(1),
				Doc: "augmented versions of each image; copy k of all images follows copy k-1"},
			{Name: "dtype", Type: pipeline.String, Default: "auto", Enum: []string{"auto", "f32"},
				Doc: "auto: U8 when every value is a byte / 255, which loses nothing (crops, flips " +
					"and nearest rotations of U8 images), else F32; f32: always F32"},
		},
		Inputs: []pipeline.Input{{Name: "data", Doc: "an image dataset", Accepts: []string{"images"}}},
	}
}

// augmentChunk is how many images go to the workers at a time: between
// chunks the stage reports progress and notices cancellation.
const augmentChunk = 2048

func (augmentImages) Run(ctx context.Context, rc *pipeline.RunContext) error {
	p, err := buildPipeline(rc.Params["ops"])
	if err != nil {
		return err
	}
	in, err := rc.Input("data")
	if err != nil {
		return err
	}
	d, err := ReadDataset(in)
	if err != nil {
		return err
	}

	n, c, h, w := d.Images.Shape[0], d.Images.Shape[1], d.Images.Shape[2], d.Images.Shape[3]
	if n == 0 {
		return fmt.Errorf("input from stage %q holds no images", in.Stage)
	}
	pix := d.Float01()
	imgs := make([]augment.Image, n)
	for i := range imgs {
		imgs[i] = augment.Image{C: c, H: h, W: w, Pix: pix[i*c*h*w : (i+1)*c*h*w]}
	}

	copies := rc.Params.Int("copies")
	out, shape, err := augmentCopies(ctx, rc, p, imgs, copies)
	if err != nil {
		return err
	}
	var images *tensor.Tensor
	if rc.Params.String("dtype") == "auto" {
		images = asBytes(out, shape)
	}
	if images == nil {
		images = tensor.FromFloat32(out, shape...)
	}

	meta := map[string]string{}
	maps.Copy(meta, d.Meta)
	opsJSON, _ := json.Marshal(rc.Params["ops"]) // decoded YAML always marshals
	meta["augment_ops"] = string(opsJSON)
	res := &Dataset{Images: images, Labels: repeatLabels(d.Labels, copies), Meta: meta}
	rc.Log.Info("augmented", "shape", fmt.Sprint(shape), "dtype", images.DType)
	rc.Metric("count", float64(n*copies))
	return res.Write(rc.Out)
}

// augmentCopies augments every image copies times, copy k with the seed
// derived from the stage's seed and k, and returns the results one after
// the other with their shape (N*copies x C x H x W).
func augmentCopies(ctx context.Context, rc *pipeline.RunContext, p *augment.Pipeline,
	imgs []augment.Image, copies int) ([]float32, []int, error) {

	n := len(imgs)
	rc.Progress.Start(int64(n*copies), "images")
	var out []float32
	var shape []int
	for k := range copies {
		seed := augment.DeriveSeed(uint64(rc.Seed), uint64(k))
		for lo := 0; lo < n; lo += augmentChunk {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			hi := min(lo+augmentChunk, n)
			res, err := p.ApplyBatchAt(imgs[lo:hi], seed, uint64(lo), rc.Threads)
			if err != nil {
				return nil, nil, err
			}
			if out == nil {
				shape = []int{n * copies, res[0].C, res[0].H, res[0].W}
				out = make([]float32, 0, n*copies*len(res[0].Pix))
			}
			for i, m := range res {
				if got := []int{m.C, m.H, m.W}; !slices.Equal(got, shape[1:]) {
					return nil, nil, fmt.Errorf("augmented image %d is %dx%dx%d but image 0 is %dx%dx%d: "+
						"every image must come out the same size (after rotation with expand, "+
						"add resize or center_crop)", lo+i, m.C, m.H, m.W, shape[1], shape[2], shape[3])
				}
				out = append(out, m.Pix...)
			}
			rc.Progress.Add(int64(hi - lo))
		}
	}
	return out, shape, nil
}

// asBytes returns v as a U8 tensor if every value is exactly float32(k)/255
// for a byte k, as ToTensor makes them; nil otherwise. Storing k then loses
// nothing: readers divide by 255 in float32 and get v back.
func asBytes(v []float32, shape []int) *tensor.Tensor {
	t := tensor.New(tensor.Uint8, shape...)
	for i, x := range v {
		k := math.Round(float64(x) * 255)
		if !(k >= 0 && k <= 255) || float32(k)/255 != x {
			return nil
		}
		t.Data[i] = uint8(k)
	}
	return t
}

// repeatLabels returns labels (nil for none) repeated copies times.
func repeatLabels(labels *tensor.Tensor, copies int) *tensor.Tensor {
	if labels == nil || copies == 1 {
		return labels
	}
	all := slices.Repeat(labels.Int64s(), copies)
	return tensor.FromInt64(all, len(all))
}

func checkOps(v any) error {
	_, err := buildPipeline(v)
	return err
}

func buildPipeline(v any) (*augment.Pipeline, error) {
	ops, err := augment.ParseOps(v)
	if err != nil {
		return nil, err
	}
	return augment.NewPipeline(ops...)
}
