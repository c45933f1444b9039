package torch

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch/ts"
)

// adam is the Adam optimizer as PyTorch 1.13 computes it (no weight decay,
// no amsgrad, eps 1e-8). It is written here rather than taken from gotch,
// whose optimizer lives in libtorch's C++ with its moments out of reach:
// checkpoints need them for a resumed run to continue exactly.
type adam struct {
	lr, beta1, beta2 float64
	step             int64
	params           []*ts.Tensor
	m, v             []*ts.Tensor
	sc               scalars
}

const adamEps = 1e-8

func newAdam(params []*ts.Tensor, lr, beta1, beta2 float64) *adam {
	o := &adam{lr: lr, beta1: beta1, beta2: beta2, params: params, sc: scalars{}}
	for _, p := range params {
		o.m = append(o.m, p.MustZerosLike(false))
		o.v = append(o.v, p.MustZerosLike(false))
	}
	return o
}

// zeroGrad zeroes the gradients in place, as PyTorch 1.13's zero_grad does
// by default.
func (o *adam) zeroGrad() {
	for _, p := range o.params {
		g := p.MustGrad(false)
		if g.MustDefined() {
			g.MustZero_()
		}
		g.MustDrop()
	}
}

// update takes one step. The caller must have disabled gradient tracking.
//
//	m = beta1 m + (1-beta1) g
//	v = beta2 v + (1-beta2) g²
//	p -= lr/(1-beta1^t) · m / (sqrt(v)/sqrt(1-beta2^t) + eps)
func (o *adam) update() {
	o.step++
	bc1 := 1 - math.Pow(o.beta1, float64(o.step))
	bc2 := 1 - math.Pow(o.beta2, float64(o.step))
	negStep := ts.FloatScalar(-o.lr / bc1)
	bc2Sqrt := ts.FloatScalar(math.Sqrt(bc2))
	defer negStep.MustDrop()
	defer bc2Sqrt.MustDrop()

	for i, p := range o.params {
		g := p.MustGrad(false)
		if !g.MustDefined() {
			g.MustDrop()
			continue
		}
		o.m[i].MustLerp_(g, o.sc.get(1-o.beta1))
		g2 := g.MustMul(g, true)
		o.v[i].MustLerp_(g2, o.sc.get(1-o.beta2))
		g2.MustDrop()

		// Dividing the denominator by -step size lets addcdiv_, which has
		// no value argument in gotch v0.7.0, apply the step.
		d := o.v[i].MustSqrt(false)
		d.MustDivScalar_(bc2Sqrt)
		d.MustAddScalar_(o.sc.get(adamEps))
		d.MustDivScalar_(negStep)
		p.MustAddcdiv_(o.m[i], d)
		d.MustDrop()
	}
}

// state names the moments for a checkpoint: prefix.m.0, prefix.v.0, ...
func (o *adam) state(prefix string) map[string]*ts.Tensor {
	out := make(map[string]*ts.Tensor, 2*len(o.m))
	for i := range o.m {
		out[fmt.Sprintf("%s.m.%d", prefix, i)] = o.m[i]
		out[fmt.Sprintf("%s.v.%d", prefix, i)] = o.v[i]
	}
	return out
}

func (o *adam) close() {
	for i := range o.m {
		o.m[i].MustDrop()
		o.v[i].MustDrop()
	}
	o.m, o.v = nil, nil
	o.sc.free()
}
