package torch

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// imageShape is the channels, height and width of the images a model makes.
type imageShape struct{ C, H, W int64 }

func (s imageShape) pixels() int64 { return s.C * s.H * s.W }

// generator maps latent vectors [B, latent] to images [B, C, H, W] in
// [-1, 1].
type generator interface {
	forward(a *arena, z *ts.Tensor, train bool) *ts.Tensor
}

// discriminator maps images to one score per image, [B, 1]: a probability
// for BCE, an unbounded critic value for WGAN-GP.
type discriminator interface {
	forward(a *arena, x *ts.Tensor, train bool) *ts.Tensor
}

// mlpGenerator is the article's generator: latent -> 256 -> 512 -> pixels,
// LeakyReLU 0.2 between layers, Tanh at the end.
type mlpGenerator struct {
	fc1, fc2, fc3 linear
	act           leaky
	shape         imageShape
}

func newMLPGenerator(m *model, p *nn.Path, latent int64, shape imageShape) *mlpGenerator {
	return &mlpGenerator{
		fc1:   m.linear(p.Sub("fc1"), latent, 256),
		fc2:   m.linear(p.Sub("fc2"), 256, 512),
		fc3:   m.linear(p.Sub("fc3"), 512, shape.pixels()),
		act:   m.leaky(0.2),
		shape: shape,
	}
}

func (g *mlpGenerator) forward(a *arena, z *ts.Tensor, _ bool) *ts.Tensor {
	h := g.act.forward(a, g.fc1.forward(a, z))
	h = g.act.forward(a, g.fc2.forward(a, h))
	h = a.add(g.fc3.forward(a, h).MustTanh(false))
	return a.add(h.MustView([]int64{-1, g.shape.C, g.shape.H, g.shape.W}, false))
}

// mlpDiscriminator is the article's discriminator: pixels -> 512 -> 256 -> 1,
// LeakyReLU 0.2, Sigmoid at the end unless it is a WGAN critic.
type mlpDiscriminator struct {
	fc1, fc2, fc3 linear
	act           leaky
	sigmoid       bool
}

func newMLPDiscriminator(m *model, p *nn.Path, shape imageShape, sigmoid bool) *mlpDiscriminator {
	return &mlpDiscriminator{
		fc1:     m.linear(p.Sub("fc1"), shape.pixels(), 512),
		fc2:     m.linear(p.Sub("fc2"), 512, 256),
		fc3:     m.linear(p.Sub("fc3"), 256, 1),
		act:     m.leaky(0.2),
		sigmoid: sigmoid,
	}
}

func (d *mlpDiscriminator) forward(a *arena, x *ts.Tensor, _ bool) *ts.Tensor {
	h := a.add(x.MustFlatten(1, -1, false))
	h = d.act.forward(a, d.fc1.forward(a, h))
	h = d.act.forward(a, d.fc2.forward(a, h))
	h = d.fc3.forward(a, h)
	if d.sigmoid {
		h = a.add(h.MustSigmoid(false))
	}
	return h
}

// dcganGenerator follows the DCGAN paper: transposed convolutions that
// double the resolution, batch norm and ReLU, Tanh at the end. For 32x32 it
// goes 1 -> 4 -> 8 -> 16 -> 32 with 4f, 2f, f channels; for 28x28 it goes
// 1 -> 7 -> 14 -> 28 with 2f, f channels.
type dcganGenerator struct {
	convs []conv
	norms []batchNorm
}

func newDCGANGenerator(
	m *model,
	p *nn.Path,
	latent, features int64,
	shape imageShape,
) (*dcganGenerator, error) {
	var widths []int64
	var first int64
	switch shape.H {
	case 32:
		widths, first = []int64{4 * features, 2 * features, features}, 4
	case 28:
		widths, first = []int64{2 * features, features}, 7
	default:
		return nil, fmt.Errorf("dcgan takes 28x28 or 32x32 images, got %dx%d", shape.H, shape.W)
	}
	g := &dcganGenerator{}
	in := latent
	for i, w := range widths {
		k, stride, pad := int64(4), int64(2), int64(1)
		if i == 0 {
			k, stride, pad = first, 1, 0
		}
		g.convs = append(
			g.convs,
			m.convT2d(p.Sub(fmt.Sprintf("conv%d", i+1)), in, w, k, stride, pad, true),
		)
		g.norms = append(g.norms, m.batchNorm(p.Sub(fmt.Sprintf("bn%d", i+1)), w))
		in = w
	}
	g.convs = append(
		g.convs,
		m.convT2d(p.Sub(fmt.Sprintf("conv%d", len(widths)+1)), in, shape.C, 4, 2, 1, true),
	)
	return g, nil
}

func (g *dcganGenerator) forward(a *arena, z *ts.Tensor, train bool) *ts.Tensor {
	size := z.MustSize()
	h := a.add(z.MustView([]int64{size[0], size[1], 1, 1}, false))
	for i, bn := range g.norms {
		h = g.convs[i].forward(a, h)
		h = a.add(bn.forward(a, h, train).MustRelu(false))
	}
	return a.add(g.convs[len(g.convs)-1].forward(a, h).MustTanh(false))
}

// dcganDiscriminator mirrors the generator with strided convolutions and
// LeakyReLU 0.2; batch norm on all but the first layer, except in a WGAN-GP
// critic, where the gradient penalty is per sample and batch norm would mix
// samples (the WGAN-GP paper drops it for that reason).
type dcganDiscriminator struct {
	convs   []conv
	norms   []batchNorm
	act     leaky
	sigmoid bool
}

func newDCGANDiscriminator(
	m *model,
	p *nn.Path,
	features int64,
	shape imageShape,
	wgan bool,
) (*dcganDiscriminator, error) {
	var widths []int64
	var last int64
	switch shape.H {
	case 32:
		widths, last = []int64{features, 2 * features, 4 * features}, 4
	case 28:
		widths, last = []int64{features, 2 * features}, 7
	default:
		return nil, fmt.Errorf("dcgan takes 28x28 or 32x32 images, got %dx%d", shape.H, shape.W)
	}
	d := &dcganDiscriminator{act: m.leaky(0.2), sigmoid: !wgan}
	in := shape.C
	for i, w := range widths {
		d.convs = append(d.convs, m.conv2d(p.Sub(fmt.Sprintf("conv%d", i+1)), in, w, 4, 2, 1, true))
		if i > 0 && !wgan {
			d.norms = append(d.norms, m.batchNorm(p.Sub(fmt.Sprintf("bn%d", i+1)), w))
		}
		in = w
	}
	d.convs = append(
		d.convs,
		m.conv2d(p.Sub(fmt.Sprintf("conv%d", len(widths)+1)), in, 1, last, 1, 0, true),
	)
	return d, nil
}

func (d *dcganDiscriminator) forward(a *arena, x *ts.Tensor, train bool) *ts.Tensor {
	h := x
	for i, c := range d.convs[:len(d.convs)-1] {
		h = c.forward(a, h)
		if i > 0 && len(d.norms) > 0 {
			h = d.norms[i-1].forward(a, h, train)
		}
		h = d.act.forward(a, h)
	}
	h = d.convs[len(d.convs)-1].forward(a, h)
	h = a.add(h.MustView([]int64{-1, 1}, false))
	if d.sigmoid {
		h = a.add(h.MustSigmoid(false))
	}
	return h
}

func (s imageShape) ints() []int { return []int{int(s.C), int(s.H), int(s.W)} }
