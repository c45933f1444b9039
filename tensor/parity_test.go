package tensor

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/gowritten from the writers")

// want is one entry of testdata/expected.json, written by testdata/gen.py.
type want struct {
	DType DType  `json:"dtype"`
	Shape []int  `json:"shape"`
	Hex   string `json:"hex"`
	Error string `json:"error"`
}

func loadExpected(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// expectedUnder returns the entries whose key starts with prefix, sorted.
func expectedUnder(t *testing.T, prefix string) map[string]want {
	t.Helper()
	out := map[string]want{}
	for k, raw := range loadExpected(t) {
		if !strings.HasPrefix(k, prefix) || strings.HasSuffix(k, "#__metadata__") {
			continue
		}
		var w want
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatalf("expected.json %s: %v", k, err)
		}
		out[k] = w
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures under %s in expected.json", prefix)
	}
	return out
}

func checkWant(t *testing.T, what string, got *Tensor, err error, w want) {
	t.Helper()
	if w.Error != "" {
		if err == nil || !strings.Contains(err.Error(), w.Error) {
			t.Errorf("%s: error %v, want one containing %q", what, err, w.Error)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if err := got.Check(); err != nil {
		t.Errorf("%s: Check() = %v", what, err)
	}
	if got.DType != w.DType || !slices.Equal(got.Shape, w.Shape) {
		t.Errorf("%s: read %s %v, want %s %v", what, got.DType, got.Shape, w.DType, w.Shape)
		return
	}
	if h := hex.EncodeToString(got.Data); h != w.Hex {
		t.Errorf("%s: data\n got %s\nwant %s", what, clipHex(h), clipHex(w.Hex))
	}
}

func clipHex(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// TestNPYParity reads arrays numpy wrote, in every supported dtype, byte
// order, layout and format version, and the ones pipe must refuse.
func TestNPYParity(t *testing.T) {
	for k, w := range expectedUnder(t, "npy/") {
		got, err := ReadNPYFile(filepath.Join("testdata", k))
		checkWant(t, k, got, err, w)
	}
}

// TestIDXParity reads IDX files of every element type, one gzipped.
func TestIDXParity(t *testing.T) {
	for k, w := range expectedUnder(t, "idx/") {
		got, err := ReadIDXFile(filepath.Join("testdata", k))
		checkWant(t, k, got, err, w)
	}
}

// TestSafetensorsParity reads the reference files three ways: streaming,
// from the file, and one tensor at a time through the index.
func TestSafetensorsParity(t *testing.T) {
	byFile := map[string]map[string]want{}
	for k, w := range expectedUnder(t, "safetensors/") {
		file, name, _ := strings.Cut(k, "#")
		if byFile[file] == nil {
			byFile[file] = map[string]want{}
		}
		byFile[file][name] = w
	}
	all := loadExpected(t)
	for file, wants := range byFile {
		path := filepath.Join("testdata", file)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var wantMeta map[string]string
		if m, ok := all[file+"#__metadata__"]; ok {
			json.Unmarshal(m, &wantMeta)
		}

		stream, meta, err := ReadSafetensors(bytes.NewBuffer(raw)) // Len() known
		checkSafetensorsRead(t, file+" stream", stream, meta, err, wants, wantMeta)
		fromFile, meta, err := ReadSafetensorsFile(path)
		checkSafetensorsRead(t, file+" file", fromFile, meta, err, wants, wantMeta)
		// A reader that hides its length takes the grow-as-it-comes path.
		hidden, meta, err := ReadSafetensors(struct{ *bytes.Reader }{bytes.NewReader(raw)})
		checkSafetensorsRead(t, file+" hidden length", hidden, meta, err, wants, wantMeta)

		x, err := ReadSafetensorsIndex(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Errorf("ReadSafetensorsIndex(%s) = %v", file, err)
			continue
		}
		for name, w := range wants {
			if name == "" {
				continue
			}
			got, err := x.Tensor(name)
			checkWant(t, file+" index "+name, got, err, w)
		}
	}
}

func checkSafetensorsRead(t *testing.T, what string, ts map[string]*Tensor, meta map[string]string,
	err error, wants map[string]want, wantMeta map[string]string) {
	t.Helper()
	if w, ok := wants[""]; ok { // the whole file must fail
		checkWant(t, what, nil, err, w)
		return
	}
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if len(ts) != len(wants) {
		t.Errorf("%s: %d tensors, want %d", what, len(ts), len(wants))
	}
	for name, w := range wants {
		checkWant(t, what+" "+name, ts[name], nil, w)
	}
	if len(meta) != len(wantMeta) {
		t.Errorf("%s: metadata %q, want %q", what, meta, wantMeta)
	}
	for k, v := range wantMeta {
		if meta[k] != v {
			t.Errorf("%s: metadata[%q] = %q, want %q", what, k, meta[k], v)
		}
	}
}

// TestWriterBytesParity: what pipe writes is byte for byte what numpy.save
// and the reference safetensors layout write for the same values.
func TestWriterBytesParity(t *testing.T) {
	for _, name := range []string{"u1", "i4", "i8", "f4", "f8", "scalar_f8", "empty_f4", "vec_i8",
		"v1_f4"} {
		path := filepath.Join("testdata", "npy", name+".npy")
		ref, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		x, err := ReadNPY(bytes.NewReader(ref))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), ref) {
			t.Errorf(
				"WriteNPY(%s) differs from numpy.save:\n got %q\nwant %q",
				name,
				buf.Bytes()[:128],
				ref[:128],
			)
		}
	}

	path := filepath.Join("testdata", "safetensors", "pipe.safetensors")
	ref, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, meta, err := ReadSafetensors(bytes.NewReader(ref))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, ts, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), ref) {
		t.Errorf(
			"WriteSafetensors differs from the reference layout:\n got %q\nwant %q",
			buf.Bytes(),
			ref,
		)
	}
}

// TestGoWritten compares the writers' output with testdata/gowritten,
// which `gen.py check` loads with numpy. Run with -update to rewrite it,
// then run the check.
func TestGoWritten(t *testing.T) {
	dir := filepath.Join("testdata", "gowritten")
	outputs := map[string][]byte{}
	for _, name := range []string{"u1", "i4", "i8", "f4", "f8", "scalar_f8", "empty_f4",
		"fortran_f8", "fortran_i4", "fortran_u1"} {
		x, err := ReadNPYFile(filepath.Join("testdata", "npy", name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatal(err)
		}
		outputs[name+".npy"] = buf.Bytes()
	}
	for _, name := range []string{"pipe", "foreign"} {
		ts, meta, err := ReadSafetensorsFile(
			filepath.Join("testdata", "safetensors", name+".safetensors"),
		)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteSafetensors(&buf, ts, meta); err != nil {
			t.Fatal(err)
		}
		outputs[name+".safetensors"] = buf.Bytes()
	}

	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, n)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, outputs[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGoWritten -update, then gen.py check)", err)
		}
		if !bytes.Equal(golden, outputs[n]) {
			t.Errorf("writer output for %s changed; rerun with -update and gen.py check", n)
		}
	}
}
