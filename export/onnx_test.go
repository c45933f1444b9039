package export

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// cases are the fixture directories package torch's TestExportTorchScript
// writes with -export.fixtures.
var cases = []string{"gan-mlp", "gan-dcgan28", "gan-dcgan32", "vae-mlp", "vae-conv", "lm"}

// field is one decoded protobuf field.
type field struct {
	num protowire.Number
	v   uint64 // varint and fixed32 values
	b   []byte // length-delimited values
}

// decode splits a message into its fields, failing on malformed bytes.
func decode(t *testing.T, b []byte) []field {
	t.Helper()
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d has wire type %d, which ONNX models written here never use", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		out = append(out, f)
	}
	return out
}

// summary decodes an ONNX model and describes its graph one line per item,
// the form the golden files hold.
func summary(t *testing.T, model []byte) string {
	t.Helper()
	var s strings.Builder
	var graph []byte
	for _, f := range decode(t, model) {
		switch f.num {
		case modelIRVersion:
			fmt.Fprintf(&s, "ir_version %d\n", f.v)
		case modelOpsetImport:
			for _, g := range decode(t, f.b) {
				if g.num == opsetVersion {
					fmt.Fprintf(&s, "opset %d\n", g.v)
				}
			}
		case modelProducerName:
			fmt.Fprintf(&s, "producer %s\n", f.b)
		case modelMetadataProps:
			kv := decode(t, f.b)
			fmt.Fprintf(&s, "metadata %s\n", kv[0].b)
		case modelGraph:
			graph = f.b
		}
	}
	for _, f := range decode(t, graph) {
		switch f.num {
		case graphName:
			fmt.Fprintf(&s, "graph %s\n", f.b)
		case graphInput, graphOutput:
			kind := "input"
			if f.num == graphOutput {
				kind = "output"
			}
			fmt.Fprintf(&s, "%s %s\n", kind, valueSummary(t, f.b))
		case graphInitializer:
			fmt.Fprintf(&s, "initializer %s\n", tensorSummary(t, f.b))
		case graphNode:
			fmt.Fprintf(&s, "node %s\n", nodeSummary(t, f.b))
		}
	}
	return s.String()
}

func valueSummary(t *testing.T, b []byte) string {
	var name string
	var dims []string
	for _, f := range decode(t, b) {
		if f.num == valueName {
			name = string(f.b)
			continue
		}
		tt := decode(t, decode(t, f.b)[0].b) // TypeProto.tensor_type
		for _, g := range tt {
			if g.num != tensorShape {
				continue
			}
			for _, d := range decode(t, g.b) {
				dim := decode(t, d.b)[0]
				if dim.num == dimParam {
					dims = append(dims, string(dim.b))
				} else {
					dims = append(dims, fmt.Sprint(dim.v))
				}
			}
		}
	}
	return fmt.Sprintf("%s [%s]", name, strings.Join(dims, " "))
}

// tensorSummary gives an initializer's name, type and shape, and checks
// that its raw data has the size the shape says.
func tensorSummary(t *testing.T, b []byte) string {
	var name string
	var dims []uint64
	var dtype uint64
	var raw []byte
	for _, f := range decode(t, b) {
		switch f.num {
		case tensorName:
			name = string(f.b)
		case tensorDims:
			dims = append(dims, f.v)
		case tensorDataType:
			dtype = f.v
		case tensorRawData:
			raw = f.b
		}
	}
	n, size := uint64(1), map[uint64]uint64{dataFloat: 4, dataInt64: 8}[dtype]
	for _, d := range dims {
		n *= d
	}
	if size == 0 || uint64(len(raw)) != n*size {
		t.Errorf("initializer %s: type %d, dims %v, %d bytes of data", name, dtype, dims, len(raw))
	}
	s := fmt.Sprintf("%s type=%d dims=%v", name, dtype, dims)
	if dtype == dataInt64 {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		s += fmt.Sprintf(" values=%v", vals)
	}
	return s
}

func nodeSummary(t *testing.T, b []byte) string {
	var op, name string
	var in, out, attrs []string
	for _, f := range decode(t, b) {
		switch f.num {
		case nodeInput:
			in = append(in, string(f.b))
		case nodeOutput:
			out = append(out, string(f.b))
		case nodeName:
			name = string(f.b)
		case nodeOpType:
			op = string(f.b)
		case nodeAttr:
			var an string
			var vals []string
			for _, g := range decode(t, f.b) {
				switch g.num {
				case attrName:
					an = string(g.b)
				case attrI, attrInts:
					vals = append(vals, fmt.Sprint(int64(g.v)))
				case attrF:
					vals = append(vals, fmt.Sprint(math.Float32frombits(uint32(g.v))))
				}
			}
			attrs = append(attrs, an+"="+strings.Join(vals, ","))
		}
	}
	return fmt.Sprintf("%s(%s) -> %s name=%s %s", op, strings.Join(in, ", "), strings.Join(out, ", "),
		name, strings.Join(attrs, " "))
}

// TestONNXGraphs builds each fixture's ONNX models, decodes them and
// compares the graph (nodes, attributes, initializers, inputs and outputs
// with their symbolic batch dimension) with testdata/<case>/<net>.golden.
// With -update it rewrites the goldens.
func TestONNXGraphs(t *testing.T) {
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			dir := filepath.Join("testdata", c)
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			nets, err := m.Nets()
			if err != nil {
				t.Fatal(err)
			}
			for _, net := range nets {
				b, err := m.ONNX(net, "test", map[string]string{"pipe.architecture": m.Architecture()})
				if err != nil {
					t.Fatal(err)
				}
				got := summary(t, b)
				golden := filepath.Join(dir, net.Name+".golden")
				if *update {
					writeTestFile(t, golden, []byte(got))
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if got != string(want) {
					t.Errorf("ONNX graph of %s %s differs from %s (rerun with -update if intended):\n%s",
						c, net.Name, golden, lineDiff(string(want), got))
				}
				again, _ := m.ONNX(net, "test", map[string]string{"pipe.architecture": m.Architecture()})
				if string(again) != string(b) {
					t.Errorf("%s %s: two encodings of the same model differ", c, net.Name)
				}
			}
		})
	}
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineDiff lists the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 10; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, a, b))
		}
	}
	return strings.Join(out, "\n")
}
