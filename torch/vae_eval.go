package torch

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// VAEEval is a VAE's score on a dataset.
type VAEEval struct {
	// MSE is the squared error per pixel between the images, in [0, 1], and
	// their reconstructions from the latent mean (no sampling).
	MSE float64
	// KL is the mean per image of KL(q(z|x) || N(0, 1)), summed over the
	// latent dimensions.
	KL float64
	N  int // images evaluated
}

// evalBatch bounds the memory evaluation takes; it does not change results
// beyond float rounding.
const evalBatch = 256

// Evaluate scores the VAE on images, given as to TrainVAE.
func (v *VAE) Evaluate(images *tensor.Tensor) (VAEEval, error) {
	shape, err := imagesShape(images)
	if err != nil {
		return VAEEval{}, err
	}
	if shape != v.shape {
		return VAEEval{}, fmt.Errorf("evaluate vae: images are %dx%dx%d, the model takes %dx%dx%d",
			shape.C, shape.H, shape.W, v.shape.C, v.shape.H, v.shape.W)
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()

	data, err := loadImages(images, v.cfg.Device, false)
	if err != nil {
		return VAEEval{}, err
	}
	defer data.MustDrop()

	n := images.Shape[0]
	sc := scalars{}
	defer sc.free()
	var a arena
	defer a.free()
	var sqErr, kl float64
	for lo := 0; lo < n; lo += evalBatch {
		x := a.add(data.MustNarrow(0, int64(lo), int64(min(evalBatch, n-lo)), false))
		mu, logvar := v.enc.forward(&a, x)
		xhat := v.dec.forward(&a, mu)
		sqErr += scalar(a.add(xhat.MustMseLoss(x, ts.ReductionSum, false)))

		terms := a.add(logvar.MustAddScalar(sc.get(1), false))
		terms = a.add(terms.MustSub(a.add(mu.MustSquare(false)), false))
		terms = a.add(terms.MustSub(a.add(logvar.MustExp(false)), false))
		kl += -0.5 * scalar(a.add(terms.MustSum(gotch.Double, false)))
		a.free()
	}
	return VAEEval{MSE: sqErr / float64(n*int(shape.pixels())), KL: kl / float64(n), N: n}, nil
}

// Sample decodes n latent vectors drawn from N(0, 1) into images, F32
// [n, C, H, W] in [0, 1]. The seed fixes the latent vectors.
func (v *VAE) Sample(n int, seed int64) (*tensor.Tensor, error) {
	if n < 1 {
		return nil, fmt.Errorf("sample count must be at least 1, got %d", n)
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	Seed(seed)
	z := a.add(ts.MustRandn([]int64{int64(n), int64(v.cfg.Latent)}, gotch.Float, v.cfg.Device))
	return toTensor(v.dec.forward(&a, z)), nil
}

// Close frees the networks.
func (v *VAE) Close() {
	if v.m != nil {
		v.m.close()
		v.m = nil
	}
}
