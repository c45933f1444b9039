// Package torch trains and runs pipe's generative models on libtorch, through
// gotch v0.7.0: the MLP GAN and VAE of the reference article, a DCGAN and a
// convolutional VAE; their training loops with checkpoints that resume,
// sampling, VAE evaluation, and weights in safetensors and in gotch's
// VarStore format (a TorchScript archive Python's torch.jit.load opens).
// For evaluation it computes image features (Extractor) with a small CNN
// classifier trained on the dataset itself or with a user's TorchScript
// model, such as an Inception port.
//
// It is the only package in pipe that imports gotch. Its inputs and outputs
// are *tensor.Tensor values and plain Go types; it knows nothing of YAML, the
// cache or the command line.
//
// What it does not do: train on several GPUs, load pickled PyTorch models
// (only TorchScript files, for features), or pick thread counts by itself
// (callers set them, see SetThreads). Only
// the CPU path is tested; Device maps "cuda" to gotch's CUDA device but this
// machine's libtorch has none.
//
// gotch v0.7.0 has no finalizers: every libtorch tensor made here is freed
// explicitly, most through an arena freed at the end of each training step.
// Ops that fail inside libtorch end the process (gotch's Must calls use
// log.Fatal), so every input is checked before it reaches libtorch.
package torch

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// arena collects the libtorch tensors made during one step so that they can
// be freed together. Freeing a handle never disturbs autograd: the graph
// holds its own references.
type arena []*ts.Tensor

// add records t and returns it.
func (a *arena) add(t *ts.Tensor) *ts.Tensor {
	*a = append(*a, t)
	return t
}

// free drops every recorded tensor.
func (a *arena) free() {
	for _, t := range *a {
		t.MustDrop()
	}
	*a = (*a)[:0]
}

// scalars holds libtorch scalars made once and freed with their owner.
type scalars map[float64]*ts.Scalar

func (s scalars) get(v float64) *ts.Scalar {
	if x, ok := s[v]; ok {
		return x
	}
	x := ts.FloatScalar(v)
	s[v] = x
	return x
}

func (s scalars) free() {
	for k, x := range s {
		x.MustDrop()
		delete(s, k)
	}
}

// none is the undefined tensor libtorch takes for an absent optional
// argument (a nil handle).
var none = &ts.Tensor{}

// fromTensor copies t into a new float32 libtorch tensor on dev.
func fromTensor(t *tensor.Tensor, dev gotch.Device) (*ts.Tensor, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	var x *ts.Tensor
	var err error
	shape := int64s(t.Shape)
	switch t.DType {
	case tensor.Float32:
		x, err = ts.OfDataSize(t.Data, shape, gotch.Float)
	case tensor.Uint8:
		x, err = ts.OfDataSize(t.Data, shape, gotch.Uint8)
	case tensor.Float64:
		x, err = ts.OfDataSize(t.Data, shape, gotch.Double)
	default:
		return nil, fmt.Errorf("tensor of %s: want F32, F64 or U8", t.DType)
	}
	if err != nil {
		return nil, fmt.Errorf("copy tensor to libtorch: %w", err)
	}
	if t.DType == tensor.Float32 && dev == gotch.CPU {
		return x, nil
	}
	return x.MustTo(dev, true).MustTotype(gotch.Float, true), nil
}

// toTensor copies a float32 libtorch tensor into a new F32 tensor.
func toTensor(x *ts.Tensor) *tensor.Tensor {
	shape := x.MustSize()
	c := x.MustTo(gotch.CPU, false).MustTotype(gotch.Float, true).MustContiguous(true)
	defer c.MustDrop()
	out := tensor.New(tensor.Float32, ints(shape)...)
	if n := out.NumElements(); n > 0 {
		vals := unsafe.Slice((*float32)(unsafe.Pointer(&out.Data[0])), n)
		c.MustCopyData(vals, uint(n))
	}
	return out
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// scalar reads a one-element tensor.
func scalar(x *ts.Tensor) float64 {
	return x.Float64Values()[0]
}

// takeScalar reads a one-element tensor and frees it.
func takeScalar(x *ts.Tensor) float64 {
	return x.Float64Values(true)[0]
}

// bce is the binary cross-entropy of probabilities p against target. A
// diverging network's p holds NaN, which libtorch's BCE refuses with an
// error that gotch turns into the end of the process; the loss is then NaN
// instead (the sum of p), for the training loop's guard to report with its
// step.
func bce(a *arena, p, target *ts.Tensor, reduction int64) *ts.Tensor {
	nans := p.MustIsnan(false)
	count := nans.MustSum(gotch.Int64, true)
	if count.Int64Values(true)[0] > 0 {
		return a.add(p.MustSum(gotch.Float, false))
	}
	return a.add(p.MustBinaryCrossEntropy(target, none, reduction, false))
}
