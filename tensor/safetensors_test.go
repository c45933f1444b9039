package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// stFile builds a safetensors file from a raw header and data section.
func stFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// randomTensor fills a tensor of the type and shape with random bits.
func randomTensor(rng *rand.Rand, dt DType, shape ...int) *Tensor {
	t := New(dt, shape...)
	for i := range t.Data {
		t.Data[i] = byte(rng.Uint32())
	}
	return t
}

func equalTensors(a, b *Tensor) bool {
	return a.DType == b.DType && slices.Equal(a.Shape, b.Shape) && bytes.Equal(a.Data, b.Data)
}

// TestSafetensorsKnownAnswers checks files the reference library's own
// tests spell out byte by byte.
func TestSafetensorsKnownAnswers(t *testing.T) {
	attn := FromFloat32([]float32{0, 1, 2, 3, 4, 5}, 1, 2, 3)
	f32 := attn.Data
	tests := []struct {
		name string
		ts   map[string]*Tensor
		meta map[string]string
		want []byte
	}{
		{"empty", nil, nil, stFile("{}      ", nil)},
		{"metadata only", nil, map[string]string{"framework": "pt"},
			stFile(`{"__metadata__":{"framework":"pt"}}     `, nil)},
		{"aligned header", map[string]*Tensor{"attn.0": attn}, nil,
			stFile(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`, f32)},
		{"padded header", map[string]*Tensor{"attn0": FromFloat32(attn.Float32s(), 1, 1, 2, 3)}, nil,
			stFile(`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `, f32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSafetensors(&buf, tt.ts, tt.meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), tt.want) {
				t.Errorf("WriteSafetensors =\n%q\nwant\n%q", buf.Bytes(), tt.want)
			}
			ts, meta, err := ReadSafetensors(bytes.NewReader(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != len(tt.ts) || len(meta) != len(tt.meta) {
				t.Errorf("read back %d tensors and %v, want %d and %v", len(ts), meta, len(tt.ts), tt.meta)
			}
		})
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := map[string]*Tensor{
		"u8":        randomTensor(rng, Uint8, 3, 5),
		"i32":       randomTensor(rng, Int32, 7),
		"i64":       randomTensor(rng, Int64, 2, 2, 2),
		"f32":       randomTensor(rng, Float32, 33),
		"f64":       randomTensor(rng, Float64, 1, 3),
		"scalar":    randomTensor(rng, Float32),
		"empty":     New(Float64, 0, 5),
		"quote\"\n": randomTensor(rng, Uint8, 1),
		"ünï✓":      randomTensor(rng, Int32, 2),
	}
	meta := map[string]string{"b": "2", "a": "\x01\u2028</>&"}
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := WriteSafetensorsFile(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := ReadSafetensorsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range ts {
		if !equalTensors(got[name], want) {
			t.Errorf("tensor %q: read %+v, want %+v", name, got[name], want)
		}
	}
	if len(got) != len(ts) || gotMeta["a"] != meta["a"] || gotMeta["b"] != "2" {
		t.Errorf("read %d tensors, metadata %q; want %d, %q", len(got), gotMeta, len(ts), meta)
	}

	f, err := OpenSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Data order: 8-byte types first, then 4, then 1, each by name.
	wantOrder := []string{"i64", "empty", "f64", "f32", "scalar", "i32", "ünï✓", "quote\"\n", "u8"}
	if !slices.Equal(f.Names(), wantOrder) {
		t.Errorf("Names() = %q, want %q", f.Names(), wantOrder)
	}
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		if info.Begin%int64(info.DType.Size()) != 0 {
			t.Errorf("tensor %q begins at %d, not aligned to %d", name, info.Begin, info.DType.Size())
		}
	}
	if _, err := f.Tensor("nope"); err == nil {
		t.Error("Tensor(nope) succeeded")
	}
}

func TestSafetensorsBadInput(t *testing.T) {
	f32x2 := `{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	long := binary.LittleEndian.AppendUint64(nil, 200_000_000)
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"short length", []byte{1, 2, 3}, "truncated header length: want 8 bytes, found 3"},
		{"huge header", long, "header length 200000000 is over the 100000000-byte limit"},
		{"header past end", stFile(`{}`, nil)[:9], "truncated header: want 2 bytes, found 1"},
		{"not utf8", stFile("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"not an object", stFile(`[1, 2]`, nil), "does not start with '{'"},
		{"bad json", stFile(`{"a":`, nil), "header JSON"},
		{"two values", stFile(`{} {}`, nil), "more than spaces after the JSON object"},
		{"nul padding", stFile("{}\x00\x00", nil), "more than spaces after the JSON object"},
		{
			"empty name gap",
			stFile(`{"":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)),
			"gap at the start",
		},
		{"duplicate", stFile(`{"a":`+f32x2+`,"a":`+f32x2+`}`, make([]byte, 8)), `names "a" twice`},
		{
			"unknown dtype",
			stFile(`{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)),
			`unknown dtype "Q4"`,
		},
		{"no dtype", stFile(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "no dtype"},
		{"no shape", stFile(`{"a":{"dtype":"U8","data_offsets":[0,8]}}`, make([]byte, 8)), "no shape"},
		{
			"null offsets",
			stFile(`{"a":{"dtype":"U8","shape":[8],"data_offsets":null}}`, make([]byte, 8)),
			"no data_offsets",
		},
		{
			"three offsets",
			stFile(`{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,4,8]}}`, make([]byte, 8)),
			"must be [begin, end]",
		},
		{
			"negative dim",
			stFile(`{"a":{"dtype":"U8","shape":[-8],"data_offsets":[0,8]}}`, make([]byte, 8)),
			"dimension -8 of shape",
		},
		{
			"fractional dim",
			stFile(`{"a":{"dtype":"U8","shape":[2.5],"data_offsets":[0,8]}}`, make([]byte, 8)),
			"dimension 2.5 of shape",
		},
		{
			"overflow",
			stFile(
				`{"a":{"dtype":"F64","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}`,
				make([]byte, 8),
			),
			"larger than",
		},
		{
			"reversed offsets",
			stFile(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}`, make([]byte, 8)),
			"end before they begin",
		},
		{
			"size mismatch",
			stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)),
			"hold 8 bytes, shape [3] of F32 needs 12",
		},
		{
			"gap at start",
			stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			"gap at the start",
		},
		{
			"gap",
			stFile(`{"a":`+f32x2+`,"b":{"dtype":"U8","shape":[2],"data_offsets":[9,11]}}`, make([]byte, 11)),
			`gap after tensor "a" ending at 8`,
		},
		{
			"overlap",
			stFile(`{"a":`+f32x2+`,"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}`, make([]byte, 8)),
			`overlap tensor "a" ending at 8`,
		},
		{
			"truncated data",
			stFile(`{"a":`+f32x2+`}`, make([]byte, 5)),
			"truncated data: want 8 bytes, found 5",
		},
		{
			"trailing data",
			stFile(`{"a":`+f32x2+`}`, make([]byte, 9)),
			"data section is 9 bytes but the tensors end at 8",
		},
		{
			"metadata not strings",
			stFile(`{"__metadata__":{"a":1}}`, nil),
			"__metadata__ is not an object of strings",
		},
		{
			"metadata twice",
			stFile(`{"__metadata__":{},"__metadata__":{}}`, nil),
			`names "__metadata__" twice`,
		},
		{
			"u64",
			stFile(`{"a":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
			"dtype U64 is not supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadSafetensors(bytes.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadSafetensors = %v, want an error containing %q", err, tt.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FormatError", err)
			}
			// The same file must fail whatever the reader knows of its length.
			if _, _, err := ReadSafetensors(io.MultiReader(bytes.NewReader(tt.file))); err == nil {
				t.Error("ReadSafetensors on a reader of unknown length succeeded")
			}
			x, err := ReadSafetensorsIndex(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err == nil {
				if _, err = x.Tensor("a"); err == nil {
					t.Error("ReadSafetensorsIndex and Tensor succeeded")
				}
			}
		})
	}
}

func TestSafetensorsTruncatedIsUnexpectedEOF(t *testing.T) {
	var buf bytes.Buffer
	WriteSafetensors(&buf, map[string]*Tensor{"w": New(Float64, 10)}, nil)
	cut := buf.Bytes()[:buf.Len()-3]
	_, _, err := ReadSafetensors(io.MultiReader(bytes.NewReader(cut)))
	if !errors.Is(err, io.ErrUnexpectedEOF) ||
		!strings.Contains(err.Error(), "want 80 bytes, found 77") {
		t.Errorf("ReadSafetensors(cut) = %v, want truncated data, 80 wanted, 77 found", err)
	}
	path := filepath.Join(t.TempDir(), "cut.safetensors")
	os.WriteFile(path, cut, 0o644)
	_, _, err = ReadSafetensorsFile(path)
	if !errors.Is(err, io.ErrUnexpectedEOF) ||
		!strings.Contains(err.Error(), path+": safetensors: truncated data: want 80 bytes, found 77") {
		t.Errorf(
			"ReadSafetensorsFile(cut) = %v, want the path and truncated data, 80 wanted, 77 found",
			err,
		)
	}
}

func TestWriteSafetensorsRefuses(t *testing.T) {
	tests := []struct {
		name string
		ts   map[string]*Tensor
		want string
	}{
		{"nil", map[string]*Tensor{"a": nil}, `tensor "a" is nil`},
		{"reserved", map[string]*Tensor{"__metadata__": New(Uint8, 1)}, "reserved"},
		{"bad utf8", map[string]*Tensor{"\xff": New(Uint8, 1)}, "not valid UTF-8"},
		{
			"short data",
			map[string]*Tensor{"a": {DType: Float32, Shape: []int{2}, Data: make([]byte, 7)}},
			"needs 8 bytes, have 7",
		},
		{
			"unknown dtype",
			map[string]*Tensor{"a": {DType: "F16", Shape: []int{1}, Data: make([]byte, 2)}},
			`unknown dtype "F16"`,
		},
	}
	for _, tt := range tests {
		err := WriteSafetensors(io.Discard, tt.ts, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: WriteSafetensors = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestHalfToFloat32(t *testing.T) {
	tests := []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.960464477539063e-08},
		{0x03ff, 6.097555160522461e-05}, {0x0400, 6.103515625e-05}, {0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))}, {0x8001, -5.960464477539063e-08},
	}
	for _, tt := range tests {
		if got := halfToFloat32(tt.h); got != tt.want {
			t.Errorf("halfToFloat32(%#04x) = %g, want %g", tt.h, got, tt.want)
		}
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("halfToFloat32(0x7e00) = %g, want NaN", got)
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("halfToFloat32(0x8000) = %g, want -0", got)
	}
}
