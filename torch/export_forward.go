package torch

import (
	"fmt"

	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// These forward passes on caller-given inputs are what exported models are
// compared against: an export is right when it computes what pipe does.

// Generate runs the generator in eval mode (batch norm on its running
// statistics) on latent vectors z, F32 [B, latent], and returns its raw
// output, F32 [B, C, H, W] in [-1, 1]. Sample maps that to [0, 1].
func (g *GAN) Generate(z *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBatch("latent vectors", z, []int{g.cfg.Latent}); err != nil {
		return nil, err
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	x, err := fromTensor(z, g.cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	a.add(x)
	return toTensor(g.g.forward(&a, x, false)), nil
}

// Encode runs the encoder on images, F32 [B, C, H, W] in [0, 1], and
// returns the mean and log-variance of the latent distribution, each F32
// [B, latent].
func (v *VAE) Encode(images *tensor.Tensor) (mu, logvar *tensor.Tensor, err error) {
	if err := checkBatch("images", images, v.shape.ints()); err != nil {
		return nil, nil, err
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	x, err := fromTensor(images, v.cfg.Device)
	if err != nil {
		return nil, nil, fmt.Errorf("encode: %w", err)
	}
	a.add(x)
	m, lv := v.enc.forward(&a, x)
	return toTensor(m), toTensor(lv), nil
}

// Decode runs the decoder on latent vectors z, F32 [B, latent], and
// returns images, F32 [B, C, H, W] in [0, 1].
func (v *VAE) Decode(z *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBatch("latent vectors", z, []int{v.cfg.Latent}); err != nil {
		return nil, err
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	x, err := fromTensor(z, v.cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	a.add(x)
	return toTensor(v.dec.forward(&a, x)), nil
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
