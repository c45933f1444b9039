package torch

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// encoder maps images [B, C, H, W] to the mean and log-variance of the
// latent distribution, each [B, latent].
type encoder interface {
	forward(a *arena, x *ts.Tensor) (mu, logvar *ts.Tensor)
}

// decoder maps latent vectors to images [B, C, H, W] in [0, 1].
type decoder interface {
	forward(a *arena, z *ts.Tensor) *ts.Tensor
}

// mlpEncoder is the article's: pixels -> 400 (ReLU) -> two heads.
type mlpEncoder struct{ fc1, mu, logvar linear }

func newMLPEncoder(m *model, p *nn.Path, shape imageShape, hidden, latent int64) *mlpEncoder {
	return &mlpEncoder{
		fc1:    m.linear(p.Sub("fc1"), shape.pixels(), hidden),
		mu:     m.linear(p.Sub("mu"), hidden, latent),
		logvar: m.linear(p.Sub("logvar"), hidden, latent),
	}
}

func (e *mlpEncoder) forward(a *arena, x *ts.Tensor) (*ts.Tensor, *ts.Tensor) {
	h := a.add(x.MustFlatten(1, -1, false))
	h = a.add(e.fc1.forward(a, h).MustRelu(false))
	return e.mu.forward(a, h), e.logvar.forward(a, h)
}

// mlpDecoder is the article's: latent -> 400 (ReLU) -> pixels (sigmoid).
type mlpDecoder struct {
	fc1, fc2 linear
	shape    imageShape
}

func newMLPDecoder(m *model, p *nn.Path, shape imageShape, hidden, latent int64) *mlpDecoder {
	return &mlpDecoder{
		fc1:   m.linear(p.Sub("fc1"), latent, hidden),
		fc2:   m.linear(p.Sub("fc2"), hidden, shape.pixels()),
		shape: shape,
	}
}

func (d *mlpDecoder) forward(a *arena, z *ts.Tensor) *ts.Tensor {
	h := a.add(d.fc1.forward(a, z).MustRelu(false))
	h = a.add(d.fc2.forward(a, h).MustSigmoid(false))
	return a.add(h.MustView([]int64{-1, d.shape.C, d.shape.H, d.shape.W}, false))
}

// convEncoder halves the resolution twice with 4x4 stride-2 convolutions
// (32 and 64 channels, ReLU), then maps the flattened features to the two
// heads. It takes any size divisible by 4 (28 -> 14 -> 7, 32 -> 16 -> 8).
type convEncoder struct {
	c1, c2     conv
	mu, logvar linear
}

const convVAEWidth = 64 // channels of the deepest feature map

func newConvEncoder(m *model, p *nn.Path, shape imageShape, latent int64) *convEncoder {
	flat := convVAEWidth * (shape.H / 4) * (shape.W / 4)
	return &convEncoder{
		c1:     m.conv2d(p.Sub("conv1"), shape.C, convVAEWidth/2, 4, 2, 1, false),
		c2:     m.conv2d(p.Sub("conv2"), convVAEWidth/2, convVAEWidth, 4, 2, 1, false),
		mu:     m.linear(p.Sub("mu"), flat, latent),
		logvar: m.linear(p.Sub("logvar"), flat, latent),
	}
}

func (e *convEncoder) forward(a *arena, x *ts.Tensor) (*ts.Tensor, *ts.Tensor) {
	h := a.add(e.c1.forward(a, x).MustRelu(false))
	h = a.add(e.c2.forward(a, h).MustRelu(false))
	h = a.add(h.MustFlatten(1, -1, false))
	return e.mu.forward(a, h), e.logvar.forward(a, h)
}

// convDecoder mirrors convEncoder with transposed convolutions.
type convDecoder struct {
	fc     linear
	c1, c2 conv
	shape  imageShape
}

func newConvDecoder(m *model, p *nn.Path, shape imageShape, latent int64) *convDecoder {
	return &convDecoder{
		fc:    m.linear(p.Sub("fc"), latent, convVAEWidth*(shape.H/4)*(shape.W/4)),
		c1:    m.convT2d(p.Sub("conv1"), convVAEWidth, convVAEWidth/2, 4, 2, 1, false),
		c2:    m.convT2d(p.Sub("conv2"), convVAEWidth/2, shape.C, 4, 2, 1, false),
		shape: shape,
	}
}

func (d *convDecoder) forward(a *arena, z *ts.Tensor) *ts.Tensor {
	h := a.add(d.fc.forward(a, z).MustRelu(false))
	h = a.add(h.MustView([]int64{-1, convVAEWidth, d.shape.H / 4, d.shape.W / 4}, false))
	h = a.add(d.c1.forward(a, h).MustRelu(false))
	return a.add(d.c2.forward(a, h).MustSigmoid(false))
}
