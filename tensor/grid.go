package tensor

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
)

// gridPad is the black border around and between images, in pixels: the
// default of torchvision.utils.make_grid, whose layout WriteImageGrid
// follows so sample grids look alike on both sides.
const gridPad = 2

// WriteImageGrid writes the images of t as one PNG, cols images to a row.
// t is N×H×W (grey) or N×C×H×W with C 1 (grey) or 3 (RGB); its values are
// mapped linearly from [lo, hi] to 0-255, rounded half up and clamped, NaN
// to 0. The layout is make_grid's: when N < cols the row holds N images,
// every image has a 2-pixel black border shared with its neighbours, and a
// single image is written alone without a border.
// Pixel values equal torchvision's save_image(make_grid(x, nrow=cols)) on
// (x-lo)/(hi-lo) computed in float64; unlike make_grid, an N×H×W tensor is
// N grey images, not one image of N channels.
func WriteImageGrid(w io.Writer, t *Tensor, cols int, lo, hi float64) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("write image grid: %w", err)
	}
	var n, c, h, wd int
	switch len(t.Shape) {
	case 3:
		n, c, h, wd = t.Shape[0], 1, t.Shape[1], t.Shape[2]
	case 4:
		n, c, h, wd = t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	default:
		return fmt.Errorf("write image grid: shape %v is not N×H×W or N×C×H×W", t.Shape)
	}
	switch {
	case c != 1 && c != 3:
		return fmt.Errorf("write image grid: %d channels, want 1 or 3", c)
	case n == 0 || h == 0 || wd == 0:
		return fmt.Errorf("write image grid: shape %v holds no pixels", t.Shape)
	case cols <= 0:
		return fmt.Errorf("write image grid: %d columns", cols)
	case !(hi > lo) || math.IsInf(hi-lo, 0):
		return fmt.Errorf("write image grid: range [%g, %g] is empty or infinite", lo, hi)
	}

	pad := gridPad
	if n == 1 {
		pad = 0
	}
	xmaps := min(cols, n)
	ymaps := (n + xmaps - 1) / xmaps
	gw := xmaps*(wd+pad) + pad
	gh := ymaps*(h+pad) + pad
	if int64(gw)*int64(gh) > 1<<28 {
		return fmt.Errorf("write image grid: %dx%d pixels is too large for one PNG", gw, gh)
	}
	var img image.Image
	var pix []uint8
	stride, step := 0, 1
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, gw, gh))
		img, pix, stride = g, g.Pix, g.Stride
	} else {
		// Fully opaque, so image/png stores 8-bit RGB without alpha.
		g := image.NewNRGBA(image.Rect(0, 0, gw, gh))
		for i := 3; i < len(g.Pix); i += 4 {
			g.Pix[i] = 255
		}
		img, pix, stride, step = g, g.Pix, g.Stride, 4
	}

	scale := hi - lo
	for k := 0; k < n; k++ {
		x0 := (k%xmaps)*(wd+pad) + pad
		y0 := (k/xmaps)*(h+pad) + pad
		for ch := 0; ch < c; ch++ {
			base := (k*c + ch) * h * wd
			for y := 0; y < h; y++ {
				row := pix[(y0+y)*stride+x0*step+ch:]
				for x := 0; x < wd; x++ {
					row[x*step] = toByte((t.at(base+y*wd+x) - lo) / scale)
				}
			}
		}
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("write image grid: %w", err)
	}
	return nil
}

// toByte maps [0, 1] to 0-255 as save_image does: ×255, +0.5, clamp,
// truncate.
func toByte(v float64) uint8 {
	v = v*255 + 0.5
	switch {
	case v >= 255:
		return 255
	case v > 0:
		return uint8(v)
	}
	return 0 // also NaN
}
