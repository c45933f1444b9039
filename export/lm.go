package export

import (
	"encoding/binary"
	"fmt"
	"math"
)

// lnEps is PyTorch's LayerNorm default, which package torch uses.
const lnEps = 1e-5

// checkLM validates a language model's sizes.
func (c Config) checkLM() error {
	switch {
	case c.Vocab < 1 || c.Context < 1 || c.Dim < 1 || c.Layers < 1 || c.Heads < 1 || c.FFN < 1:
		return fmt.Errorf(
			"lm: vocab %d, context %d, dim %d, layers %d, heads %d and ffn %d must be positive",
			c.Vocab,
			c.Context,
			c.Dim,
			c.Layers,
			c.Heads,
			c.FFN,
		)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("lm: heads (%d) must divide dim (%d)", c.Heads, c.Dim)
	}
	return nil
}

// lmNet is torch's LM in eval mode (no dropout): GPT-2's layout, pre-norm
// blocks, exact GELU, the output layer tied to the token embedding. It
// reads token ids [batch, T], T at most Context, and gives logits
// [batch, T, Vocab].
func lmNet(c Config) *Net {
	n := &Net{Name: "lm", Prefix: "",
		Doc: fmt.Sprintf("token ids [batch, T], T at most %d, to next-token logits [batch, T, %d]",
			c.Context, c.Vocab),
		Inputs:  []Port{{Name: "ids", Shape: []int{-1, -1}, Int64: true}},
		Outputs: []Port{{Name: "logits", Shape: []int{-1, -1, c.Vocab}}}}
	b := newBuilder(n)
	b.add(op{kind: opEmbed, layer: "wte"})
	b.add(op{kind: opPosition, layer: "wpe", in2: "ids"})
	for i := range c.Layers {
		p := fmt.Sprintf("blocks.%d.", i)
		h := b.cur
		b.add(op{kind: opLayerNorm, layer: p + "ln1"})
		b.add(op{kind: opAttention, layer: p + "attn", heads: c.Heads, dim: c.Dim})
		b.add(op{kind: opAdd, in2: h})
		h = b.cur
		b.add(op{kind: opLayerNorm, layer: p + "ln2"})
		b.add(op{kind: opLinearND, layer: p + "mlp.fc1"}).act(opGelu)
		b.add(op{kind: opLinearND, layer: p + "mlp.fc2"})
		b.add(op{kind: opAdd, in2: h})
	}
	b.add(op{kind: opLayerNorm, layer: "lnf"})
	b.add(op{kind: opTiedHead, layer: "wte"}).output("logits")
	return n
}

// onnxGraph collects the nodes and constants of one operation.
type onnxGraph struct {
	prefix string // the op's output name, which keeps every name unique
	nodes  []pb
	inits  []pb
}

// node adds a node with one output, named prefix/name, and returns it.
func (g *onnxGraph) node(opType, name string, in []string, attrs ...pb) string {
	out := g.prefix + "/" + name
	var n pb
	for _, s := range in {
		n.str(nodeInput, s)
	}
	n.str(nodeOutput, out)
	n.str(nodeName, out)
	n.str(nodeOpType, opType)
	for _, a := range attrs {
		n.msg(nodeAttr, a)
	}
	g.nodes = append(g.nodes, n)
	return out
}

// int64s adds a constant int64 vector.
func (g *onnxGraph) int64s(name string, vs ...int64) string {
	raw := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	full := g.prefix + "/const." + name
	g.inits = append(g.inits, onnxTensor(full, dataInt64, []int{len(vs)}, raw))
	return full
}

// float adds a constant float32 scalar.
func (g *onnxGraph) float(name string, v float32) string {
	raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
	full := g.prefix + "/const." + name
	g.inits = append(g.inits, onnxTensor(full, dataFloat, nil, raw))
	return full
}

// linearND is x·Wᵀ + b on [..., in]: Gemm takes only matrices.
func (g *onnxGraph) linearND(name, x, w, b string) string {
	wt := g.node("Transpose", name+".wT", []string{w}, intsAttr("perm", 1, 0))
	y := g.node("MatMul", name+".matmul", []string{x, wt})
	if b == "" {
		return y
	}
	return g.node("Add", name+".add", []string{y, b})
}

// onnxLM translates the language model's operations into nodes whose
// values are named after o.out, and the constants they need.
func onnxLM(o op, ps []string) (nodes, inits []pb, err error) {
	g := &onnxGraph{prefix: o.out}
	var y string
	switch o.kind {
	case opEmbed:
		y = g.node("Gather", "gather", []string{ps[0], o.in}, intAttr("axis", 0))
	case opPosition:
		t := g.node("Shape", "T", []string{o.in2}, intAttr("start", 1), intAttr("end", 2))
		pos := g.node("Slice", "wpe", []string{ps[0], g.int64s("zero", 0), t, g.int64s("axis", 0)})
		y = g.node("Add", "add", []string{o.in, pos})
	case opLayerNorm:
		y = g.node("LayerNormalization", "ln", []string{o.in, ps[0], ps[1]},
			intAttr("axis", -1), floatAttr("epsilon", lnEps))
	case opLinearND:
		y = g.linearND("linear", o.in, ps[0], ps[1])
	case opGelu:
		// GELU is an operator only from opset 20: x·(1 + erf(x/√2))/2.
		e := g.node(
			"Erf",
			"erf",
			[]string{g.node("Div", "div", []string{o.in, g.float("sqrt2", math.Sqrt2)})},
		)
		e = g.node("Add", "one_plus", []string{e, g.float("one", 1)})
		y = g.node("Mul", "half", []string{g.node("Mul", "mul", []string{o.in, e}), g.float("half", 0.5)})
	case opAttention:
		y = g.attention(o, ps)
	case opAdd:
		y = g.node("Add", "add", []string{o.in, o.in2})
	case opTiedHead:
		y = g.linearND("logits", o.in, ps[0], "")
	default:
		return nil, nil, fmt.Errorf("operation %d has no ONNX form", o.kind)
	}
	// An Identity gives the value the name the next operation reads;
	// runtimes remove it when they load the graph.
	var n pb
	n.str(nodeInput, y)
	n.str(nodeOutput, o.out)
	n.str(nodeName, o.out+"/Identity")
	n.str(nodeOpType, "Identity")
	g.nodes = append(g.nodes, n)
	return g.nodes, g.inits, nil
}

// attention is torch's lmBlock.attention without dropout: q, k, v from one
// projection, heads split, softmax(q·kᵀ/√hd) with future positions masked
// out, heads joined, output projection. The causal mask is the upper
// triangle of a T×T slice of a Context×Context constant of -inf.
func (g *onnxGraph) attention(o op, ps []string) string {
	hd := o.dim / o.heads
	qkv := g.linearND("qkv", o.in, ps[0], ps[1])
	d := int64(o.dim)
	split := g.int64s("split", d, d, d)
	var parts [3]string
	for i, name := range []string{"q", "k", "v"} {
		parts[i] = g.prefix + "/" + name
	}
	var n pb
	n.str(nodeInput, qkv)
	n.str(nodeInput, split)
	for _, p := range parts {
		n.str(nodeOutput, p)
	}
	n.str(nodeName, g.prefix+"/split")
	n.str(nodeOpType, "Split")
	n.msg(nodeAttr, intAttr("axis", 2))
	g.nodes = append(g.nodes, n)

	heads := g.int64s("heads_shape", 0, 0, int64(o.heads), int64(hd)) // 0 keeps batch and T
	q := g.node(
		"Transpose",
		"q4",
		[]string{g.node("Reshape", "qr", []string{parts[0], heads})},
		intsAttr("perm", 0, 2, 1, 3),
	)
	k := g.node(
		"Transpose",
		"k4",
		[]string{g.node("Reshape", "kr", []string{parts[1], heads})},
		intsAttr("perm", 0, 2, 3, 1),
	)
	v := g.node(
		"Transpose",
		"v4",
		[]string{g.node("Reshape", "vr", []string{parts[2], heads})},
		intsAttr("perm", 0, 2, 1, 3),
	)

	// Scaling q before the product, as package torch does.
	q = g.node("Mul", "scale", []string{q, g.float("inv_sqrt_hd", float32(1/math.Sqrt(float64(hd))))})
	att := g.node("MatMul", "scores", []string{q, k})
	t := g.node("Shape", "T", []string{o.in}, intAttr("start", 1), intAttr("end", 2))
	tt := g.node("Concat", "TT", []string{t, t}, intAttr("axis", 0))
	mask := g.node(
		"Slice",
		"mask",
		[]string{"causal_mask", g.int64s("zeros", 0, 0), tt, g.int64s("axes", 0, 1)},
	)
	att = g.node("Add", "masked", []string{att, mask})
	att = g.node("Softmax", "softmax", []string{att}, intAttr("axis", -1))
	y := g.node("MatMul", "mix", []string{att, v})
	y = g.node("Transpose", "join", []string{y}, intsAttr("perm", 0, 2, 1, 3))
	y = g.node("Reshape", "merge", []string{y, g.int64s("model_shape", 0, 0, d)})
	return g.linearND("proj", y, ps[2], ps[3])
}

// causalMask is the Context×Context constant the attention nodes slice:
// -inf above the diagonal, 0 elsewhere. Adding it leaves allowed scores
// exactly as they are, as masked_fill does.
func causalMask(context int) pb {
	raw := make([]byte, 4*context*context)
	inf := math.Float32bits(float32(math.Inf(-1)))
	for i := range context {
		for j := i + 1; j < context; j++ {
			binary.LittleEndian.PutUint32(raw[4*(i*context+j):], inf)
		}
	}
	return onnxTensor("causal_mask", dataFloat, []int{context, context}, raw)
}

// torchScriptLM gives the statements computing an LM operation.
func torchScriptLM(o op, self func(string) string) []string {
	ps := o.params()
	switch o.kind {
	case opEmbed:
		return []string{fmt.Sprintf("%s = torch.embedding(%s, %s)", o.out, self(ps[0]), o.in)}
	case opPosition:
		return []string{
			fmt.Sprintf("%s = %s + torch.narrow(%s, 0, 0, %s.size(1))", o.out, o.in, self(ps[0]), o.in2),
		}
	case opLayerNorm:
		return []string{fmt.Sprintf("%s = torch.layer_norm(%s, [%s.size(-1)], %s, %s, %g, False)",
			o.out, o.in, o.in, self(ps[0]), self(ps[1]), lnEps)}
	case opLinearND:
		return []string{
			fmt.Sprintf("%s = torch.linear(%s, %s, %s)", o.out, o.in, self(ps[0]), self(ps[1])),
		}
	case opGelu:
		return []string{fmt.Sprintf("%s = torch.gelu(%s)", o.out, o.in)}
	case opAdd:
		return []string{fmt.Sprintf("%s = %s + %s", o.out, o.in, o.in2)}
	case opTiedHead:
		return []string{fmt.Sprintf("%s = torch.linear(%s, %s, None)", o.out, o.in, self(ps[0]))}
	case opAttention:
		hd := o.dim / o.heads
		v := func(s string) string { return o.out + "_" + s }
		split := func(name string, i int) string {
			return fmt.Sprintf(
				"%s = torch.transpose(torch.reshape(torch.narrow(%s, 2, %d, %d), [%s, %s, %d, %d]), 1, 2)",
				v(name),
				v("qkv"),
				i*o.dim,
				o.dim,
				v("b"),
				v("t"),
				o.heads,
				hd,
			)
		}
		return []string{
			fmt.Sprintf("%s = torch.linear(%s, %s, %s)", v("qkv"), o.in, self(ps[0]), self(ps[1])),
			fmt.Sprintf("%s = %s.size(0)", v("b"), o.in),
			fmt.Sprintf("%s = %s.size(1)", v("t"), o.in),
			split("q", 0), split("k", 1), split("v", 2),
			fmt.Sprintf(
				"%s = torch.matmul(%s * %v, torch.transpose(%s, 2, 3))",
				v("att"),
				v("q"),
				1/math.Sqrt(float64(hd)),
				v("k"),
			),
			fmt.Sprintf("%s = torch.triu(torch.ones([%s, %s]), 1) > 0", v("mask"), v("t"), v("t")),
			fmt.Sprintf(
				"%s = torch.softmax(torch.masked_fill(%s, %s, float(\"-inf\")), -1)",
				v("att"),
				v("att"),
				v("mask"),
			),
			fmt.Sprintf("%s = torch.reshape(torch.transpose(torch.matmul(%s, %s), 1, 2), [%s, %s, %d])",
				v("y"), v("att"), v("v"), v("b"), v("t"), o.dim),
			fmt.Sprintf("%s = torch.linear(%s, %s, %s)", o.out, v("y"), self(ps[2]), self(ps[3])),
		}
	}
	panic(fmt.Sprintf("export: operation %d has no TorchScript form", o.kind))
}
