package torch

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// These forward passes on caller-given inputs are what exported models are
// compared against: an export is right when it computes what pipe does.

// Generate runs the generator in eval mode (batch norm on its running
// statistics) on latent vectors z, F32 [B, latent], and returns its raw
// output, F32 [B, C, H, W] in [-1, 1]. Sample maps that to [0, 1].
func (g *GAN) Generate(z *tensor.Tensor) (*tensor.Tensor, error) {
	out, err := runForward("generate", "latent vectors", z, []int{g.cfg.Latent}, g.cfg.Device,
		func(a *arena, x *ts.Tensor) []*ts.Tensor { return []*ts.Tensor{g.g.forward(a, x, false)} })
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Encode runs the encoder on images, F32 [B, C, H, W] in [0, 1], and
// returns the mean and log-variance of the latent distribution, each F32
// [B, latent].
func (v *VAE) Encode(images *tensor.Tensor) (mu, logvar *tensor.Tensor, err error) {
	out, err := runForward("encode", "images", images, v.shape.ints(), v.cfg.Device,
		func(a *arena, x *ts.Tensor) []*ts.Tensor {
			m, lv := v.enc.forward(a, x)
			return []*ts.Tensor{m, lv}
		})
	if err != nil {
		return nil, nil, err
	}
	return out[0], out[1], nil
}

// Decode runs the decoder on latent vectors z, F32 [B, latent], and
// returns images, F32 [B, C, H, W] in [0, 1].
func (v *VAE) Decode(z *tensor.Tensor) (*tensor.Tensor, error) {
	out, err := runForward("decode", "latent vectors", z, []int{v.cfg.Latent}, v.cfg.Device,
		func(a *arena, x *ts.Tensor) []*ts.Tensor { return []*ts.Tensor{v.dec.forward(a, x)} })
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// runForward checks in (what it holds, for errors) against F32 [B, rest...],
// runs net on it without gradients on dev, and copies the outputs out of
// libtorch.
func runForward(op, what string, in *tensor.Tensor, rest []int, dev gotch.Device,
	net func(a *arena, x *ts.Tensor) []*ts.Tensor) ([]*tensor.Tensor, error) {
	if err := checkBatch(what, in, rest); err != nil {
		return nil, err
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	x, err := fromTensor(in, dev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	a.add(x)
	var out []*tensor.Tensor
	for _, t := range net(&a, x) {
		out = append(out, toTensor(t))
	}
	return out, nil
}

// checkBatch rejects a tensor that is not F32 [B, rest...] with B >= 1
// before it reaches libtorch, where a mismatch would end the process.
func checkBatch(what string, t *tensor.Tensor, rest []int) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ok := t.DType == tensor.Float32 && len(t.Shape) == len(rest)+1 && t.Shape[0] >= 1
	for i := 0; ok && i < len(rest); i++ {
		ok = t.Shape[i+1] == rest[i]
	}
	if !ok {
		return fmt.Errorf("%s are %s %v, want F32 [batch %v]", what, t.DType, t.Shape, rest)
	}
	return nil
}
