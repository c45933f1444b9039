package neural

import (
	"context"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/torch"
)

func init() { pipeline.Register(trainVAE{}) }

type trainVAE struct{}

func (trainVAE) Kind() string { return "train/vae" }
func (trainVAE) Version() int { return 1 }

func (trainVAE) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "model/vae",
		Doc: "a VAE: the article's MLP (784-400-latent, latent-400-784) or a convolutional one; " +
			"loss = reconstruction + beta * KL",
		Params: append([]pipeline.Param{
			{Name: "arch", Type: pipeline.String, Default: "mlp", Enum: []string{"mlp", "conv"}},
			{Name: "latent", Type: pipeline.Int, Default: int64(20), Min: pipeline.AtLeast(1)},
			{Name: "hidden", Type: pipeline.Int, Default: int64(400), Min: pipeline.AtLeast(1)},
			{Name: "beta", Type: pipeline.Float, Default: 1.0, Min: pipeline.AtLeast(0),
				Doc: "weight of the KL term (the article: 0.001 brings MNIST reconstruction error below 0.08)"},
			{Name: "recon", Type: pipeline.String, Default: "mse", Enum: []string{"mse", "bce"}},
		}, trainingParams(1e-3, 0.9)...),
		Inputs: []pipeline.Input{
			{Name: "data", Doc: "an image dataset, values in [0, 1]", Accepts: []string{"images"}},
		},
	}
}

func (trainVAE) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("data")
	if err != nil {
		return err
	}
	d, err := stages.ReadDataset(in)
	if err != nil {
		return err
	}
	tr, err := training(rc, "loss", "recon", "kl")
	if err != nil {
		return err
	}
	cfg := torch.VAEConfig{
		Arch: rc.Params.String("arch"), Latent: rc.Params.Int("latent"), Hidden: rc.Params.Int("hidden"),
		Beta: rc.Params.Float("beta"), Recon: rc.Params.String("recon"), Training: tr,
	}
	v, err := torch.TrainVAE(ctx, d.Images, cfg)
	if err != nil {
		return err
	}
	defer v.Close()
	if n := len(v.Losses); n > 0 {
		rc.Metric("loss", v.Losses[n-1].Loss)
	}
	return v.Save(rc.Out)
}
