package torch

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sugarme/gotch/ts"
)

// SampleOptions control text generation. Temperature, top-k and top-p are
// applied in that order, as Hugging Face's generate does.
type SampleOptions struct {
	MaxTokens int // new tokens per sample at most; at least 1

	// Temperature divides the logits before the softmax; 0 picks the most
	// likely token every time (greedy decoding, no randomness).
	Temperature float64
	// TopK keeps only the k most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probabilities
	// sum to at least p (nucleus sampling); 0 or 1 keeps all.
	TopP float64

	// Seed fixes the draws. Each prompt draws from its own generator, made
	// from the seed and the prompt's index, so a sample does not depend on
	// how prompts are grouped into batches.
	Seed int64

	// Stop lists token ids that end a sample; the stop token is not part of
	// the output.
	Stop []int
}

func (o SampleOptions) check(vocab int) error {
	switch {
	case o.MaxTokens < 1:
		return fmt.Errorf("maximum new tokens must be at least 1, got %d", o.MaxTokens)
	case !(o.Temperature >= 0) || math.IsInf(o.Temperature, 0):
		return fmt.Errorf("temperature must be a non-negative number, got %g", o.Temperature)
	case o.TopK < 0:
		return fmt.Errorf("top-k must not be negative, got %d", o.TopK)
	case !(o.TopP >= 0 && o.TopP <= 1):
		return fmt.Errorf("top-p must lie in [0, 1], got %g", o.TopP)
	}
	for _, s := range o.Stop {
		if s < 0 || s >= vocab {
			return fmt.Errorf("stop token %d is outside the vocabulary [0, %d)", s, vocab)
		}
	}
	return nil
}

// genBatch bounds the prompts run through the model together.
const genBatch = 32

// Generate continues every prompt (token ids, at least one each) with up
// to MaxTokens sampled tokens and returns the new tokens of each. The model
// reads at most its last Context tokens. There is no key-value cache: each
// new token costs a forward pass over the window, which is fine for the
// small models this package trains.
func (lm *LM) Generate(prompts [][]int, opts SampleOptions) ([][]int, error) {
	if err := opts.check(lm.meta.Vocab); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("generate: prompt %d is empty; "+
				"start it with a token such as the end-of-text token", i+1)
		}
		for _, id := range p {
			if id < 0 || id >= lm.meta.Vocab {
				return nil, fmt.Errorf("generate: prompt %d: token id %d is outside the vocabulary [0, %d)",
					i+1, id, lm.meta.Vocab)
			}
		}
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()

	out := make([][]int, len(prompts))
	for lo := 0; lo < len(prompts); lo += genBatch {
		hi := min(lo+genBatch, len(prompts))
		if err := lm.generateBatch(prompts[lo:hi], out[lo:hi], lo, opts); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
	}
	return out, nil
}

// generateBatch samples for a group of prompts; first is the index of the
// group's first prompt, which seeds its generator.
//
// Rows are right-padded to the longest window: with causal attention a
// position never sees the padding after it, so each row's logits at its
// own last position are what it would get alone.
func (lm *LM) generateBatch(prompts, out [][]int, first int, o SampleOptions) error {
	seqs := make([][]int, len(prompts))
	rngs := make([]*rand.Rand, len(prompts))
	active := make([]int, 0, len(prompts))
	for i, p := range prompts {
		seqs[i] = slices.Clone(p)
		rngs[i] = rand.New(rand.NewPCG(uint64(o.Seed), uint64(first+i)))
		out[i] = []int{}
		active = append(active, i)
	}
	c := lm.meta.Context
	var a arena
	defer a.free()
	for step := 0; step < o.MaxTokens && len(active) > 0; step++ {
		width := 0
		for _, i := range active {
			width = max(width, min(len(seqs[i]), c))
		}
		x := make([]int64, len(active)*width)
		rows := make([]int64, len(active)) // flat index of each row's last position
		for r, i := range active {
			win := seqs[i][max(0, len(seqs[i])-c):]
			for j, id := range win {
				x[r*width+j] = int64(id)
			}
			rows[r] = int64(r*width + len(win) - 1)
		}
		xt, err := idsTensor(x, len(active), width, lm.meta.Vocab, lm.dev)
		if err != nil {
			return err
		}
		a.add(xt)
		logits := lm.forward(&a, xt, false)
		flat := a.add(logits.MustView([]int64{-1, int64(lm.meta.Vocab)}, false))
		idx := a.add(ts.MustOfSlice(rows).MustTo(lm.dev, true))
		last := toTensor(a.add(flat.MustIndexSelect(0, idx, false))).Float32s()
		a.free()

		next := active[:0]
		for r, i := range active {
			tok := sampleToken(last[r*lm.meta.Vocab:(r+1)*lm.meta.Vocab], o, rngs[i])
			if slices.Contains(o.Stop, tok) {
				continue
			}
			seqs[i] = append(seqs[i], tok)
			out[i] = append(out[i], tok)
			next = append(next, i)
		}
		active = next
	}
	return nil
}

// sampleToken draws a token from logits under temperature, top-k and top-p.
func sampleToken(logits []float32, o SampleOptions, r *rand.Rand) int {
	if o.Temperature == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}

	// Most likely first; ties keep the lower id first, so the kept set is
	// well defined.
	order := make([]int, len(logits))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case logits[x] > logits[y]:
			return -1
		case logits[x] < logits[y]:
			return 1
		}
		return 0
	})
	if o.TopK > 0 && o.TopK < len(order) {
		order = order[:o.TopK]
	}

	probs := make([]float64, len(order))
	top := float64(logits[order[0]]) / o.Temperature
	var sum float64
	for j, i := range order {
		probs[j] = math.Exp(float64(logits[i])/o.Temperature - top)
		sum += probs[j]
	}
	for j := range probs {
		probs[j] /= sum
	}
	sum = 1
	if o.TopP > 0 && o.TopP < 1 {
		var cum float64
		for j, p := range probs {
			cum += p
			if cum >= o.TopP {
				probs, order = probs[:j+1], order[:j+1]
				sum = cum
				break
			}
		}
	}

	u := r.Float64() * sum
	for j, p := range probs {
		u -= p
		if u < 0 {
			return order[j]
		}
	}
	return order[len(order)-1]
}
