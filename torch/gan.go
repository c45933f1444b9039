package torch

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// GANConfig configures a GAN and its training.
type GANConfig struct {
	Arch     string // "mlp" (the article's) or "dcgan"
	Latent   int    // latent vector size; 100 when zero
	Features int    // dcgan's base channel count; 64 (the DCGAN paper's) when zero

	// DSteps is k, the discriminator updates per generator update; 1 when
	// zero. The article found k = 5 most stable.
	DSteps int

	// Loss is "bce" (the article's: Sigmoid output, binary cross-entropy) or
	// "wgan-gp" (critic without Sigmoid or batch norm, gradient penalty
	// weighted by GPWeight, 10 when zero as in the WGAN-GP paper).
	Loss     string
	GPWeight float64

	Training
}

// GANLoss is one epoch's mean losses.
type GANLoss struct {
	Epoch int
	D, G  float64
}

// GAN is a trained generator and discriminator. Close frees them.
type GAN struct {
	cfg    GANConfig
	shape  imageShape
	m      *model
	g      generator
	d      discriminator
	Losses []GANLoss
}

// ganMeta is what a saved GAN records to be rebuilt: the architecture and
// the image shape.
type ganMeta struct {
	Arch     string `json:"arch"`
	Latent   int    `json:"latent"`
	Features int    `json:"features"`
	Loss     string `json:"loss"`
	Shape    [3]int `json:"shape"`
}

func (c *GANConfig) defaults() error {
	if c.Latent == 0 {
		c.Latent = 100
	}
	if c.Features == 0 {
		c.Features = 64
	}
	if c.DSteps == 0 {
		c.DSteps = 1
	}
	if c.GPWeight == 0 {
		c.GPWeight = 10
	}
	switch {
	case c.Arch != "mlp" && c.Arch != "dcgan":
		return fmt.Errorf("gan arch %q: want mlp or dcgan", c.Arch)
	case c.Loss != "bce" && c.Loss != "wgan-gp":
		return fmt.Errorf("gan loss %q: want bce or wgan-gp", c.Loss)
	case c.Latent < 1 || c.Features < 1 || c.DSteps < 1:
		return fmt.Errorf("gan latent, features and d_steps must be positive, got %d, %d, %d",
			c.Latent, c.Features, c.DSteps)
	case c.GPWeight < 0:
		return fmt.Errorf("gan gradient penalty weight must not be negative, got %g", c.GPWeight)
	}
	return nil
}

func (c *GANConfig) meta(shape imageShape) ganMeta {
	return ganMeta{
		c.Arch,
		c.Latent,
		c.Features,
		c.Loss,
		[3]int{int(shape.C), int(shape.H), int(shape.W)},
	}
}

// newGAN builds the networks on dev under the seed.
func newGAN(meta ganMeta, dev gotch.Device, seed int64) (*GAN, error) {
	shape := imageShape{int64(meta.Shape[0]), int64(meta.Shape[1]), int64(meta.Shape[2])}
	cfg := GANConfig{Arch: meta.Arch, Latent: meta.Latent, Features: meta.Features, Loss: meta.Loss}
	cfg.Device = dev
	g := &GAN{cfg: cfg, shape: shape, m: newModel(dev)}
	Seed(seed)
	root := g.m.vs.Root()
	wgan := meta.Loss == "wgan-gp"
	var err error
	switch meta.Arch {
	case "mlp":
		g.g = newMLPGenerator(g.m, root.Sub("g"), int64(meta.Latent), shape)
		g.d = newMLPDiscriminator(g.m, root.Sub("d"), shape, !wgan)
	case "dcgan":
		if shape.H != shape.W || (shape.C != 1 && shape.C != 3) {
			err = fmt.Errorf(
				"dcgan takes square images with 1 or 3 channels, got %dx%dx%d",
				shape.C,
				shape.H,
				shape.W,
			)
			break
		}
		latent, features := int64(meta.Latent), int64(meta.Features)
		if g.g, err = newDCGANGenerator(g.m, root.Sub("g"), latent, features, shape); err != nil {
			break
		}
		g.d, err = newDCGANDiscriminator(g.m, root.Sub("d"), int64(meta.Features), shape, wgan)
	default:
		err = fmt.Errorf("gan arch %q: want mlp or dcgan", meta.Arch)
	}
	if err != nil {
		g.m.close()
		return nil, err
	}
	return g, nil
}

// TrainGAN trains a GAN on images: [N, H, W] or [N, C, H, W], U8 (0-255) or
// F32/F64 in [0, 1]. A step is one real batch: one discriminator update,
// followed by a generator update on every DSteps-th step. The context stops
// training between steps; with CheckpointDir set, calling TrainGAN again
// resumes from the last checkpoint.
func TrainGAN(ctx context.Context, images *tensor.Tensor, cfg GANConfig) (*GAN, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	shape, err := imagesShape(images)
	if err != nil {
		return nil, err
	}
	if err := cfg.Training.check(images.Shape[0], 0.5); err != nil {
		return nil, err
	}
	defer session()()

	data, err := loadImages(images, cfg.Device, true)
	if err != nil {
		return nil, err
	}
	defer data.MustDrop()

	g, err := newGAN(cfg.meta(shape), cfg.Device, cfg.Seed)
	if err != nil {
		return nil, err
	}
	g.cfg = cfg
	t := newGANTrainer(g)
	defer t.close()

	l := &loop{
		cfg:   &cfg.Training,
		data:  data,
		n:     images.Shape[0],
		meter: newMeter("discriminator", "generator"),
	}
	if cfg.CheckpointDir != "" {
		l.ckpt = &checkpointer{
			dir: cfg.CheckpointDir, m: g.m,
			opts: map[string]*adam{"d": t.optD, "g": t.optG},
			fingerprint: fingerprint(
				"gan",
				cfg.meta(shape),
				images.Shape,
				cfg.DSteps,
				cfg.GPWeight,
				cfg.Training,
			),
		}
		if _, err := l.ckpt.restore(l); err != nil {
			g.Close()
			return nil, err
		}
	}
	if err := l.run(ctx, t.step); err != nil {
		g.Close()
		return nil, fmt.Errorf("train gan: %w", err)
	}
	for i, e := range l.epochs {
		g.Losses = append(g.Losses, GANLoss{Epoch: i + 1, D: e[0], G: e[1]})
	}
	return g, nil
}

// fingerprint is the JSON of everything that shapes a run's numbers, except
// the epoch count: a run may be resumed with more epochs.
func fingerprint(kind string, parts ...any) string {
	p := parts[len(parts)-1].(Training)
	p.Epochs, p.CheckpointDir, p.CheckpointEvery, p.Progress = 0, "", 0, nil
	parts[len(parts)-1] = p
	js, err := json.Marshal(append([]any{kind}, parts...))
	if err != nil {
		panic("torch: fingerprint: " + err.Error())
	}
	return string(js)
}

// Sample draws n images from the generator in eval mode (batch norm uses
// its running statistics), as F32 [n, C, H, W] in [0, 1]. The seed fixes
// the latent vectors.
func (g *GAN) Sample(n int, seed int64) (*tensor.Tensor, error) {
	if n < 1 {
		return nil, fmt.Errorf("sample count must be at least 1, got %d", n)
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	Seed(seed)
	z := a.add(ts.MustRandn([]int64{int64(n), int64(g.cfg.Latent)}, gotch.Float, g.cfg.Device))
	x := g.g.forward(&a, z, false)
	return toTensor(toUnit(&a, x, g.m.sc)), nil
}

// toUnit maps [-1, 1] to [0, 1].
func toUnit(a *arena, x *ts.Tensor, sc scalars) *ts.Tensor {
	return a.add(a.add(x.MustAddScalar(sc.get(1), false)).MustMulScalar(sc.get(0.5), false))
}

// Close frees the networks.
func (g *GAN) Close() {
	if g.m != nil {
		g.m.close()
		g.m = nil
	}
}
