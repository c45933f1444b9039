package torch

import (
	"math"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// model holds a network's variables in creation order. The VarStore names
// them ("g.fc1.weight") and writes gotch's file format; the ordered list is
// what the optimizer, checkpoints and safetensors walk, since the VarStore
// keeps its variables in a map.
type model struct {
	vs        *nn.VarStore
	dev       gotch.Device
	vars      []variable
	constants []*ts.Tensor
	sc        scalars
}

type variable struct {
	name      string
	t         *ts.Tensor
	trainable bool
}

func newModel(dev gotch.Device) *model {
	return &model{vs: nn.NewVarStore(dev), dev: dev, sc: scalars{}}
}

func fullName(p *nn.Path, name string) string {
	return strings.Join(append(p.Paths(), name), nn.SEP)
}

// param adds a trainable variable drawn by init.
func (m *model) param(p *nn.Path, name string, dims []int64, init nn.Init) *ts.Tensor {
	t := p.MustNewVar(name, dims, init)
	m.vars = append(m.vars, variable{fullName(p, name), t, true})
	return t
}

// buffer adds a variable the optimizer leaves alone (batch-norm statistics),
// holding value v.
func (m *model) buffer(p *nn.Path, name string, dims []int64, v float64) *ts.Tensor {
	init := ts.MustZeros(dims, gotch.Float, m.dev)
	if v != 0 {
		init.MustFill_(m.sc.get(v))
	}
	t := p.MustAdd(name, init, false)
	init.MustDrop()
	m.vars = append(m.vars, variable{fullName(p, name), t, false})
	return t
}

// constant makes a tensor that belongs to no VarStore, freed with the model.
func (m *model) constant(v float32) *ts.Tensor {
	t := ts.MustOfSlice([]float32{v}).MustTo(m.dev, true)
	m.constants = append(m.constants, t)
	return t
}

func (m *model) trainable(prefix string) []*ts.Tensor {
	var out []*ts.Tensor
	for _, v := range m.vars {
		if v.trainable && strings.HasPrefix(v.name, prefix) {
			out = append(out, v.t)
		}
	}
	return out
}

func (m *model) close() {
	for _, v := range m.vars {
		v.t.MustDrop()
	}
	for _, t := range m.constants {
		t.MustDrop()
	}
	m.vars, m.constants = nil, nil
	m.sc.free()
}

// pytorchInit draws from U(-1/sqrt(fanIn), 1/sqrt(fanIn)), what PyTorch's
// Linear and Conv2d give both weight and bias by default.
func pytorchInit(fanIn int64) nn.Init {
	b := 1 / math.Sqrt(float64(fanIn))
	return nn.NewUniformInit(-b, b)
}

// dcganInit is N(0, 0.02), the DCGAN paper's initialisation.
var dcganInit = normalInit{0, 0.02}

// normalInit draws from N(mean, std). gotch's own RandnInit ignores std when
// the mean is 0 and leaks its scalars, hence this one.
type normalInit struct{ mean, std float64 }

func (n normalInit) InitTensor(dims []int64, dev gotch.Device) *ts.Tensor {
	t := ts.MustZeros(dims, gotch.Float, dev)
	n.Set(t)
	return t
}

func (n normalInit) Set(t *ts.Tensor) { t.MustNormal_(n.mean, n.std) }

type linear struct{ w, b *ts.Tensor }

func (m *model) linear(p *nn.Path, in, out int64) linear {
	return linear{
		w: m.param(p, "weight", []int64{out, in}, pytorchInit(in)),
		b: m.param(p, "bias", []int64{out}, pytorchInit(in)),
	}
}

func (l linear) forward(a *arena, x *ts.Tensor) *ts.Tensor {
	return a.add(ts.MustLinear(x, l.w, l.b))
}

// conv is a 2-D convolution, or a transposed one, with square kernels and
// an optional bias.
type conv struct {
	w, b       *ts.Tensor
	stride     int64
	pad        int64
	transposed bool
}

// conv2d adds a convolution. With dcgan set it has no bias and DCGAN's
// initialisation; otherwise a bias and PyTorch's default initialisation.
func (m *model) conv2d(p *nn.Path, in, out, k, stride, pad int64, dcgan bool) conv {
	c := conv{stride: stride, pad: pad, b: none}
	if dcgan {
		c.w = m.param(p, "weight", []int64{out, in, k, k}, dcganInit)
		return c
	}
	c.w = m.param(p, "weight", []int64{out, in, k, k}, pytorchInit(in*k*k))
	c.b = m.param(p, "bias", []int64{out}, pytorchInit(in*k*k))
	return c
}

// convT2d adds a transposed convolution. PyTorch computes its fan-in from
// the weight's second dimension, which is out.
func (m *model) convT2d(p *nn.Path, in, out, k, stride, pad int64, dcgan bool) conv {
	c := conv{stride: stride, pad: pad, b: none, transposed: true}
	if dcgan {
		c.w = m.param(p, "weight", []int64{in, out, k, k}, dcganInit)
		return c
	}
	c.w = m.param(p, "weight", []int64{in, out, k, k}, pytorchInit(out*k*k))
	c.b = m.param(p, "bias", []int64{out}, pytorchInit(out*k*k))
	return c
}

func (c conv) forward(a *arena, x *ts.Tensor) *ts.Tensor {
	s, pd, one := []int64{c.stride, c.stride}, []int64{c.pad, c.pad}, []int64{1, 1}
	if c.transposed {
		return a.add(ts.MustConvTranspose2d(x, c.w, c.b, s, pd, []int64{0, 0}, 1, one))
	}
	return a.add(ts.MustConv2d(x, c.w, c.b, s, pd, one, 1))
}

// batchNorm normalises over the batch and spatial dimensions, with running
// statistics (momentum 0.1, eps 1e-5: PyTorch's defaults) used in eval mode.
type batchNorm struct{ w, b, mean, variance *ts.Tensor }

func (m *model) batchNorm(p *nn.Path, n int64) batchNorm {
	return batchNorm{
		w:        m.param(p, "weight", []int64{n}, normalInit{1, 0.02}),
		b:        m.param(p, "bias", []int64{n}, nn.NewConstInit(0)),
		mean:     m.buffer(p, "running_mean", []int64{n}, 0),
		variance: m.buffer(p, "running_var", []int64{n}, 1),
	}
}

func (bn batchNorm) forward(a *arena, x *ts.Tensor, train bool) *ts.Tensor {
	return a.add(ts.MustBatchNorm(x, bn.w, bn.b, bn.mean, bn.variance, train, 0.1, 1e-5, false))
}

// leaky is LeakyReLU with a fixed negative slope (0.2 in every network
// here), libtorch's own leaky_relu through ops.cpp.
type leaky struct{ slope float64 }

func (m *model) leaky(slope float64) leaky { return leaky{slope} }

func (l leaky) forward(a *arena, x *ts.Tensor) *ts.Tensor {
	return a.add(mustLeakyReLU(x, l.slope))
}
