package cache

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngImage(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	copy(img.Pix, testData(len(img.Pix), 3, false))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipped is a zip archive as PyTorch writes .pt files: stored, not
// deflated, so its bytes would still compress. It must be stored raw.
func zipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPutMaterialize(t *testing.T) {
	text := testData(3<<20, 1, true)
	tests := []struct {
		name     string
		data     []byte
		wantZstd bool
	}{
		{"empty", nil, false},
		{"one byte", []byte{'x'}, false},
		{"short text", testData(1000, 1, true), true},
		{"text", text, true},
		{"random", testData(1<<20, 2, false), false},
		{"gzip", gzipped(t, text), false},
		{"png", pngImage(t), false},
		{"zip", zipped(t, text), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			src := writeTemp(t, "src", tt.data)
			id, size, err := c.PutFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if id != HashBytes(tt.data) || size != int64(len(tt.data)) {
				t.Fatalf("PutFile = %s, %d; want %s, %d", id.Short(), size,
					HashBytes(tt.data).Short(), len(tt.data))
			}
			h, err := c.statObject(id)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.format == formatZstd; got != tt.wantZstd {
				t.Errorf("stored compressed = %v, want %v", got, tt.wantZstd)
			}
			if tt.wantZstd && len(tt.data) > 1<<20 && h.stored > int64(len(tt.data))/2 {
				t.Errorf("compressed %d bytes to %d", len(tt.data), h.stored)
			}

			dst := filepath.Join(t.TempDir(), "out", "sub", "file")
			if err := c.Materialize(id, dst); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("Materialize gave %d bytes, want the %d stored", len(got), len(tt.data))
			}
			got, err = c.ReadObject(id)
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("ReadObject = %d bytes, %v; want the %d stored", len(got), err, len(tt.data))
			}

			// PutBytes of the same content finds the object.
			if id2, err := c.PutBytes(tt.data); err != nil || id2 != id {
				t.Errorf("PutBytes = %s, %v; want %s", id2.Short(), err, id.Short())
			}
		})
	}
}

func TestPutFileSkipsExisting(t *testing.T) {
	c := openTest(t)
	data := testData(1<<16, 4, true)
	id, err := c.PutBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(c.objectPath(id))
	if _, _, err := c.PutFile(writeTemp(t, "f", data)); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(c.objectPath(id))
	if !os.SameFile(before, after) {
		t.Errorf("PutFile rewrote an intact object")
	}
}

// corruptions damage a stored object in the ways a disk, a killed copy
// or a stray editor would.
var corruptions = []struct {
	name   string
	damage func(b []byte) []byte
}{
	{"truncated", func(b []byte) []byte { return b[:len(b)-len(b)/3] }},
	{
		"flipped payload byte",
		func(b []byte) []byte { b[headerSize+len(b)/2%(len(b)-headerSize)] ^= 0x10; return b },
	},
	{"flipped last byte", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
	{"flipped header size", func(b []byte) []byte { b[8] ^= 1; return b }},
	{"extended", func(b []byte) []byte { return append(b, 0) }},
	{"header only", func(b []byte) []byte { return b[:headerSize] }},
	{"empty file", func(b []byte) []byte { return nil }},
}

func TestCorruptObject(t *testing.T) {
	contents := map[string][]byte{
		"zstd": testData(1<<20, 5, true),
		"raw":  testData(1<<18, 6, false),
	}
	for kind, data := range contents {
		for _, cc := range corruptions {
			for _, read := range []string{"Materialize", "ReadObject"} {
				t.Run(kind+"/"+cc.name+"/"+read, func(t *testing.T) {
					c := openTest(t)
					id, err := c.PutBytes(data)
					if err != nil {
						t.Fatal(err)
					}
					path := c.objectPath(id)
					b, _ := os.ReadFile(path)
					os.Chmod(path, 0o644)
					if err := os.WriteFile(path, cc.damage(b), 0o644); err != nil {
						t.Fatal(err)
					}

					dst := filepath.Join(t.TempDir(), "out")
					if read == "Materialize" {
						err = c.Materialize(id, dst)
					} else {
						_, err = c.ReadObject(id)
					}
					if !errors.Is(err, ErrCorrupt) {
						t.Fatalf("%s of damaged object: error = %v, want ErrCorrupt", read, err)
					}
					if !strings.Contains(err.Error(), path) {
						t.Errorf("error %q does not name the object %s", err, path)
					}
					if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("damaged object still at %s (stat: %v)", path, err)
					}
					if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("Materialize left %s behind", dst)
					}
					if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), tmpPrefix+"*")); len(left) > 0 {
						t.Errorf("temporary files left: %v", left)
					}

					// A recompute stores the object again.
					if _, err := c.PutBytes(data); err != nil {
						t.Fatal(err)
					}
					if got, err := c.ReadObject(id); err != nil || !bytes.Equal(got, data) {
						t.Errorf("after re-store: ReadObject = %d bytes, %v", len(got), err)
					}
				})
			}
		}
	}
}

func TestMaterializeMissing(t *testing.T) {
	c := openTest(t)
	err := c.Materialize(HashBytes([]byte("never stored")), filepath.Join(t.TempDir(), "x"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Materialize(missing) error = %v, want ErrNotFound", err)
	}
}

// A destination that cannot be written is the caller's problem, not a
// corrupt object: the object must stay.
func TestMaterializeBadDestination(t *testing.T) {
	c := openTest(t)
	id, err := c.PutBytes([]byte("fine content"))
	if err != nil {
		t.Fatal(err)
	}
	notDir := writeTemp(t, "file", []byte("x"))
	err = c.Materialize(id, filepath.Join(notDir, "out"))
	if err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("Materialize into a file's path: error = %v, want a non-corrupt error", err)
	}
	if !c.HasObject(id) {
		t.Errorf("object removed after a destination error")
	}
}
