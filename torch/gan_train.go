package torch

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// ganTrainer holds what a GAN's training steps need beyond the networks.
type ganTrainer struct {
	g          *GAN
	optD, optG *adam
	sc         scalars
}

func newGANTrainer(g *GAN) *ganTrainer {
	c := g.cfg.Training
	return &ganTrainer{
		g:    g,
		optD: newAdam(g.m.trainable("d."), c.LR, c.Beta1, c.Beta2),
		optG: newAdam(g.m.trainable("g."), c.LR, c.Beta1, c.Beta2),
		sc:   scalars{},
	}
}

func (t *ganTrainer) close() {
	t.optD.close()
	t.optG.close()
	t.sc.free()
}

// step runs one discriminator update on real, then a generator update when
// the step closes a group of DSteps.
func (t *ganTrainer) step(a *arena, real *ts.Tensor, i int, m *meter) error {
	cfg := t.g.cfg
	b := real.MustSize()[0]

	// The discriminator sees fakes made without a graph: the generator is
	// not updated here, and this is cheaper than detaching.
	guard := ts.NewNoGradGuard()
	fake := t.g.g.forward(a, t.latent(a, b), true)
	guard.Drop()

	var lossD *ts.Tensor
	if cfg.Loss == "wgan-gp" {
		var err error
		if lossD, err = t.criticLoss(a, real, fake); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	} else {
		lossD = t.discriminatorLoss(a, real, fake)
	}
	t.optD.zeroGrad()
	lossD.MustBackward()
	t.update(t.optD)
	if err := m.add(i, 0, scalar(lossD)); err != nil {
		return err
	}

	if (i+1)%cfg.DSteps != 0 {
		return nil
	}
	score := t.g.d.forward(a, t.g.g.forward(a, t.latent(a, b), true), true)
	var lossG *ts.Tensor
	if cfg.Loss == "wgan-gp" {
		lossG = a.add(a.add(score.MustMean(gotch.Float, false)).MustNeg(false))
	} else {
		lossG = t.bce(a, score, 1)
	}
	t.optG.zeroGrad()
	lossG.MustBackward()
	t.update(t.optG)
	return m.add(i, 1, scalar(lossG))
}

func (t *ganTrainer) update(o *adam) {
	guard := ts.NewNoGradGuard()
	o.update()
	guard.Drop()
}

func (t *ganTrainer) latent(a *arena, b int64) *ts.Tensor {
	return a.add(ts.MustRandn([]int64{b, int64(t.g.cfg.Latent)}, gotch.Float, t.g.cfg.Device))
}

// bce is the binary cross-entropy of probabilities p against a constant
// label, averaged over the batch.
func (t *ganTrainer) bce(a *arena, p *ts.Tensor, label float64) *ts.Tensor {
	target := a.add(p.MustOnesLike(false))
	if label != 1 {
		target.MustFill_(t.sc.get(label))
	}
	return bce(a, p, target, ts.ReductionMean)
}

// discriminatorLoss is BCE(D(real), 1) + BCE(D(fake), 0).
func (t *ganTrainer) discriminatorLoss(a *arena, real, fake *ts.Tensor) *ts.Tensor {
	lossReal := t.bce(a, t.g.d.forward(a, real, true), 1)
	lossFake := t.bce(a, t.g.d.forward(a, fake, true), 0)
	return a.add(lossReal.MustAdd(lossFake, false))
}

// criticLoss is WGAN-GP's: mean D(fake) - mean D(real) + λ·mean((‖∇D(x̂)‖ -
// 1)²) at random interpolates x̂ between real and fake images. The
// gradient of D(x̂) with respect to x̂ comes from libtorch's autograd with
// create_graph set (gotch's RunBackward), so the penalty is itself
// differentiated by the backward pass.
func (t *ganTrainer) criticLoss(a *arena, real, fake *ts.Tensor) (*ts.Tensor, error) {
	d := t.g.d
	size := real.MustSize()
	meanReal := a.add(d.forward(a, real, true).MustMean(gotch.Float, false))
	meanFake := a.add(d.forward(a, fake, true).MustMean(gotch.Float, false))

	eps := a.add(ts.MustRand([]int64{size[0], 1, 1, 1}, gotch.Float, t.g.cfg.Device))
	diff := a.add(real.MustSub(fake, false))
	mixed := a.add(fake.MustAdd(a.add(diff.MustMul(eps, false)), false))
	xhat := a.add(mixed.MustSetRequiresGrad(true, false))
	score := d.forward(a, xhat, true)
	grads, err := ts.RunBackward([]ts.Tensor{*score}, []ts.Tensor{*xhat}, true, true)
	if err != nil {
		return nil, fmt.Errorf("gradient penalty: %w", err)
	}
	grad := a.add(&grads[0])
	sq := a.add(a.add(grad.MustFlatten(1, -1, false)).MustSquare(false))
	norm := a.add(a.add(sq.MustSumDimIntlist([]int64{1}, false, gotch.Float, false)).MustSqrt(false))
	dev := a.add(a.add(norm.MustSubScalar(t.sc.get(1), false)).MustSquare(false))
	penalty := a.add(
		a.add(dev.MustMean(gotch.Float, false)).MustMulScalar(t.sc.get(t.g.cfg.GPWeight), false),
	)

	w := a.add(meanFake.MustSub(meanReal, false))
	return a.add(w.MustAdd(penalty, false)), nil
}
