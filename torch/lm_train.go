package torch

import (
	"context"
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// TrainLM trains a language model on a stream of token ids (a 1-D I64 or
// I32 tensor, documents already joined). The stream is cut into windows of
// Context+1 tokens that overlap by one, so every token but the first is a
// target once an epoch; each step takes Batch windows in a seeded order and
// minimises the mean next-token cross-entropy. The last incomplete window
// and batch are dropped.
//
// The optimizer is AdamW (PyTorch's: decay by lr·WeightDecay, then the Adam
// step), under linear warm-up and cosine decay, with the gradients clipped
// to ClipNorm. A NaN or infinite loss or gradient norm stops training with
// an error. The context stops training between steps; with CheckpointDir
// set, calling TrainLM again resumes from the last checkpoint.
func TrainLM(ctx context.Context, tokens *tensor.Tensor, cfg LMConfig) (*LM, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := lmChecks(cfg); err != nil {
		return nil, err
	}
	if len(tokens.Shape) != 1 {
		return nil, fmt.Errorf("train lm: token ids of shape %v, want one stream [N]", tokens.Shape)
	}
	ids, err := tokenIDs(tokens)
	if err != nil {
		return nil, fmt.Errorf("train lm: %w", err)
	}
	for i, id := range ids {
		if id < 0 || id >= int64(cfg.Vocab) {
			return nil, fmt.Errorf("train lm: token id %d at position %d is outside the vocabulary [0, %d)",
				id, i, cfg.Vocab)
		}
	}
	n := (len(ids) - 1) / cfg.Context
	if n < cfg.Batch || n < 1 {
		return nil, fmt.Errorf("train lm: %d tokens make %d windows of %d+1, fewer than the batch of %d",
			len(ids), n, cfg.Context, max(cfg.Batch, 1))
	}
	if err := cfg.Training.check(n, 0.9); err != nil {
		return nil, fmt.Errorf("train lm: %w", err)
	}
	defer session()()

	data, err := lmWindows(ids, n, cfg.Context, cfg.Vocab, cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("train lm: %w", err)
	}
	defer data.MustDrop()

	lm, err := newLM(cfg.meta(), cfg.Device, cfg.Seed)
	if err != nil {
		return nil, err
	}
	t := newLMTrainer(lm, cfg)
	defer t.close()

	l := &loop{cfg: &cfg.Training, data: data, n: n, meter: newMeter("loss", "lr")}
	t.total = l.total()
	if cfg.CheckpointDir != "" {
		l.ckpt = &checkpointer{
			dir: cfg.CheckpointDir, m: lm.m, opts: map[string]*adam{"lm": t.opt},
			fingerprint: fingerprint("lm", cfg.meta(), len(ids), cfg.WeightDecay, cfg.Warmup,
				cfg.MinLR, cfg.ClipNorm, cfg.Training),
		}
		if _, err := l.ckpt.restore(l); err != nil {
			lm.Close()
			return nil, err
		}
	}
	if err := l.run(ctx, t.step); err != nil {
		lm.Close()
		return nil, fmt.Errorf("train lm: %w", err)
	}
	for i, e := range l.epochs {
		lm.Losses = append(lm.Losses, LMLoss{Epoch: i + 1, Loss: e[0], LR: e[1]})
	}
	return lm, nil
}

func lmChecks(c LMConfig) error {
	switch {
	case math.IsInf(c.LR, 0):
		return fmt.Errorf("learning rate must be positive and finite, got %g", c.LR)
	case c.WeightDecay < 0:
		return fmt.Errorf("weight decay must not be negative, got %g", c.WeightDecay)
	case c.Warmup < 0:
		return fmt.Errorf("warm-up steps must not be negative, got %d", c.Warmup)
	case c.MinLR < 0 || c.MinLR > c.LR:
		return fmt.Errorf("minimum learning rate must lie in [0, lr = %g], got %g", c.LR, c.MinLR)
	case c.ClipNorm < 0:
		return fmt.Errorf("gradient clipping norm must not be negative, got %g", c.ClipNorm)
	}
	return nil
}

// lmWindows cuts ids into n windows of context+1 tokens, window i starting
// at i·context, as an int64 tensor [n, context+1] on dev.
func lmWindows(ids []int64, n, context, vocab int, dev gotch.Device) (*ts.Tensor, error) {
	w := context + 1
	flat := make([]int64, 0, n*w)
	for i := range n {
		flat = append(flat, ids[i*context:i*context+w]...)
	}
	return idsTensor(flat, n, w, vocab, dev)
}

// lmTrainer holds what the training steps need beyond the network.
type lmTrainer struct {
	lm    *LM
	cfg   LMConfig
	opt   *adam
	decay []*ts.Tensor // the parameters weight decay applies to
	total int
	sc    scalars
}

func newLMTrainer(lm *LM, cfg LMConfig) *lmTrainer {
	params := lm.m.trainable("")
	t := &lmTrainer{
		lm:  lm,
		cfg: cfg,
		opt: newAdam(params, cfg.LR, cfg.Beta1, cfg.Beta2),
		sc:  scalars{},
	}
	for _, p := range params {
		if len(p.MustSize()) >= 2 {
			t.decay = append(t.decay, p)
		}
	}
	return t
}

func (t *lmTrainer) close() {
	t.opt.close()
	t.sc.free()
}

// lr is the learning rate of step i (from 0): linear warm-up over Warmup
// steps to LR, then a half cosine from LR down to MinLR at the last step.
func (t *lmTrainer) lr(i int) float64 {
	c := t.cfg
	if i < c.Warmup {
		return c.LR * float64(i+1) / float64(c.Warmup)
	}
	span := t.total - c.Warmup - 1
	if span <= 0 {
		return c.LR
	}
	progress := min(1, float64(i-c.Warmup)/float64(span))
	return c.MinLR + 0.5*(c.LR-c.MinLR)*(1+math.Cos(math.Pi*progress))
}

// step trains on one batch of windows [B, T+1], T at most Context.
func (t *lmTrainer) step(a *arena, batch *ts.Tensor, i int, m *meter) error {
	ctx := batch.MustSize()[1] - 1
	x := a.add(batch.MustNarrow(1, 0, ctx, false))
	y := a.add(batch.MustNarrow(1, 1, ctx, false))
	logits := t.lm.forward(a, x, true)
	flat := a.add(logits.MustView([]int64{-1, int64(t.lm.meta.Vocab)}, false))
	target := a.add(y.MustReshape([]int64{-1}, false))
	loss := a.add(flat.MustCrossEntropyLoss(target, none, ts.ReductionMean, -100, 0, false))
	if err := m.add(i, 0, scalar(loss)); err != nil {
		return err
	}

	t.opt.zeroGrad()
	loss.MustBackward()

	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	norm := t.gradNorm(a)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return fmt.Errorf("step %d: gradient norm is %v", i+1, norm)
	}
	if t.cfg.ClipNorm > 0 {
		t.clip(norm)
	}
	lr := t.lr(i)
	if t.cfg.WeightDecay > 0 {
		// AdamW's decoupled decay, before the Adam step as in PyTorch.
		f := t.sc.get(1 - lr*t.cfg.WeightDecay)
		for _, p := range t.decay {
			p.MustMulScalar_(f)
		}
	}
	t.opt.lr = lr
	t.opt.update()
	return m.add(i, 1, lr)
}

// gradNorm is the L2 norm of all gradients together: the norm of the
// per-tensor norms, as clip_grad_norm_ computes it, read back once.
func (t *lmTrainer) gradNorm(a *arena) float64 {
	norms := make([]ts.Tensor, 0, len(t.opt.params))
	for _, p := range t.opt.params {
		g := a.add(p.MustGrad(false))
		if g.MustDefined() {
			norms = append(norms, *a.add(g.MustNorm(false)))
		}
	}
	if len(norms) == 0 {
		return 0
	}
	return scalar(a.add(a.add(ts.MustStack(norms, 0)).MustNorm(false)))
}

// clip scales the gradients by ClipNorm/(norm+1e-6) when that is below 1,
// PyTorch's clip_grad_norm_ rule.
func (t *lmTrainer) clip(norm float64) {
	coef := t.cfg.ClipNorm / (norm + 1e-6)
	if coef >= 1 {
		return
	}
	s := ts.FloatScalar(coef)
	defer s.MustDrop()
	for _, p := range t.opt.params {
		g := p.MustGrad(false)
		if g.MustDefined() {
			g.MustMulScalar_(s)
		}
		g.MustDrop()
	}
}
