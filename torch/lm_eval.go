package torch

import (
	"bytes"
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

const lmMetaKey = "pipe.lm"

// Save writes the LM's weights (WeightsFile, VarStoreFile) and per-epoch
// losses (LossesFile: epoch, loss, lr) into dir.
func (lm *LM) Save(dir string) error {
	var csv bytes.Buffer
	csv.WriteString("epoch,loss,lr\n")
	for _, l := range lm.Losses {
		fmt.Fprintf(&csv, "%d,%s,%s\n", l.Epoch, ftoa(l.Loss), ftoa(l.LR))
	}
	return saveModel(dir, lm.m, lmMetaKey, lm.meta, csv.Bytes())
}

// LoadLM rebuilds an LM saved by Save in dir, on dev, from WeightsFile. A
// file with the same names and an lmMeta in its "pipe.lm" metadata loads
// too, which is how the parity fixture made by PyTorch is read. Its Losses
// are empty.
func LoadLM(dir string, dev gotch.Device) (*LM, error) {
	var meta lmMeta
	weights, err := readWeights(dir, lmMetaKey, &meta)
	if err != nil {
		return nil, err
	}
	return lmFromWeights(meta, weights, dev, dir)
}

// lmFromWeights builds an LM of the given architecture and copies weights
// into it; extra tensors in weights are ignored.
func lmFromWeights(meta lmMeta, weights map[string]*tensor.Tensor, dev gotch.Device,
	from string) (*LM, error) {
	defer session()()
	lm, err := newLM(meta, defaultDevice(dev), 0)
	if err != nil {
		return nil, fmt.Errorf("load lm %s: %w", from, err)
	}
	own := make(map[string]*tensor.Tensor, len(lm.m.vars))
	for _, v := range lm.m.vars {
		if w, ok := weights[v.name]; ok {
			own[v.name] = w
		}
	}
	if err := loadVars(lm.m, own); err != nil {
		lm.Close()
		return nil, fmt.Errorf("load lm %s: %w", from, err)
	}
	return lm, nil
}

// LMEval is a language model's score on a token stream.
type LMEval struct {
	NLL        float64 // mean negative log-likelihood per predicted token, in nats
	Perplexity float64 // exp(NLL)
	Tokens     int     // tokens predicted: all but the first of the stream
}

// Perplexity scores the model on a stream of token ids (1-D I64 or I32).
// Windows of Context tokens start every stride tokens; each token is
// predicted once, in the first window that has it as a target, so with
// stride < Context every prediction after the first window sees at least
// Context-stride tokens of history. stride = Context (the cheapest) cuts
// the stream into independent windows.
func (lm *LM) Perplexity(tokens *tensor.Tensor, stride int) (LMEval, error) {
	c := lm.meta.Context
	if stride < 1 || stride > c {
		return LMEval{}, fmt.Errorf("perplexity: stride must lie in [1, %d], got %d", c, stride)
	}
	if len(tokens.Shape) != 1 {
		return LMEval{}, fmt.Errorf(
			"perplexity: token ids of shape %v, want one stream [N]",
			tokens.Shape,
		)
	}
	ids, err := tokenIDs(tokens)
	if err != nil {
		return LMEval{}, fmt.Errorf("perplexity: %w", err)
	}
	if len(ids) < 2 {
		return LMEval{}, fmt.Errorf("perplexity: %d tokens, need at least 2", len(ids))
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()

	// Windows of equal length go through the model in batches; only the
	// last can be shorter.
	type window struct{ begin, end, from int } // targets ids[begin+1:end+1], scored from index from
	var full []window
	var last *window
	for begin, scored := 0, 0; scored < len(ids)-1; begin += stride {
		end := min(begin+c, len(ids)-1)
		w := window{begin, end, max(scored, begin)}
		scored = end
		if end-begin == c {
			full = append(full, w)
		} else {
			last = &w
		}
	}

	var sum float64
	score := func(ws []window) error {
		t := ws[0].end - ws[0].begin
		x := make([]int64, 0, len(ws)*t)
		y := make([]int64, 0, len(ws)*t)
		for _, w := range ws {
			x = append(x, ids[w.begin:w.end]...)
			y = append(y, ids[w.begin+1:w.end+1]...)
		}
		nll, err := lm.tokenNLL(x, y, len(ws), t)
		if err != nil {
			return err
		}
		for r, w := range ws {
			for j := w.from - w.begin; j < t; j++ {
				sum += nll[r*t+j]
			}
		}
		return nil
	}
	const rows = 16 // bounds memory; results do not depend on it
	for lo := 0; lo < len(full); lo += rows {
		if err := score(full[lo:min(lo+rows, len(full))]); err != nil {
			return LMEval{}, fmt.Errorf("perplexity: %w", err)
		}
	}
	if last != nil {
		if err := score([]window{*last}); err != nil {
			return LMEval{}, fmt.Errorf("perplexity: %w", err)
		}
	}
	n := len(ids) - 1
	mean := sum / float64(n)
	return LMEval{NLL: mean, Perplexity: math.Exp(mean), Tokens: n}, nil
}

// tokenNLL is the negative log-likelihood of every target y given the
// inputs x, both [rows, t], in eval mode.
func (lm *LM) tokenNLL(x, y []int64, rows, t int) ([]float64, error) {
	var a arena
	defer a.free()
	xt, err := idsTensor(x, rows, t, lm.meta.Vocab, lm.dev)
	if err != nil {
		return nil, err
	}
	a.add(xt)
	yt, err := idsTensor(y, rows*t, 1, lm.meta.Vocab, lm.dev)
	if err != nil {
		return nil, err
	}
	a.add(yt)
	logits := lm.forward(&a, xt, false)
	flat := a.add(logits.MustView([]int64{-1, int64(lm.meta.Vocab)}, false))
	target := a.add(yt.MustView([]int64{-1}, false))
	nll := a.add(flat.MustCrossEntropyLoss(target, none, ts.ReductionNone, -100, 0, false))
	return nll.Float64Values(), nil
}
