package stages

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(noiseImages{}) }

// noiseImages makes images of uniform noise: the far end of a metric's
// sanity check (real against real is near zero, samples in between, noise
// far away).
type noiseImages struct{}

func (noiseImages) Kind() string { return "dataset/noise" }
func (noiseImages) Version() int { return 1 }

func (noiseImages) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "images",
		Doc: "images of independent uniform noise in [0, 1], F32 N x C x H x W, " +
			"from the stage's seed",
		Params: []pipeline.Param{
			{Name: "count", Type: pipeline.Int, Default: int64(10000), Min: pipeline.AtLeast(1)},
			{Name: "shape", Type: pipeline.Ints, Default: []int64{1, 28, 28},
				Doc: "C, H, W of each image",
				Check: func(v any) error {
					s := v.([]int64)
					if len(s) != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1 {
						return errShape
					}
					return nil
				}},
		},
	}
}

var errShape = errors.New("want three positive sizes: [C, H, W]")

func (noiseImages) Run(ctx context.Context, rc *pipeline.RunContext) error {
	n, s := rc.Params.Int("count"), rc.Params.Ints("shape")
	c, h, w := int(s[0]), int(s[1]), int(s[2])
	r := rand.New(rand.NewPCG(uint64(rc.Seed), 0x6e6f697365))
	v := make([]float32, n*c*h*w)
	for i := range v {
		v[i] = r.Float32()
	}
	rc.Metric("count", float64(n))
	d := &Dataset{Images: tensor.FromFloat32(v, n, c, h, w)}
	return d.Write(rc.Out)
}
