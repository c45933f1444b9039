package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyFile builds a version 1.0 .npy file from a header and data.
func npyFile(header string, data []byte) []byte {
	b := []byte(npyMagic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	return append(append(b, header...), data...)
}

func TestParseNPYHeader(t *testing.T) {
	tests := []struct {
		header  string
		descr   string
		fortran bool
		shape   []int
	}{
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n", "<f4", false, []int{2, 3}},
		{`{"shape": (7,), "descr": ">i8", "fortran_order": True}`, ">i8", true, []int{7}},
		{"{'descr':'|u1','fortran_order':False,'shape':()}", "|u1", false, nil},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }", "<f8", false, []int{3, 4}},
		{
			"{ 'descr' : '|b1' , 'fortran_order' : False , 'shape' : ( 0 , 5 ) , }",
			"|b1",
			false,
			[]int{0, 5},
		},
	}
	for _, tt := range tests {
		h, err := parseNPYHeader(tt.header)
		if err != nil {
			t.Errorf("parseNPYHeader(%q) = %v", tt.header, err)
			continue
		}
		if h.descr != tt.descr || h.fortran != tt.fortran || !slices.Equal(h.shape, tt.shape) {
			t.Errorf("parseNPYHeader(%q) = %s %v %v, want %s %v %v",
				tt.header, h.descr, h.fortran, h.shape, tt.descr, tt.fortran, tt.shape)
		}
	}
}

func TestParseNPYHeaderBad(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "ends early"},
		{"[1, 2]", "is not a dictionary"},
		{"{'descr': '<f4', 'shape': (2,)}", "exactly the keys"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "exactly the keys"},
		{"{'descr': '<f4', 'descr': '<f4', 'shape': (2,)}", `key "descr" appears twice`},
		{"{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,)}", "structured dtype"},
		{"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "is not True or False"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': 2}", "is not a tuple"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "not a count"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': ('a',)}", "not a count"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", "unexpected"},
		{"{'descr: '<f4'}", "no ':' after key"},
		{"{'descr': 'f4', 'fortran_order': False, 'shape': (2,)}", `dtype "f4" is not supported`},
		{"{'descr': '<c16', 'fortran_order': False, 'shape': (2,)}", `dtype "<c16" is not supported`},
		{"{'descr': '|i4', 'fortran_order': False, 'shape': (2,)}", "no byte order but 4-byte"},
		{"{'descr': '<h2', 'fortran_order': False, 'shape': (2,)}", "not supported"},
		{"{1: 2}", "key 1 is not a string"},
		{strings.Repeat("(", 50), "nested deeper"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "bad integer"},
	}
	for _, tt := range tests {
		_, err := parseNPYHeader(tt.header)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseNPYHeader(%q) = %v, want an error containing %q", tt.header, err, tt.want)
		}
	}
}

func TestReadNPYBad(t *testing.T) {
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"
	big := []byte(npyMagic + "\x02\x00")
	big = binary.LittleEndian.AppendUint32(big, 1<<30)
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated magic: want 8 bytes, found 0"},
		{"not npy", []byte("PK\x03\x04zipfile"), "not a .npy file"},
		{"version", []byte(npyMagic + "\x04\x00\x10\x00"), "unsupported format version 4.0"},
		{
			"short length",
			[]byte(npyMagic + "\x02\x00\x10"),
			"truncated header length: want 4 bytes, found 1",
		},
		{"huge header", big, "over the 1048576-byte limit"},
		{"short header", npyFile(hdr, nil)[:30], "truncated header: want 60 bytes, found 20"},
		{
			"short data",
			npyFile(hdr, make([]byte, 10)),
			"truncated data of shape [2 3] <f4: want 24 bytes, found 10",
		},
		{
			"huge shape",
			npyFile(
				"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776)}",
				nil,
			),
			"larger than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadNPY = %v, want an error containing %q", err, tt.want)
			}
			if _, err := ReadNPY(io.MultiReader(bytes.NewReader(tt.file))); err == nil {
				t.Error("ReadNPY on a reader of unknown length succeeded")
			}
		})
	}

	_, err := ReadNPY(bytes.NewReader(npyFile(hdr, make([]byte, 10))))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated data: error %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestNPYRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][]int{{}, {0}, {5}, {2, 3}, {4, 0, 2}, {2, 3, 4, 5}, {123456, 1}}
	var stream bytes.Buffer
	var written []*Tensor
	for _, dt := range []DType{Uint8, Int32, Int64, Float32, Float64} {
		for _, shape := range shapes {
			x := randomTensor(rng, dt, shape...)
			var buf bytes.Buffer
			if err := WriteNPY(&buf, x); err != nil {
				t.Fatal(err)
			}
			if n := bytes.IndexByte(buf.Bytes(), '\n') + 1; n%64 != 0 {
				t.Errorf("%s %v: data starts at %d, not on a 64-byte boundary", dt, shape, n)
			}
			stream.Write(buf.Bytes())
			written = append(written, x)
			got, err := ReadNPY(&buf)
			if err != nil {
				t.Fatalf("%s %v: %v", dt, shape, err)
			}
			if !equalTensors(got, x) {
				t.Errorf("%s %v: read back %s %v", dt, shape, got.DType, got.Shape)
			}
		}
	}

	// Arrays saved one after another read back in turn.
	for i, x := range written {
		got, err := ReadNPY(&stream)
		if err != nil || !equalTensors(got, x) {
			t.Fatalf("array %d of the stream: %v", i, err)
		}
	}

	path := filepath.Join(t.TempDir(), "a.npy")
	x := randomTensor(rng, Float32, 3, 4)
	if err := WriteNPYFile(path, x); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadNPYFile(path); err != nil || !equalTensors(got, x) {
		t.Errorf("ReadNPYFile after WriteNPYFile: %v", err)
	}
	if _, err := ReadNPYFile(filepath.Join(t.TempDir(), "missing.npy")); err == nil {
		t.Error("ReadNPYFile of a missing file succeeded")
	}
}

func TestReverseAxes(t *testing.T) {
	// A 2x3x4 array stored in Fortran order: element (i,j,k) at i+2j+6k.
	f := New(Int32, 4, 3, 2)
	for i := range 24 {
		binary.LittleEndian.PutUint32(f.Data[4*i:], uint32(i))
	}
	got := reverseAxes(f)
	if !slices.Equal(got.Shape, []int{2, 3, 4}) {
		t.Fatalf("shape %v, want [2 3 4]", got.Shape)
	}
	v := got.Int64s()
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				if want := int64(i + 2*j + 6*k); v[i*12+j*4+k] != want {
					t.Errorf("(%d,%d,%d) = %d, want %d", i, j, k, v[i*12+j*4+k], want)
				}
			}
		}
	}
}
