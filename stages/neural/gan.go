package neural

import (
	"context"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/torch"
)

func init() { pipeline.Register(trainGAN{}) }

type trainGAN struct{}

func (trainGAN) Kind() string { return "train/gan" }
func (trainGAN) Version() int { return 1 }

func (trainGAN) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "model/gan",
		Doc: "a GAN: the article's MLP (G latent-256-512-784, D 784-512-256-1) or a DCGAN; " +
			"d_steps discriminator updates per generator update",
		Params: append([]pipeline.Param{
			{Name: "arch", Type: pipeline.String, Default: "mlp", Enum: []string{"mlp", "dcgan"}},
			{Name: "latent", Type: pipeline.Int, Default: int64(100), Min: pipeline.AtLeast(1)},
			{Name: "features", Type: pipeline.Int, Default: int64(64), Min: pipeline.AtLeast(1),
				Doc: "dcgan's base channel count"},
			{Name: "d_steps", Type: pipeline.Int, Default: int64(1), Min: pipeline.AtLeast(1),
				Doc: "k: discriminator updates per generator update (the article found 5 most stable)"},
			{Name: "loss", Type: pipeline.String, Default: "bce", Enum: []string{"bce", "wgan-gp"}},
			{Name: "gp_weight", Type: pipeline.Float, Default: 10.0, Min: pipeline.AtLeast(0),
				Doc: "gradient penalty weight for wgan-gp"},
		}, trainingParams(2e-4, 0.5)...),
		Inputs: []pipeline.Input{
			{Name: "data", Doc: "an image dataset, values in [0, 1]", Accepts: []string{"images"}},
		},
	}
}

func (trainGAN) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("data")
	if err != nil {
		return err
	}
	d, err := stages.ReadDataset(in)
	if err != nil {
		return err
	}
	tr, err := training(rc, "d_loss", "g_loss")
	if err != nil {
		return err
	}
	cfg := torch.GANConfig{
		Arch: rc.Params.String("arch"), Latent: rc.Params.Int("latent"),
		Features: rc.Params.Int("features"), DSteps: rc.Params.Int("d_steps"),
		Loss: rc.Params.String("loss"), GPWeight: rc.Params.Float("gp_weight"), Training: tr,
	}
	g, err := torch.TrainGAN(ctx, d.Images, cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	if n := len(g.Losses); n > 0 {
		last := g.Losses[n-1]
		rc.Metric("d_loss", last.D)
		rc.Metric("g_loss", last.G)
	}
	return g.Save(rc.Out)
}
