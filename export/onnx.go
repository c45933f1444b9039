package export

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pipe-ml/pipe/tensor"
)

// ONNX versions the exports declare. Opset 17 has every operator the nets
// use in its current form (BatchNormalization without training outputs,
// Reshape with allowzero) and is what onnxruntime 1.13 and later run;
// IR version 8 is the one that goes with opset 17.
const (
	ONNXOpset     = 17
	ONNXIRVersion = 8
)

// Field numbers and enum values of onnx.proto (onnx/onnx.proto, stable
// since IR version 3), for the messages this file writes. The messages
// are encoded by hand with protowire rather than through generated types:
// generating them needs protoc, and the handful of fields used here are
// fixed by the format.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelProducerVer   = 3
	modelDocString     = 6
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphDocString   = 10
	graphInput       = 11
	graphOutput      = 12

	nodeInput  = 1
	nodeOutput = 2
	nodeName   = 3
	nodeOpType = 4
	nodeAttr   = 5

	attrName   = 1
	attrF      = 2
	attrI      = 3
	attrInts   = 8
	attrType   = 20
	attrFloat  = 1 // AttributeProto.FLOAT
	attrInt    = 2 // AttributeProto.INT
	attrIntsTy = 7 // AttributeProto.INTS

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9
	dataFloat      = 1 // TensorProto.FLOAT
	dataInt64      = 7 // TensorProto.INT64

	valueName = 1
	valueType = 2

	typeTensor   = 1
	tensorElem   = 1
	tensorShape  = 2
	shapeDim     = 1
	dimValue     = 1
	dimParam     = 2
	entryKey     = 1
	entryValue   = 2
	batchDimName = "batch"
	seqDimName   = "sequence"
)

// dimName names a free dimension: the batch first, then the sequence.
func dimName(i int) string {
	if i == 0 {
		return batchDimName
	}
	return seqDimName
}

// pb appends protobuf fields to a message.
type pb []byte

func (b *pb) str(num protowire.Number, s string) {
	*b = protowire.AppendTag(*b, num, protowire.BytesType)
	*b = protowire.AppendString(*b, s)
}

func (b *pb) raw(num protowire.Number, v []byte) {
	*b = protowire.AppendTag(*b, num, protowire.BytesType)
	*b = protowire.AppendBytes(*b, v)
}

func (b *pb) msg(num protowire.Number, m pb) { b.raw(num, m) }

// int writes an int32 or int64 field; negative values take ten bytes, as
// protobuf encodes them.
func (b *pb) int(num protowire.Number, v int64) {
	*b = protowire.AppendTag(*b, num, protowire.VarintType)
	*b = protowire.AppendVarint(*b, uint64(v))
}

func (b *pb) float(num protowire.Number, v float32) {
	*b = protowire.AppendTag(*b, num, protowire.Fixed32Type)
	*b = protowire.AppendFixed32(*b, math.Float32bits(v))
}

// ONNX encodes net as an ONNX model (opset ONNXOpset) whose inputs and
// outputs take any batch size (the first dimension is the symbol "batch").
// The variables become initializers named as Tensors names them. meta goes
// into the model's metadata_props, sorted by key so that the bytes depend
// only on the arguments.
func (m *Model) ONNX(net *Net, producerVersion string, meta map[string]string) ([]byte, error) {
	var g pb
	g.str(graphName, m.Architecture()+"/"+net.Name)
	var consts []pb
	for _, o := range net.ops {
		nodes, inits, err := onnxNodes(o, m.Weights, net.Prefix)
		if err != nil {
			return nil, fmt.Errorf("onnx %s: %w", net.Name, err)
		}
		for _, n := range nodes {
			g.msg(graphNode, n)
		}
		consts = append(consts, inits...)
	}
	for _, t := range net.Tensors(m.Weights) {
		g.msg(graphInitializer, onnxTensor(t.Name, dataFloat, t.T.Shape, t.T.Data))
	}
	for _, t := range consts {
		g.msg(graphInitializer, t)
	}
	if m.Kind == "lm" {
		g.msg(graphInitializer, causalMask(m.Config.Context))
	}
	g.str(graphDocString, net.Doc)
	for _, p := range net.Inputs {
		g.msg(graphInput, valueInfo(p))
	}
	for _, p := range net.Outputs {
		g.msg(graphOutput, valueInfo(p))
	}

	var out pb
	out.int(modelIRVersion, ONNXIRVersion)
	out.str(modelProducerName, "pipe")
	out.str(modelProducerVer, producerVersion)
	out.str(modelDocString, m.Architecture()+" "+net.Name+": "+net.Doc)
	out.msg(modelGraph, g)
	var opset pb
	opset.int(opsetVersion, ONNXOpset) // the default domain, ai.onnx
	out.msg(modelOpsetImport, opset)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var e pb
		e.str(entryKey, k)
		e.str(entryValue, meta[k])
		out.msg(modelMetadataProps, e)
	}
	return out, nil
}

// onnxNodes translates one operation into nodes and the constant
// initializers they need beyond the net's variables (Reshape's shape).
func onnxNodes(
	o op,
	weights map[string]*tensor.Tensor,
	prefix string,
) (nodes, inits []pb, err error) {
	ps := o.params()
	if o.kind >= opEmbed {
		for _, p := range ps {
			if _, ok := weights[prefix+p]; !ok {
				return nil, nil, fmt.Errorf("no variable %s%s", prefix, p)
			}
		}
		return onnxLM(o, ps)
	}
	in := []string{o.in}
	for i, p := range ps {
		if _, ok := weights[prefix+p]; ok {
			in = append(in, p)
		} else if i != 1 || (o.kind != opConv && o.kind != opConvT) {
			return nil, nil, fmt.Errorf("no variable %s%s", prefix, p)
		}
	}
	var attrs []pb
	var opType string
	switch o.kind {
	case opLinear:
		opType = "Gemm"
		attrs = append(attrs, intAttr("transB", 1))
	case opConv, opConvT:
		opType = "Conv"
		if o.kind == opConvT {
			opType = "ConvTranspose"
		}
		w := weights[prefix+ps[0]].Shape
		attrs = append(attrs,
			intsAttr("kernel_shape", int64(w[2]), int64(w[3])),
			intsAttr("strides", int64(o.stride), int64(o.stride)),
			intsAttr("pads", int64(o.pad), int64(o.pad), int64(o.pad), int64(o.pad)),
			intsAttr("dilations", 1, 1),
			intAttr("group", 1))
	case opBatchNorm:
		opType = "BatchNormalization"
		attrs = append(attrs, floatAttr("epsilon", batchNormEps))
	case opLeaky:
		opType = "LeakyRelu"
		attrs = append(attrs, floatAttr("alpha", o.alpha))
	case opRelu:
		opType = "Relu"
	case opTanh:
		opType = "Tanh"
	case opSigmoid:
		opType = "Sigmoid"
	case opFlatten:
		opType = "Flatten"
		attrs = append(attrs, intAttr("axis", 1))
	case opReshape:
		opType = "Reshape"
		name := o.out + ".shape"
		raw := make([]byte, 8*len(o.shape))
		for i, d := range o.shape {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(int64(d)))
		}
		inits = append(inits, onnxTensor(name, dataInt64, []int{len(o.shape)}, raw))
		in = append(in, name)
	default:
		return nil, nil, fmt.Errorf("operation %d has no ONNX form", o.kind)
	}

	var n pb
	for _, s := range in {
		n.str(nodeInput, s)
	}
	n.str(nodeOutput, o.out)
	name := opType
	if o.layer != "" {
		name = o.layer + "/" + opType
	}
	n.str(nodeName, name+":"+o.out)
	n.str(nodeOpType, opType)
	for _, a := range attrs {
		n.msg(nodeAttr, a)
	}
	return []pb{n}, inits, nil
}

func intAttr(name string, v int64) pb {
	var a pb
	a.str(attrName, name)
	a.int(attrI, v)
	a.int(attrType, attrInt)
	return a
}

// intsAttr writes the values unpacked, as onnx.proto (proto2, no packed
// option on AttributeProto.ints) declares them; readers accept both.
func intsAttr(name string, vs ...int64) pb {
	var a pb
	a.str(attrName, name)
	for _, v := range vs {
		a.int(attrInts, v)
	}
	a.int(attrType, attrIntsTy)
	return a
}

func floatAttr(name string, v float32) pb {
	var a pb
	a.str(attrName, name)
	a.float(attrF, v)
	a.int(attrType, attrFloat)
	return a
}

// onnxTensor is a TensorProto with its values little-endian in raw_data,
// the layout tensor.Tensor already has.
func onnxTensor(name string, dataType int64, shape []int, raw []byte) pb {
	var t pb
	for _, d := range shape {
		t.int(tensorDims, int64(d))
	}
	t.int(tensorDataType, dataType)
	t.str(tensorName, name)
	t.raw(tensorRawData, raw)
	return t
}

// valueInfo declares a float (or int64) tensor input or output whose first
// dimension is the batch and whose other free dimension, if any, the
// sequence.
func valueInfo(p Port) pb {
	var shape pb
	for i, d := range p.Shape {
		var dim pb
		if d < 0 {
			dim.str(dimParam, dimName(i))
		} else {
			dim.int(dimValue, int64(d))
		}
		shape.msg(shapeDim, dim)
	}
	var tt pb
	if p.Int64 {
		tt.int(tensorElem, dataInt64)
	} else {
		tt.int(tensorElem, dataFloat)
	}
	tt.msg(tensorShape, shape)
	var ty pb
	ty.msg(typeTensor, tt)
	var v pb
	v.str(valueName, p.Name)
	v.msg(valueType, ty)
	return v
}
