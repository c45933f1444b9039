package tensor

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadIDXFashionMNIST reads the gzipped 60000x28x28 training
// images; MB/s counts uncompressed bytes.
func BenchmarkReadIDXFashionMNIST(b *testing.B) {
	path := filepath.Join(fashionDir, "train-images-idx3-ubyte.gz")
	if _, err := os.Stat(path); err != nil {
		b.Skipf("Fashion-MNIST not installed: %v", err)
	}
	b.SetBytes(16 + 60000*28*28)
	for b.Loop() {
		if _, err := ReadIDXFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

// bench100MB is one 100 MB F32 tensor, the size of a small model.
func bench100MB(b *testing.B) map[string]*Tensor {
	x := New(Float32, 25_000_000)
	for i := range x.Data {
		x.Data[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(x.Data)))
	return map[string]*Tensor{"weight": x}
}

// BenchmarkWriteSafetensors100MB writes to a file in the test's temporary
// directory, without the fsync of WriteSafetensorsFile.
func BenchmarkWriteSafetensors100MB(b *testing.B) {
	ts := bench100MB(b)
	path := filepath.Join(b.TempDir(), "w.safetensors")
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteSafetensors(f, ts, nil); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSafetensorsFile100MB reads the file back (from the page
// cache once warm).
func BenchmarkReadSafetensorsFile100MB(b *testing.B) {
	ts := bench100MB(b)
	path := filepath.Join(b.TempDir(), "r.safetensors")
	if err := WriteSafetensorsFile(path, ts, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := ReadSafetensorsFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSafetensorsStream100MB reads from memory through a reader
// that hides its length, the grow-as-it-comes path.
func BenchmarkReadSafetensorsStream100MB(b *testing.B) {
	ts := bench100MB(b)
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, ts, nil); err != nil {
		b.Fatal(err)
	}
	raw := buf.Bytes()
	for b.Loop() {
		if _, _, err := ReadSafetensors(struct{ *bytes.Reader }{bytes.NewReader(raw)}); err != nil {
			b.Fatal(err)
		}
	}
}
