package augment

import (
	"fmt"
	"math"
)

// Antialiased resize, as torch 1.13's interpolate(..., antialias=True)
// computes it on float32 CPU tensors for torchvision's F.resize(...,
// antialias=True): a separable filter whose support grows with the
// downscaling factor, so that every input pixel contributes (PIL's
// algorithm, in floating point). Rows are resampled first, then columns.
//
// Each output coordinate i gets the input range [xmin, xmin+xsize) around
// centre = scale*(i+0.5), with weights filter((j + xmin - centre + 0.5) /
// max(scale, 1)) normalised to sum to one; all of it in float32, as ATen
// does for float tensors. The filters are the triangle (bilinear) and
// Keys' cubic with a = -0.5 (bicubic; PIL's choice, not the -0.75 of the
// plain bicubic resize).

// aaTaps is one axis's filter: for output i, the first input index, the
// number of inputs and their weights (at stride width).
type aaTaps struct {
	first, size []int
	w           []float32
	width       int
}

func aaFilter(interp Interpolation) (func(x float32) float32, float32) {
	if interp == Bicubic {
		return func(x float32) float32 {
			// In double, as ATen's literals make it, then rounded.
			const a = -0.5
			d := math.Abs(float64(x))
			switch {
			case d < 1:
				return float32(((a+2)*d-(a+3))*d*d + 1)
			case d < 2:
				return float32((((d-5)*d+8)*d - 4) * a)
			}
			return 0
		}, 4
	}
	return func(x float32) float32 {
		x = float32(math.Abs(float64(x)))
		if x < 1 {
			return 1 - x
		}
		return 0
	}, 2
}

func newAATaps(in, out int, interp Interpolation) aaTaps {
	filter, interpSize := aaFilter(interp)
	scale := float32(in) / float32(out)
	support := interpSize * 0.5
	invscale := float32(1)
	if scale >= 1 {
		support *= scale
		invscale = 1 / scale
	}
	width := int(math.Ceil(float64(support)))*2 + 1
	t := aaTaps{
		first: make([]int, out),
		size:  make([]int, out),
		w:     make([]float32, out*width),
		width: width,
	}
	for i := 0; i < out; i++ {
		center := scale * (float32(i) + 0.5)
		xmin := max(int(center-support+0.5), 0)
		xsize := min(int(center+support+0.5), in) - xmin
		w := t.w[i*width : i*width+xsize]
		var total float32
		for j := range w {
			w[j] = filter((float32(j+xmin) - center + 0.5) * invscale)
			total += w[j]
		}
		if total != 0 {
			for j := range w {
				w[j] /= total
			}
		}
		t.first[i], t.size[i] = xmin, xsize
	}
	return t
}

// ResizeAntialias scales img to h×w as torchvision's tensor F.resize does
// with antialias=True. Interpolation is bilinear (the default) or bicubic;
// bicubic results are not clamped, as in torchvision.
func ResizeAntialias(img Image, h, w int, interp Interpolation) (Image, error) {
	if interp != "" && interp != Bilinear && interp != Bicubic {
		return Image{}, fmt.Errorf(
			"antialiased resize interpolation %q: want bilinear or bicubic",
			string(interp),
		)
	}
	if h <= 0 || w <= 0 {
		return Image{}, fmt.Errorf("resize to %dx%d: size must be positive", h, w)
	}
	var out Image
	resizeAAInto(&out, img, h, w, interp)
	return out, nil
}

func resizeAAInto(dst *Image, img Image, h, w int, interp Interpolation) {
	// ATen skips the pass of an axis whose size does not change.
	cur := img
	if w != img.W {
		cols := newAATaps(img.W, w, interp)
		tmp := NewImage(img.C, img.H, w)
		for r := 0; r < img.C*img.H; r++ {
			in, out := img.Pix[r*img.W:(r+1)*img.W], tmp.Pix[r*w:(r+1)*w]
			for x := range out {
				out[x] = aaDot(in[cols.first[x]:], 1, cols.w[x*cols.width:], cols.size[x])
			}
		}
		cur = tmp
	}
	dst.resize(img.C, h, w)
	if h == cur.H {
		copy(dst.Pix, cur.Pix)
		return
	}
	rows := newAATaps(cur.H, h, interp)
	for c := 0; c < img.C; c++ {
		in, out := cur.plane(c), dst.plane(c)
		for y := 0; y < h; y++ {
			wt := rows.w[y*rows.width:]
			for x := 0; x < w; x++ {
				out[y*w+x] = aaDot(in[rows.first[y]*w+x:], w, wt, rows.size[y])
			}
		}
	}
}

// aaDot is ATen's interpolate_aa_single_dim: src[0]*w[0], then each
// further product added in turn, in float32, fused as GCC fuses it. Where
// the weights are exact (a factor of two, upscaling) this matches torch
// bit for bit; elsewhere the weights differ from ATen's in the last bit
// now and then, and results by a few ulps (fixtures: at most 4.2e-7).
func aaDot(src []float32, stride int, w []float32, n int) float32 {
	acc := src[0] * w[0]
	for j := 1; j < n; j++ {
		acc = fma32(src[j*stride], w[j], acc)
	}
	return acc
}
