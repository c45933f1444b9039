package torch

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// LMConfig configures a decoder-only Transformer language model (GPT-2's
// layout) and its training.
type LMConfig struct {
	Vocab   int // token ids lie in [0, Vocab); required
	Context int // the longest sequence the model reads; 128 when zero
	Dim     int // embedding width; 128 when zero
	Layers  int // Transformer blocks; 4 when zero
	Heads   int // attention heads, dividing Dim; 4 when zero
	FFN     int // feed-forward hidden width; 4·Dim when zero (GPT-2's ratio)

	// Dropout is the probability used after the embeddings, on the
	// attention weights and on each block's two residual branches. Zero is
	// no dropout.
	Dropout float64

	// WeightDecay is AdamW's decoupled weight decay, applied to the weight
	// matrices and embeddings only: decaying biases and LayerNorm gains
	// only pulls them away from their neutral values.
	WeightDecay float64

	// The learning rate rises linearly from LR/Warmup to LR over Warmup
	// steps, then falls along a half cosine to MinLR at the last step.
	// The schedule spans the run's Epochs, so resuming with more epochs
	// stretches the remainder of it.
	Warmup int
	MinLR  float64

	// ClipNorm bounds the global L2 norm of the gradients, as PyTorch's
	// clip_grad_norm_ does; zero disables clipping.
	ClipNorm float64

	// Training's Batch counts sequences of Context+1 tokens; Adam's betas
	// default to (0.9, 0.999), PyTorch's AdamW defaults.
	Training
}

// lmMeta is what a saved LM records to be rebuilt.
type lmMeta struct {
	Vocab   int     `json:"vocab"`
	Context int     `json:"context"`
	Dim     int     `json:"dim"`
	Layers  int     `json:"layers"`
	Heads   int     `json:"heads"`
	FFN     int     `json:"ffn"`
	Dropout float64 `json:"dropout"`
}

func (c *LMConfig) defaults() error {
	if c.Context == 0 {
		c.Context = 128
	}
	if c.Dim == 0 {
		c.Dim = 128
	}
	if c.Layers == 0 {
		c.Layers = 4
	}
	if c.Heads == 0 {
		c.Heads = 4
	}
	if c.FFN == 0 {
		c.FFN = 4 * c.Dim
	}
	return c.meta().check()
}

func (c *LMConfig) meta() lmMeta {
	return lmMeta{c.Vocab, c.Context, c.Dim, c.Layers, c.Heads, c.FFN, c.Dropout}
}

func (m lmMeta) check() error {
	switch {
	case m.Vocab < 1:
		return fmt.Errorf("lm vocabulary size must be at least 1, got %d", m.Vocab)
	case m.Context < 1 || m.Dim < 1 || m.Layers < 1 || m.Heads < 1 || m.FFN < 1:
		return fmt.Errorf(
			"lm context, dim, layers, heads and ffn must be positive, got %d, %d, %d, %d, %d",
			m.Context,
			m.Dim,
			m.Layers,
			m.Heads,
			m.FFN,
		)
	case m.Dim%m.Heads != 0:
		return fmt.Errorf("lm heads (%d) must divide dim (%d)", m.Heads, m.Dim)
	case m.Dropout < 0 || m.Dropout >= 1:
		return fmt.Errorf("lm dropout must lie in [0, 1), got %g", m.Dropout)
	}
	return nil
}

// LMLoss is one epoch's mean training loss (cross-entropy in nats per
// token) and mean learning rate.
type LMLoss struct {
	Epoch int
	Loss  float64
	LR    float64
}

// LM is a decoder-only Transformer: token and learned position
// embeddings, pre-LayerNorm blocks of causal multi-head self-attention and
// a GELU feed-forward network, a final LayerNorm, and output logits from
// the token embedding matrix (tied weights). Close frees it.
type LM struct {
	meta   lmMeta
	dev    gotch.Device
	m      *model
	wte    *ts.Tensor // [Vocab, Dim]
	wpe    *ts.Tensor // [Context, Dim]
	blocks []lmBlock
	lnf    layerNorm
	mask   *ts.Tensor // [Context, Context] bool, true above the diagonal; freed by Close
	Losses []LMLoss
}

// lmBlock is one pre-LayerNorm Transformer block:
//
//	h += Dropout(Proj(Attention(LN1(h))))
//	h += Dropout(FC2(GELU(FC1(LN2(h)))))
type lmBlock struct {
	ln1, ln2   layerNorm
	qkv, proj  linear // qkv maps Dim to [q | k | v], 3·Dim
	fc1, fc2   linear
	heads, dim int64
}

type layerNorm struct{ w, b *ts.Tensor }

// lnEps is PyTorch's LayerNorm default.
const lnEps = 1e-5

func (m *model) layerNorm(p *nn.Path, n int64) layerNorm {
	return layerNorm{
		w: m.param(p, "weight", []int64{n}, nn.NewConstInit(1)),
		b: m.param(p, "bias", []int64{n}, nn.NewConstInit(0)),
	}
}

func (l layerNorm) forward(a *arena, x *ts.Tensor) *ts.Tensor {
	n := x.MustSize()
	return a.add(ts.MustLayerNorm(x, n[len(n)-1:], l.w, l.b, lnEps, false))
}

// gptInit is GPT-2's initialisation: N(0, 0.02) for weight matrices and
// embeddings.
var gptInit = normalInit{0, 0.02}

// gptLinear adds a linear layer with weights drawn from N(0, std) and zero
// biases, as GPT-2 initialises them.
func (m *model) gptLinear(p *nn.Path, in, out int64, std float64) linear {
	return linear{
		w: m.param(p, "weight", []int64{out, in}, normalInit{0, std}),
		b: m.param(p, "bias", []int64{out}, nn.NewConstInit(0)),
	}
}

// newLM builds the network on dev under the seed. Variable names follow
// the module layout of torch/testdata/lm_ref.py.
func newLM(meta lmMeta, dev gotch.Device, seed int64) (*LM, error) {
	if err := meta.check(); err != nil {
		return nil, err
	}
	lm := &LM{meta: meta, dev: dev, m: newModel(dev)}
	Seed(seed)
	root := lm.m.vs.Root()
	d, ffn := int64(meta.Dim), int64(meta.FFN)
	lm.wte = lm.m.param(root.Sub("wte"), "weight", []int64{int64(meta.Vocab), d}, gptInit)
	lm.wpe = lm.m.param(root.Sub("wpe"), "weight", []int64{int64(meta.Context), d}, gptInit)

	// GPT-2 scales the weights of the layers that write into the residual
	// stream by 1/sqrt(2·layers), so its variance does not grow with depth.
	resid := 0.02 / math.Sqrt(2*float64(meta.Layers))
	blocks := root.Sub("blocks")
	for i := range meta.Layers {
		p := blocks.Sub(strconv.Itoa(i))
		lm.blocks = append(lm.blocks, lmBlock{
			ln1:   lm.m.layerNorm(p.Sub("ln1"), d),
			qkv:   lm.m.gptLinear(p.Sub("attn").Sub("qkv"), d, 3*d, 0.02),
			proj:  lm.m.gptLinear(p.Sub("attn").Sub("proj"), d, d, resid),
			ln2:   lm.m.layerNorm(p.Sub("ln2"), d),
			fc1:   lm.m.gptLinear(p.Sub("mlp").Sub("fc1"), d, ffn, 0.02),
			fc2:   lm.m.gptLinear(p.Sub("mlp").Sub("fc2"), ffn, d, resid),
			heads: int64(meta.Heads),
			dim:   d,
		})
	}
	lm.lnf = lm.m.layerNorm(root.Sub("lnf"), d)

	c := int64(meta.Context)
	ones := ts.MustOnes([]int64{c, c}, gotch.Bool, dev)
	lm.mask = ones.MustTriu(1, true)
	return lm, nil
}

// forward maps token ids [B, T] (int64, T <= Context) to logits
// [B, T, Vocab]. With train set, dropout is applied.
func (lm *LM) forward(a *arena, ids *ts.Tensor, train bool) *ts.Tensor {
	t := ids.MustSize()[1]
	p := lm.meta.Dropout
	if !train {
		p = 0
	}
	tok := a.add(ts.MustEmbedding(lm.wte, ids, -1, false, false))
	pos := a.add(lm.wpe.MustNarrow(0, 0, t, false))
	h := dropout(a, a.add(tok.MustAdd(pos, false)), p)
	mask := a.add(a.add(lm.mask.MustNarrow(0, 0, t, false)).MustNarrow(1, 0, t, false))
	for _, b := range lm.blocks {
		h = b.forward(a, h, mask, p, lm.m.sc)
	}
	h = lm.lnf.forward(a, h)
	return a.add(ts.MustLinear(h, lm.wte, none))
}

func (b lmBlock) forward(a *arena, h, mask *ts.Tensor, p float64, sc scalars) *ts.Tensor {
	y := b.attention(a, b.ln1.forward(a, h), mask, p, sc)
	h = a.add(h.MustAdd(dropout(a, y, p), false))
	y = b.fc1.forward(a, b.ln2.forward(a, h))
	y = b.fc2.forward(a, a.add(y.MustGelu(false)))
	return a.add(h.MustAdd(dropout(a, y, p), false))
}

// attention is causal multi-head self-attention of x [B, T, Dim]: each
// head attends with softmax(q kᵀ / sqrt(head dim)) over the positions up
// to its own. gotch v0.7.0 has no attention op, so it is built from
// matmul, masked_fill and softmax.
func (b lmBlock) attention(a *arena, x, mask *ts.Tensor, p float64, sc scalars) *ts.Tensor {
	size := x.MustSize()
	bs, t := size[0], size[1]
	hd := b.dim / b.heads
	qkv := b.qkv.forward(a, x)
	split := func(i int64) *ts.Tensor { // [B, heads, T, hd]
		s := a.add(qkv.MustNarrow(2, i*b.dim, b.dim, false))
		s = a.add(s.MustReshape([]int64{bs, t, b.heads, hd}, false))
		return a.add(s.MustTranspose(1, 2, false))
	}
	q, k, v := split(0), split(1), split(2)

	// Scaling q before the product, as PyTorch's MultiheadAttention does.
	q = a.add(q.MustMulScalar(sc.get(1/math.Sqrt(float64(hd))), false))
	att := a.add(q.MustMatmul(a.add(k.MustTranspose(2, 3, false)), false))
	att = a.add(att.MustMaskedFill(mask, sc.get(math.Inf(-1)), false))
	att = a.add(att.MustSoftmax(-1, gotch.Float, false))
	att = dropout(a, att, p)
	y := a.add(att.MustMatmul(v, false))
	y = a.add(a.add(y.MustTranspose(1, 2, false)).MustReshape([]int64{bs, t, b.dim}, false))
	return b.proj.forward(a, y)
}

// dropout zeroes elements with probability p and scales the rest by
// 1/(1-p); with p = 0 it returns x itself.
func dropout(a *arena, x *ts.Tensor, p float64) *ts.Tensor {
	if p == 0 {
		return x
	}
	return a.add(ts.MustDropout(x, p, true))
}

// idsTensor checks token ids and copies them to a [B, T] int64 tensor on
// dev. Ids outside [0, vocab) would make libtorch abort the process.
func idsTensor(ids []int64, rows, cols, vocab int, dev gotch.Device) (*ts.Tensor, error) {
	if len(ids) != rows*cols || rows < 1 || cols < 1 {
		return nil, fmt.Errorf("%d token ids do not fill %d rows of %d", len(ids), rows, cols)
	}
	for i, id := range ids {
		if id < 0 || id >= int64(vocab) {
			return nil, fmt.Errorf("token id %d at position %d is outside the vocabulary [0, %d)",
				id, i, vocab)
		}
	}
	x := ts.MustOfSlice(ids).MustView([]int64{int64(rows), int64(cols)}, true)
	if dev != gotch.CPU {
		x = x.MustTo(dev, true)
	}
	return x, nil
}

// tokenIDs reads a tensor of token ids, I64 or I32, as int64 values.
func tokenIDs(t *tensor.Tensor) ([]int64, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	switch t.DType {
	case tensor.Int64, tensor.Int32, tensor.Uint8:
		return t.Int64s(), nil
	}
	return nil, fmt.Errorf("token ids of type %s: want I64, I32 or U8", t.DType)
}

// Logits runs the model in eval mode (no dropout) on ids, an I64 or I32
// tensor [B, T] with T at most Context, and returns F32 logits
// [B, T, Vocab].
func (lm *LM) Logits(ids *tensor.Tensor) (*tensor.Tensor, error) {
	if len(ids.Shape) != 2 || ids.Shape[1] > lm.meta.Context {
		return nil, fmt.Errorf("lm logits: ids of shape %v, want [batch, at most %d]",
			ids.Shape, lm.meta.Context)
	}
	vals, err := tokenIDs(ids)
	if err != nil {
		return nil, fmt.Errorf("lm logits: %w", err)
	}
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	x, err := idsTensor(vals, ids.Shape[0], ids.Shape[1], lm.meta.Vocab, lm.dev)
	if err != nil {
		return nil, fmt.Errorf("lm logits: %w", err)
	}
	var a arena
	defer a.free()
	a.add(x)
	return toTensor(lm.forward(&a, x, false)), nil
}

// Vocab is the vocabulary size the model was built for.
func (lm *LM) Vocab() int { return lm.meta.Vocab }

// Context is the longest sequence the model reads.
func (lm *LM) Context() int { return lm.meta.Context }

// Params is the number of trainable values.
func (lm *LM) Params() int {
	n := 0
	for _, v := range lm.m.vars {
		k := 1
		for _, d := range v.t.MustSize() {
			k *= int(d)
		}
		n += k
	}
	return n
}

// Close frees the network.
func (lm *LM) Close() {
	if lm.m != nil {
		lm.m.close()
		lm.mask.MustDrop()
		lm.m, lm.mask = nil, nil
	}
}
