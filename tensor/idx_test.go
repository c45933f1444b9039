package tensor

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const fashionDir = "/usr/share/datasets/fashion-mnist"

func TestIDXRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []DType{Uint8, Int32, Float32, Float64} {
		for _, shape := range [][]int{{0}, {7}, {3, 4}, {2, 3, 4}} {
			x := randomTensor(rng, dt, shape...)
			var buf bytes.Buffer
			if err := WriteIDX(&buf, x); err != nil {
				t.Fatal(err)
			}
			got, err := ReadIDX(&buf)
			if err != nil {
				t.Fatalf("%s %v: %v", dt, shape, err)
			}
			if !equalTensors(got, x) {
				t.Errorf("%s %v: read back %s %v", dt, shape, got.DType, got.Shape)
			}
		}
	}
	for _, x := range []*Tensor{New(Int64, 2), New(Float32)} {
		if err := WriteIDX(io.Discard, x); err == nil {
			t.Errorf("WriteIDX(%s %v) succeeded", x.DType, x.Shape)
		}
	}
}

func TestReadIDXBad(t *testing.T) {
	ubyte2x3 := []byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated magic number: want 4 bytes, found 0"},
		{"gzip not gunzipped", []byte{0x1f, 0x8b, 8, 0}, "bad magic number 1f 8b 08 00"},
		{"unknown type", []byte{0, 0, 0x0a, 1}, "unknown element type 0x0a"},
		{"no dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"too many dims", []byte{0, 0, 8, 200}, "200 dimensions"},
		{"short dims", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0}, "truncated dimensions: want 12 bytes, found 5"},
		{
			"short data",
			append(slices.Clone(ubyte2x3), 1, 2, 3, 4),
			"truncated data of 2x3 ubyte: want 6 bytes, found 4",
		},
		{
			"long data",
			append(slices.Clone(ubyte2x3), 1, 2, 3, 4, 5, 6, 7),
			"data of 2x3 ubyte is 6 bytes but 7 follow",
		},
		{
			"short doubles",
			[]byte{0, 0, 0x0e, 1, 0, 0, 0, 2, 1, 2, 3},
			"truncated data of 2 double: want 16 bytes, found 3",
		},
		{
			"huge",
			[]byte{0, 0, 0x0d, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0},
			"larger than the 4294967296-byte limit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadIDX = %v, want an error containing %q", err, tt.want)
			}
			// Unknown length: the same problems found while reading.
			_, err = ReadIDX(io.MultiReader(bytes.NewReader(tt.file)))
			if err == nil {
				t.Fatal("ReadIDX on a reader of unknown length succeeded")
			}
			if strings.Contains(tt.want, "follow") {
				return
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadIDX, unknown length = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestReadIDXLyingHeader: a header that claims 3 GiB, within the bound,
// followed by a few bytes must fail without allocating anything like 3 GiB.
func TestReadIDXLyingHeader(t *testing.T) {
	file := []byte{0, 0, 8, 3, 0, 0xc0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 3}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDX(io.MultiReader(bytes.NewReader(file)))
	runtime.ReadMemStats(&after)
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) ||
		!strings.Contains(err.Error(), "found 3") {
		t.Errorf("ReadIDX = %v, want truncated data, found 3", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("ReadIDX allocated %d bytes for a 19-byte file", alloc)
	}
}

func TestReadIDXFileGzipByMagic(t *testing.T) {
	x := FromFloat64([]float64{1.5, -2, 3e300}, 3)
	var raw, zipped bytes.Buffer
	if err := WriteIDX(&raw, x); err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&zipped)
	zw.Write(raw.Bytes())
	zw.Close()

	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"plain.idx":       raw.Bytes(),
		"zipped.noext":    zipped.Bytes(),
		"zipped.idx.gz":   zipped.Bytes(),
		"plain-named.gz":  raw.Bytes(),
		"cut.gz":          zipped.Bytes()[:zipped.Len()-12],
		"corrupt-crc.gz":  append(slices.Clone(zipped.Bytes()[:zipped.Len()-8]), 1, 2, 3, 4, 0, 0, 0, 0),
		"not-even-gzip.x": {0x1f, 0x8b, 0},
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, content, 0o644)
		got, err := ReadIDXFile(path)
		bad := strings.HasPrefix(name, "cut") || strings.HasPrefix(name, "corrupt") ||
			strings.HasPrefix(name, "not")
		switch {
		case bad && err == nil:
			t.Errorf("ReadIDXFile(%s) succeeded", name)
		case bad && !strings.Contains(err.Error(), path):
			t.Errorf("ReadIDXFile(%s) = %v, want the path in the error", name, err)
		case !bad && (err != nil || !equalTensors(got, x)):
			t.Errorf("ReadIDXFile(%s) = %v, %v", name, got, err)
		}
	}
}

// TestFashionMNIST reads the real data set when Debian's
// dataset-fashion-mnist is installed.
func TestFashionMNIST(t *testing.T) {
	for _, tt := range []struct {
		split string
		n     int
	}{{"train", 60000}, {"t10k", 10000}} {
		images := filepath.Join(fashionDir, tt.split+"-images-idx3-ubyte.gz")
		labels := filepath.Join(fashionDir, tt.split+"-labels-idx1-ubyte.gz")
		if _, err := os.Stat(images); err != nil {
			t.Skipf("Fashion-MNIST not installed: %v", err)
		}
		x, err := ReadIDXFile(images)
		if err != nil {
			t.Fatal(err)
		}
		if x.DType != Uint8 || !slices.Equal(x.Shape, []int{tt.n, 28, 28}) {
			t.Errorf("%s images: %s %v, want U8 [%d 28 28]", tt.split, x.DType, x.Shape, tt.n)
		}
		y, err := ReadIDXFile(labels)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y.Shape, []int{tt.n}) {
			t.Fatalf("%s labels: shape %v, want [%d]", tt.split, y.Shape, tt.n)
		}
		// Fashion-MNIST is balanced: n/10 of each of the ten classes.
		var count [256]int
		for _, c := range y.Data {
			count[c]++
		}
		for c := range 10 {
			if count[c] != tt.n/10 {
				t.Errorf("%s labels: class %d appears %d times, want %d", tt.split, c, count[c], tt.n/10)
			}
		}
	}
}
