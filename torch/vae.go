package torch

import (
	"context"
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// VAEConfig configures a VAE and its training.
type VAEConfig struct {
	Arch   string // "mlp" (the article's) or "conv"
	Latent int    // latent size; 20 when zero (PyTorch's VAE example)
	Hidden int    // mlp's hidden layer; 400 when zero (the article's)

	// The loss per image is reconstruction + Beta·KL, averaged over the
	// batch. Recon is "mse" (the article's: squared error summed over
	// pixels) or "bce" (binary cross-entropy summed over pixels).
	Beta  float64
	Recon string

	Training
}

// VAELoss is one epoch's mean losses per image.
type VAELoss struct {
	Epoch           int
	Loss, Recon, KL float64
}

// VAE is a trained encoder and decoder. Close frees them.
type VAE struct {
	cfg    VAEConfig
	shape  imageShape
	m      *model
	enc    encoder
	dec    decoder
	Losses []VAELoss
}

type vaeMeta struct {
	Arch   string `json:"arch"`
	Latent int    `json:"latent"`
	Hidden int    `json:"hidden"`
	Shape  [3]int `json:"shape"`
}

func (c *VAEConfig) defaults() error {
	if c.Latent == 0 {
		c.Latent = 20
	}
	if c.Hidden == 0 {
		c.Hidden = 400
	}
	switch {
	case c.Arch != "mlp" && c.Arch != "conv":
		return fmt.Errorf("vae arch %q: want mlp or conv", c.Arch)
	case c.Recon != "mse" && c.Recon != "bce":
		return fmt.Errorf("vae recon %q: want mse or bce", c.Recon)
	case c.Latent < 1 || c.Hidden < 1:
		return fmt.Errorf("vae latent and hidden sizes must be positive, got %d, %d", c.Latent, c.Hidden)
	case c.Beta < 0:
		return fmt.Errorf("vae beta must not be negative, got %g", c.Beta)
	}
	return nil
}

func (c *VAEConfig) meta(shape imageShape) vaeMeta {
	return vaeMeta{c.Arch, c.Latent, c.Hidden, [3]int{int(shape.C), int(shape.H), int(shape.W)}}
}

func newVAE(meta vaeMeta, dev gotch.Device, seed int64) (*VAE, error) {
	shape := imageShape{int64(meta.Shape[0]), int64(meta.Shape[1]), int64(meta.Shape[2])}
	cfg := VAEConfig{Arch: meta.Arch, Latent: meta.Latent, Hidden: meta.Hidden}
	cfg.Device = dev
	v := &VAE{cfg: cfg, shape: shape, m: newModel(dev)}
	Seed(seed)
	root := v.m.vs.Root()
	latent := int64(meta.Latent)
	switch meta.Arch {
	case "mlp":
		v.enc = newMLPEncoder(v.m, root.Sub("enc"), shape, int64(meta.Hidden), latent)
		v.dec = newMLPDecoder(v.m, root.Sub("dec"), shape, int64(meta.Hidden), latent)
	case "conv":
		if shape.H%4 != 0 || shape.W%4 != 0 {
			v.m.close()
			return nil, fmt.Errorf("conv vae takes sizes divisible by 4, got %dx%d", shape.H, shape.W)
		}
		v.enc = newConvEncoder(v.m, root.Sub("enc"), shape, latent)
		v.dec = newConvDecoder(v.m, root.Sub("dec"), shape, latent)
	default:
		v.m.close()
		return nil, fmt.Errorf("vae arch %q: want mlp or conv", meta.Arch)
	}
	return v, nil
}

// TrainVAE trains a VAE on images: [N, H, W] or [N, C, H, W], U8 (0-255) or
// F32/F64 in [0, 1]. A step is one batch and one Adam update. The context
// stops training between steps; with CheckpointDir set, calling TrainVAE
// again resumes from the last checkpoint.
func TrainVAE(ctx context.Context, images *tensor.Tensor, cfg VAEConfig) (*VAE, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	shape, err := imagesShape(images)
	if err != nil {
		return nil, err
	}
	if err := cfg.Training.check(images.Shape[0], 0.9); err != nil {
		return nil, err
	}
	defer session()()

	data, err := loadImages(images, cfg.Device, false)
	if err != nil {
		return nil, err
	}
	defer data.MustDrop()

	v, err := newVAE(cfg.meta(shape), cfg.Device, cfg.Seed)
	if err != nil {
		return nil, err
	}
	v.cfg = cfg
	opt := newAdam(v.m.trainable(""), cfg.LR, cfg.Beta1, cfg.Beta2)
	defer opt.close()

	l := &loop{
		cfg:   &cfg.Training,
		data:  data,
		n:     images.Shape[0],
		meter: newMeter("total", "reconstruction", "kl"),
	}
	if cfg.CheckpointDir != "" {
		l.ckpt = &checkpointer{
			dir: cfg.CheckpointDir, m: v.m, opts: map[string]*adam{"vae": opt},
			fingerprint: fingerprint(
				"vae",
				cfg.meta(shape),
				images.Shape,
				cfg.Beta,
				cfg.Recon,
				cfg.Training,
			),
		}
		if _, err := l.ckpt.restore(l); err != nil {
			v.Close()
			return nil, err
		}
	}
	sc := scalars{}
	defer sc.free()
	step := func(a *arena, x *ts.Tensor, i int, m *meter) error {
		recon, kl := v.losses(a, x, sc, true)
		loss := a.add(recon.MustAdd(a.add(kl.MustMulScalar(sc.get(cfg.Beta), false)), false))
		opt.zeroGrad()
		loss.MustBackward()
		guard := ts.NewNoGradGuard()
		opt.update()
		guard.Drop()
		for k, t := range []*ts.Tensor{loss, recon, kl} {
			if err := m.add(i, k, scalar(t)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := l.run(ctx, step); err != nil {
		v.Close()
		return nil, fmt.Errorf("train vae: %w", err)
	}
	for i, e := range l.epochs {
		v.Losses = append(v.Losses, VAELoss{Epoch: i + 1, Loss: e[0], Recon: e[1], KL: e[2]})
	}
	return v, nil
}

// losses returns the batch's mean reconstruction loss and KL divergence per
// image. With sample set the decoder sees mu + eps·exp(logvar/2), eps drawn
// from N(0, 1) (reparameterisation); otherwise it sees mu.
func (v *VAE) losses(a *arena, x *ts.Tensor, sc scalars, sample bool) (recon, kl *ts.Tensor) {
	b := float64(x.MustSize()[0])
	mu, logvar := v.enc.forward(a, x)
	z := mu
	if sample {
		std := a.add(a.add(logvar.MustMulScalar(sc.get(0.5), false)).MustExp(false))
		eps := a.add(std.MustRandnLike(false))
		z = a.add(mu.MustAdd(a.add(eps.MustMul(std, false)), false))
	}
	xhat := v.dec.forward(a, z)

	if v.cfg.Recon == "bce" {
		recon = bce(a, xhat, x, ts.ReductionSum)
	} else {
		recon = a.add(xhat.MustMseLoss(x, ts.ReductionSum, false))
	}
	recon = a.add(recon.MustDivScalar(sc.get(b), false))

	// KL(N(mu, sigma²) || N(0, 1)) = -1/2 Σ (1 + logvar - mu² - exp(logvar))
	terms := a.add(logvar.MustAddScalar(sc.get(1), false))
	terms = a.add(terms.MustSub(a.add(mu.MustSquare(false)), false))
	terms = a.add(terms.MustSub(a.add(logvar.MustExp(false)), false))
	kl = a.add(a.add(terms.MustSum(gotch.Float, false)).MustMulScalar(sc.get(-0.5/b), false))
	return recon, kl
}
