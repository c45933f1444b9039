package tensor

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestImageGridParity compares every pixel with torchvision's make_grid and
// save_image (testdata/grid, made by gen.py).
func TestImageGridParity(t *testing.T) {
	n := 0
	for k, raw := range loadExpected(t) {
		name, ok := strings.CutPrefix(k, "grid/")
		if !ok {
			continue
		}
		n++
		var p struct {
			Cols   int
			Lo, Hi float64
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		in, err := ReadNPYFile(filepath.Join("testdata", "grid", name+"_in.npy"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := ReadNPYFile(filepath.Join("testdata", "grid", name+"_want.npy"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteImageGrid(&buf, in, p.Cols, p.Lo, p.Hi); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: decode our PNG: %v", name, err)
		}
		h, w := want.Shape[0], want.Shape[1]
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("%s: grid is %dx%d, torchvision's %dx%d", name, b.Dx(), b.Dy(), w, h)
		}
		bad := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, b := pixel(img, x, y)
				o := (y*w + x) * 3
				if [3]uint8{r, g, b} != [3]uint8(want.Data[o:o+3]) {
					if bad++; bad <= 5 {
						t.Errorf("%s: pixel (%d,%d) = %v, want %v", name, x, y, []uint8{r, g, b}, want.Data[o:o+3])
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no grid fixtures")
	}
}

func pixel(img image.Image, x, y int) (r, g, b uint8) {
	switch m := img.(type) {
	case *image.Gray:
		v := m.GrayAt(x, y).Y
		return v, v, v
	case *image.RGBA: // what the decoder returns for an opaque RGB PNG
		c := m.RGBAAt(x, y)
		if c.A != 255 {
			return 0, 0, 0
		}
		return c.R, c.G, c.B
	}
	panic("unexpected image type")
}

func TestImageGridLayout(t *testing.T) {
	// Ten 2x3 grey images, 4 to a row: 3 rows, black 2-pixel borders.
	v := make([]float32, 10*2*3)
	for i := range v {
		v[i] = 1
	}
	v[0] = float32(math.NaN())
	var buf bytes.Buffer
	if err := WriteImageGrid(&buf, FromFloat32(v, 10, 2, 3), 4, 0, 1); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	if b := g.Bounds(); b.Dx() != 4*5+2 || b.Dy() != 3*4+2 {
		t.Errorf("grid is %dx%d, want 22x14", b.Dx(), b.Dy())
	}
	for _, c := range []struct{ x, y, want int }{
		{0, 0, 0}, {2, 2, 0} /* NaN */, {3, 2, 255}, {4, 3, 255}, {5, 2, 0},
		{7, 2, 255}, {2, 10, 255}, {7, 10, 255}, {12, 10, 0} /* no 11th image */, {17, 10, 0}, {21,
			13, 0},
	} {
		if got := int(g.GrayAt(c.x, c.y).Y); got != c.want {
			t.Errorf("pixel (%d,%d) = %d, want %d", c.x, c.y, got, c.want)
		}
	}
}

func TestImageGridRefuses(t *testing.T) {
	img := New(Float32, 2, 3, 4, 4)
	tests := []struct {
		name   string
		t      *Tensor
		cols   int
		lo, hi float64
		want   string
	}{
		{"2-D", New(Float32, 4, 4), 1, 0, 1, "not N×H×W or N×C×H×W"},
		{"2 channels", New(Float32, 2, 2, 4, 4), 1, 0, 1, "2 channels"},
		{"no images", New(Float32, 0, 4, 4), 1, 0, 1, "holds no pixels"},
		{"no columns", img, 0, 0, 1, "0 columns"},
		{"empty range", img, 2, 1, 1, "range [1, 1]"},
		{"NaN range", img, 2, math.NaN(), 1, "range"},
		{"bad tensor", &Tensor{DType: Float32, Shape: []int{1, 2, 2}}, 1, 0, 1, "needs 16 bytes"},
	}
	for _, tt := range tests {
		err := WriteImageGrid(io.Discard, tt.t, tt.cols, tt.lo, tt.hi)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: WriteImageGrid = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
