package stages

import (
	"context"
	"fmt"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(normalize{}) }

// normalize scales images to [0, 1] and standardises each channel, as
// torchvision's ToTensor followed by Normalize(mean, std).
type normalize struct{}

func (normalize) Kind() string { return "transform/normalize" }
func (normalize) Version() int { return 1 }

func (normalize) Schema() pipeline.Schema {
	positive := func(v any) error {
		for _, s := range v.([]float64) {
			if s <= 0 {
				return fmt.Errorf("std must be positive, got %g", s)
			}
		}
		return nil
	}
	return pipeline.Schema{
		Produces: "normalized images",
		Doc: "(x - mean) / std per channel, after scaling bytes to [0, 1], for data leaving pipe " +
			"or a user's model; pipe's trainers and feature extractors take [0, 1] images and scale " +
			"them themselves, so connect them to the data, not to this stage",
		Params: []pipeline.Param{
			{Name: "mean", Type: pipeline.Floats, Default: []float64{0.5}},
			{Name: "std", Type: pipeline.Floats, Default: []float64{0.5}, Check: positive},
		},
		Inputs:   []pipeline.Input{{Name: "data", Doc: "an image dataset", Accepts: []string{"images"}}},
		Unseeded: true,
	}
}

func (normalize) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("data")
	if err != nil {
		return err
	}
	d, err := ReadDataset(in)
	if err != nil {
		return err
	}
	mean, std := rc.Params.Floats("mean"), rc.Params.Floats("std")
	n, c := d.Images.Shape[0], d.Images.Shape[1]
	mean, err = perChannel("mean", mean, c)
	if err != nil {
		return err
	}
	std, err = perChannel("std", std, c)
	if err != nil {
		return err
	}

	x := d.Float01()
	plane := len(x) / max(n*c, 1)
	for i := 0; i < n*c; i++ {
		ch := i % c
		m, s := float32(mean[ch]), float32(std[ch])
		p := x[i*plane : (i+1)*plane]
		for j := range p {
			p[j] = (p[j] - m) / s
		}
	}
	out := &Dataset{Images: tensor.FromFloat32(x, d.Images.Shape...), Labels: d.Labels, Meta: d.Meta}
	return out.Write(rc.Out)
}

// perChannel broadcasts a single value to every channel.
func perChannel(name string, v []float64, channels int) ([]float64, error) {
	switch len(v) {
	case channels:
		return v, nil
	case 1:
		out := make([]float64, channels)
		for i := range out {
			out[i] = v[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s has %d values for %d channels", name, len(v), channels)
}
