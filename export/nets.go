package export

import (
	"fmt"
	"strings"

	"github.com/pipe-ml/pipe/tensor"
)

// Net is one exportable network: named inputs and outputs and the
// operations between them, over variables named under Prefix in the model.
type Net struct {
	Name    string // "generator", "encoder" or "decoder"; the exported file's stem
	Prefix  string // the variables' prefix in the model: "g.", "enc.", "dec."
	Doc     string // what goes in and what comes out, for the model card
	Inputs  []Port
	Outputs []Port
	ops     []op
}

// Port is a named input or output. Its first dimension is the batch, -1:
// every export takes any batch size. A language model's token ids have a
// second free dimension, the sequence, also -1.
type Port struct {
	Name  string
	Shape []int
	Int64 bool // token ids; otherwise float32
}

type opKind int

const (
	opLinear    opKind = iota // y = x·Wᵀ + b
	opConv                    // 2-D convolution, square kernel from the weight
	opConvT                   // 2-D transposed convolution
	opBatchNorm               // eval mode: running statistics, eps 1e-5
	opLeaky                   // LeakyReLU with slope alpha
	opRelu
	opTanh
	opSigmoid
	opReshape // to shape, whose first dimension is -1 (the batch)
	opFlatten // to [batch, everything else]

	// The language model's (lm.go).
	opEmbed     // token embedding: rows of layer.weight picked by the ids
	opPosition  // in + the first T rows of layer.weight, T the length of the ids in2
	opLayerNorm // over the last dimension, eps 1e-5
	opLinearND  // linear on [..., in]: x·Wᵀ + b
	opGelu      // exact (erf) GELU
	opAttention // causal multi-head self-attention with its qkv and output projections
	opAdd       // in + in2, the residual connections
	opTiedHead  // in·layer.weightᵀ: logits through the token embedding
)

// batchNormEps is PyTorch's default, which package torch uses.
const batchNormEps = 1e-5

// op is one operation from value in to value out.
type op struct {
	kind        opKind
	in, out     string
	layer       string // variables' prefix within the net: "fc1"
	stride, pad int
	alpha       float32
	shape       []int
	in2         string // opPosition, opAdd: the second input
	heads, dim  int    // opAttention
}

// params are the variables the op reads, in the order its ONNX node and
// TorchScript call take them.
func (o op) params() []string {
	switch o.kind {
	case opLinear, opConv, opConvT, opLayerNorm, opLinearND:
		return []string{o.layer + ".weight", o.layer + ".bias"}
	case opBatchNorm:
		return []string{
			o.layer + ".weight",
			o.layer + ".bias",
			o.layer + ".running_mean",
			o.layer + ".running_var",
		}
	case opEmbed, opPosition, opTiedHead:
		return []string{o.layer + ".weight"}
	case opAttention:
		return []string{
			o.layer + ".qkv.weight",
			o.layer + ".qkv.bias",
			o.layer + ".proj.weight",
			o.layer + ".proj.bias",
		}
	}
	return nil
}

// rank is the number of dimensions of the op's variable name.
func (o op) rank(name string) int {
	switch {
	case strings.HasSuffix(name, ".bias"), o.kind == opBatchNorm, o.kind == opLayerNorm:
		return 1
	case o.kind == opConv || o.kind == opConvT:
		return 4
	}
	return 2
}

// builder appends operations one after another, naming intermediate values
// h1, h2, ...
type builder struct {
	n   *Net
	cur string
	k   int
}

func newBuilder(n *Net) *builder { return &builder{n: n, cur: n.Inputs[0].Name} }

func (b *builder) add(o op) *builder {
	b.k++
	o.in, o.out = b.cur, fmt.Sprintf("h%d", b.k)
	b.n.ops = append(b.n.ops, o)
	b.cur = o.out
	return b
}

func (b *builder) linear(layer string) *builder { return b.add(op{kind: opLinear, layer: layer}) }
func (b *builder) act(k opKind) *builder        { return b.add(op{kind: k}) }
func (b *builder) leaky() *builder              { return b.add(op{kind: opLeaky, alpha: 0.2}) }

func (b *builder) conv(k opKind, layer string, stride, pad int) *builder {
	return b.add(op{kind: k, layer: layer, stride: stride, pad: pad})
}

func (b *builder) reshape(shape ...int) *builder {
	return b.add(op{kind: opReshape, shape: append([]int{-1}, shape...)})
}

// output names the last operation's value as the net's output.
func (b *builder) output(name string) {
	b.n.ops[len(b.n.ops)-1].out = name
}

func images(c Config) []int { return []int{-1, c.Shape[0], c.Shape[1], c.Shape[2]} }

func pixels(c Config) int { return c.Shape[0] * c.Shape[1] * c.Shape[2] }

// mlpGenerator is the article's generator (torch's mlpGenerator): latent ->
// 256 -> 512 -> pixels, LeakyReLU 0.2, Tanh, reshaped to images.
func mlpGenerator(c Config) *Net {
	n := &Net{Name: "generator", Prefix: "g.",
		Doc:     "latent vectors z ~ N(0, 1) to images in [-1, 1]; (x + 1) / 2 gives pipe's samples",
		Inputs:  []Port{{Name: "z", Shape: []int{-1, c.Latent}}},
		Outputs: []Port{{Name: "images", Shape: images(c)}}}
	b := newBuilder(n).linear("fc1").leaky().linear("fc2").leaky().linear("fc3").act(opTanh)
	b.reshape(c.Shape[0], c.Shape[1], c.Shape[2]).output("images")
	return n
}

// dcganGenerator is torch's dcganGenerator: the latent vector as a 1x1
// image, transposed convolutions with batch norm and ReLU, Tanh.
func dcganGenerator(c Config) (*Net, error) {
	var blocks int
	switch {
	case c.Shape[1] != c.Shape[2]:
		return nil, fmt.Errorf("dcgan takes square images, got %dx%d", c.Shape[1], c.Shape[2])
	case c.Shape[1] == 32:
		blocks = 3
	case c.Shape[1] == 28:
		blocks = 2
	default:
		return nil, fmt.Errorf("dcgan takes 28x28 or 32x32 images, got %dx%d", c.Shape[1], c.Shape[2])
	}
	n := &Net{Name: "generator", Prefix: "g.",
		Doc:     "latent vectors z ~ N(0, 1) to images in [-1, 1]; (x + 1) / 2 gives pipe's samples",
		Inputs:  []Port{{Name: "z", Shape: []int{-1, c.Latent}}},
		Outputs: []Port{{Name: "images", Shape: images(c)}}}
	b := newBuilder(n).reshape(c.Latent, 1, 1)
	for i := 1; i <= blocks; i++ {
		stride, pad := 2, 1
		if i == 1 {
			stride, pad = 1, 0
		}
		b.conv(opConvT, fmt.Sprintf("conv%d", i), stride, pad)
		b.add(op{kind: opBatchNorm, layer: fmt.Sprintf("bn%d", i)}).act(opRelu)
	}
	b.conv(opConvT, fmt.Sprintf("conv%d", blocks+1), 2, 1).act(opTanh).output("images")
	return n, nil
}

// encoderNet starts an encoder; heads adds its two linear heads.
func encoderNet(c Config) *Net {
	return &Net{Name: "encoder", Prefix: "enc.",
		Doc:    "images in [0, 1] to the mean and log-variance of the latent distribution",
		Inputs: []Port{{Name: "images", Shape: images(c)}},
		Outputs: []Port{
			{Name: "mu", Shape: []int{-1, c.Latent}},
			{Name: "logvar", Shape: []int{-1, c.Latent}},
		}}
}

func (b *builder) heads() {
	h := b.cur
	b.linear("mu").output("mu")
	b.cur = h
	b.linear("logvar").output("logvar")
}

func decoderNet(c Config) *Net {
	return &Net{Name: "decoder", Prefix: "dec.",
		Doc:     "latent vectors to images in [0, 1]",
		Inputs:  []Port{{Name: "z", Shape: []int{-1, c.Latent}}},
		Outputs: []Port{{Name: "images", Shape: images(c)}}}
}

// mlpEncoder is the article's (torch's mlpEncoder): pixels -> hidden (ReLU)
// -> mu, logvar.
func mlpEncoder(c Config) *Net {
	n := encoderNet(c)
	newBuilder(n).add(op{kind: opFlatten}).linear("fc1").act(opRelu).heads()
	return n
}

// mlpDecoder is the article's: latent -> hidden (ReLU) -> pixels (Sigmoid).
func mlpDecoder(c Config) *Net {
	n := decoderNet(c)
	b := newBuilder(n).linear("fc1").act(opRelu).linear("fc2").act(opSigmoid)
	b.reshape(c.Shape[0], c.Shape[1], c.Shape[2]).output("images")
	return n
}

// convVAEWidth is torch's convVAEWidth: channels of the deepest feature map.
const convVAEWidth = 64

// convEncoder is torch's convEncoder: two stride-2 convolutions with ReLU,
// flattened, two linear heads.
func convEncoder(c Config) *Net {
	n := encoderNet(c)
	b := newBuilder(n).conv(opConv, "conv1", 2, 1).act(opRelu).conv(opConv, "conv2", 2, 1).act(opRelu)
	b.add(op{kind: opFlatten}).heads()
	return n
}

// convDecoder is torch's convDecoder: linear, ReLU, reshaped to a quarter
// of the image size, two stride-2 transposed convolutions, Sigmoid.
func convDecoder(c Config) *Net {
	n := decoderNet(c)
	b := newBuilder(n).linear("fc").act(opRelu).reshape(convVAEWidth, c.Shape[1]/4, c.Shape[2]/4)
	b.conv(opConvT, "conv1", 2, 1).
		act(opRelu).
		conv(opConvT, "conv2", 2, 1).
		act(opSigmoid).
		output("images")
	return n
}

// Layer describes one operation of a net for people and for readers that
// rebuild the net from config.json.
type Layer struct {
	// Op is linear, conv2d, conv_transpose2d, batch_norm, leaky_relu, relu,
	// tanh, sigmoid, reshape or flatten.
	Op      string   `json:"op"`
	Input   string   `json:"input"`
	Output  string   `json:"output"`
	Params  []string `json:"params,omitempty"` // variables, named without the net's prefix
	Stride  int      `json:"stride,omitempty"`
	Padding int      `json:"padding,omitempty"`
	Slope   float32  `json:"negative_slope,omitempty"`
	Eps     float64  `json:"eps,omitempty"`
	Shape   []int    `json:"shape,omitempty"` // reshape's target; -1 is the batch
	Input2  string   `json:"input2,omitempty"`
	Heads   int      `json:"heads,omitempty"`
}

var opNames = map[opKind]string{
	opLinear: "linear", opConv: "conv2d", opConvT: "conv_transpose2d", opBatchNorm: "batch_norm",
	opLeaky: "leaky_relu", opRelu: "relu", opTanh: "tanh", opSigmoid: "sigmoid",
	opReshape: "reshape", opFlatten: "flatten",
	opEmbed: "embedding", opPosition: "add_position", opLayerNorm: "layer_norm",
	opLinearND: "linear", opGelu: "gelu", opAttention: "causal_self_attention",
	opAdd: "add", opTiedHead: "tied_linear",
}

// Layers lists n's operations in order, each with the variables it reads
// (a convolution without bias, DCGAN's, names only its weight).
func (n *Net) Layers(weights map[string]*tensor.Tensor) []Layer {
	out := make([]Layer, len(n.ops))
	for i, o := range n.ops {
		var params []string
		for _, p := range o.params() {
			if _, ok := weights[n.Prefix+p]; ok {
				params = append(params, p)
			}
		}
		l := Layer{Op: opNames[o.kind], Input: o.in, Output: o.out, Params: params,
			Stride: o.stride, Padding: o.pad, Slope: o.alpha, Shape: o.shape}
		if o.kind == opBatchNorm || o.kind == opLayerNorm {
			l.Eps = batchNormEps
		}
		l.Input2, l.Heads = o.in2, o.heads
		out[i] = l
	}
	return out
}
