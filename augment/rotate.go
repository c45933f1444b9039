package augment

import (
	"fmt"
	"math"
)

// Interpolation is how a geometric op samples between pixels.
type Interpolation string

// The interpolations of torchvision's tensor path. The empty value means
// nearest for rotation and bilinear for resize, as torchvision's defaults.
// Bicubic is for resize only: torchvision's tensor rotate has no bicubic.
const (
	Nearest  Interpolation = "nearest"
	Bilinear Interpolation = "bilinear"
	Bicubic  Interpolation = "bicubic"
)

// degToRad is computed at run time in float64, as CPython's math.radians
// does (pi/180 rounded once), rather than folded exactly by the compiler.
var degToRad = func() float64 { p := math.Pi; return p / 180 }()

// rotation holds the float32 affine map of torchvision's tensor rotate
// from an output pixel to a normalised input position.
type rotation struct {
	ow, oh int
	// r is theta transposed and divided by (w/2, h/2), as _gen_affine_grid
	// computes it: grid = (bx, by, 1) · r.
	r [3][2]float32
}

// newRotation reproduces torchvision's F.rotate set-up: the inverse affine
// matrix in float64 (_get_inverse_affine_matrix with angle negated), cast
// to float32, and the expanded output size.
func newRotation(h, w int, angle float64, center *[2]float64, expand bool) rotation {
	var cx, cy float64
	if center != nil {
		cx, cy = 1.0*(center[0]-float64(w)*0.5), 1.0*(center[1]-float64(h)*0.5)
	}
	rot := -angle * degToRad
	cos, sin := math.Cos(rot), math.Sin(rot)
	m := [6]float64{cos, sin, 0, -sin, cos, 0}
	m[2] += m[0]*(-cx-0) + m[1]*(-cy-0)
	m[5] += m[3]*(-cx-0) + m[4]*(-cy-0)
	m[2] += cx
	m[5] += cy

	var t [6]float32
	for i, v := range m {
		t[i] = float32(v)
	}
	ow, oh := w, h
	if expand {
		ow, oh = expandedSize(t, w, h)
	}
	hw, hh := float32(0.5*float64(w)), float32(0.5*float64(h))
	return rotation{ow: ow, oh: oh, r: [3][2]float32{
		{t[0] / hw, t[3] / hh},
		{t[1] / hw, t[4] / hh},
		{t[2] / hw, t[5] / hh},
	}}
}

// expandedSize is torchvision's _compute_affine_output_size in float32:
// the bounding box of the mapped corners, truncated to 1e-4 before
// ceil/floor so that 1e-15 of noise does not add a pixel.
func expandedSize(t [6]float32, w, h int) (int, int) {
	hw, hh := float32(0.5*float64(w)), float32(0.5*float64(h))
	pts := [4][2]float32{{-hw, -hh}, {-hw, hh}, {hw, hh}, {hw, -hh}}
	minv := [2]float32{float32(math.Inf(1)), float32(math.Inf(1))}
	maxv := [2]float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	for _, p := range pts {
		for k := 0; k < 2; k++ {
			v := fma32(p[1], t[3*k+1], p[0]*t[3*k]) + t[3*k+2]
			minv[k], maxv[k] = min(minv[k], v), max(maxv[k], v)
		}
	}
	const tol = float32(1e-4)
	size := [2]int{}
	for k, half := range [2]float32{hw, hh} {
		hi := float32(math.Ceil(float64(float32(math.Trunc(float64((maxv[k]+half)/tol))) * tol)))
		lo := float32(math.Floor(float64(float32(math.Trunc(float64((minv[k]+half)/tol))) * tol)))
		size[k] = int(hi - lo)
	}
	return size[0], size[1]
}

// fma32 is a*b+c rounded once to float32. torch's AVX2 kernels are built
// with GCC, which fuses a*b+c into FMA instructions where the source shows
// a product added to something; fusing the same ones here is what makes the
// nearest results bit-exact and the bilinear ones nearly so.
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// source returns the input position (in pixels, centre of pixel (0,0) at
// (0,0)) that output pixel (ox, oy) samples: the affine grid as the bmm in
// _gen_affine_grid computes it, then grid_sample's align_corners=False
// unnormalisation (x+1)*(size/2) - 0.5.
func (g *rotation) source(ox, oy, w, h int) (float32, float32) {
	bx := float32(ox) - float32(float32(g.ow)*0.5) + 0.5
	by := float32(oy) - float32(float32(g.oh)*0.5) + 0.5
	gx := fma32(by, g.r[1][0], bx*g.r[0][0]) + g.r[2][0]
	gy := fma32(by, g.r[1][1], bx*g.r[0][1]) + g.r[2][1]
	ix := fma32(gx+1, float32(float64(w)/2), -0.5)
	iy := fma32(gy+1, float32(float64(h)/2), -0.5)
	return ix, iy
}

// Rotate rotates img by angle degrees counter-clockwise about center (nil:
// the image centre; pixel (r, c) covers [c, c+1)×[r, r+1)), as
// torchvision's tensor F.rotate does. With expand the output grows to hold
// the whole rotated image. Pixels that sample outside img get fill (one
// value for all channels or one per channel); a nil fill is torchvision's
// fill=None, which blends bilinear borders with zeros without its mask
// step. RandomRotation always passes a fill, so Rotation uses [0] by default.
//
// The expanded size is the tensor path's, quirk included: it shifts the
// rotated corners by the input's half-size before rounding, so a 90° turn
// of an image whose H−W is odd comes out one pixel larger each way than
// PIL's (4×5 gives 6×5, not 5×4), and half-integer sample positions then
// round to even. The refcase rotate_90_odd_diff_4x5_NOT_EXACT records
// torchvision's output, which this reproduces bit for bit.
func Rotate(img Image, angle float64, interp Interpolation, expand bool,
	center *[2]float64, fill []float64) (Image, error) {

	if err := checkRotate(img.C, interp, fill); err != nil {
		return Image{}, err
	}
	var out Image
	rotateInto(&out, img, angle, interp, expand, center, fill)
	return out, nil
}

func checkRotate(c int, interp Interpolation, fill []float64) error {
	if interp != "" && interp != Nearest && interp != Bilinear {
		return fmt.Errorf("rotation interpolation %q: want nearest or bilinear", string(interp))
	}
	if len(fill) > 1 && len(fill) != c {
		return fmt.Errorf("rotation fill %v: want one value or one per channel (%d)", fill, c)
	}
	return nil
}

func rotateInto(dst *Image, img Image, angle float64, interp Interpolation, expand bool,
	center *[2]float64, fill []float64) {

	g := newRotation(img.H, img.W, angle, center, expand)
	dst.resize(img.C, g.oh, g.ow)
	fills := make([]float32, img.C)
	for c := range fills {
		switch {
		case len(fill) == 1:
			fills[c] = float32(fill[0])
		case len(fill) > 1:
			fills[c] = float32(fill[c])
		}
	}
	if interp == Bilinear {
		rotateBilinear(dst, img, &g, fills, fill != nil)
		return
	}
	rotateNearest(dst, img, &g, fills)
}

func rotateNearest(dst *Image, img Image, g *rotation, fills []float32) {
	n, on := img.H*img.W, dst.H*dst.W
	for oy := 0; oy < dst.H; oy++ {
		for ox := 0; ox < dst.W; ox++ {
			fx, fy := g.source(ox, oy, img.W, img.H)
			// grid_sample rounds half to even (nearbyint / _mm256_round_ps).
			x, y := math.RoundToEven(float64(fx)), math.RoundToEven(float64(fy))
			o := oy*dst.W + ox
			if x < 0 || y < 0 || x >= float64(img.W) || y >= float64(img.H) {
				for c := 0; c < img.C; c++ {
					dst.Pix[c*on+o] = fills[c]
				}
				continue
			}
			i := int(y)*img.W + int(x)
			for c := 0; c < img.C; c++ {
				dst.Pix[c*on+o] = img.Pix[c*n+i]
			}
		}
	}
}

func rotateBilinear(dst *Image, img Image, g *rotation, fills []float32, masked bool) {
	n, on := img.H*img.W, dst.H*dst.W
	for oy := 0; oy < dst.H; oy++ {
		for ox := 0; ox < dst.W; ox++ {
			fx, fy := g.source(ox, oy, img.W, img.H)
			x0, y0 := float32(math.Floor(float64(fx))), float32(math.Floor(float64(fy)))
			wx, wy := fx-x0, fy-y0
			ex, sy := 1-wx, 1-wy
			// Corner weights and whether each corner lies inside img.
			wt := [4]float32{sy * ex, sy * wx, wy * ex, wy * wx}
			xi, yi := int(x0), int(y0)
			var idx [4]int
			var in [4]bool
			for k := 0; k < 4; k++ {
				x, y := xi+k&1, yi+k>>1
				in[k] = x >= 0 && y >= 0 && x < img.W && y < img.H
				if in[k] {
					idx[k] = y*img.W + x
				}
			}
			// The mask is grid_sample of a ones channel: the weight that
			// fell inside the image.
			var mask float32
			for k := 0; k < 4; k++ {
				if in[k] {
					mask += wt[k]
				}
			}
			o := oy*dst.W + ox
			for c := 0; c < img.C; c++ {
				p := img.Pix[c*n : (c+1)*n]
				var v float32
				for k := 0; k < 4; k++ {
					if in[k] { // outside corners add 0·w, which changes nothing
						v = fma32(p[idx[k]], wt[k], v)
					}
				}
				if masked {
					v = float32(v*mask) + float32((1-mask)*fills[c])
				}
				dst.Pix[c*on+o] = v
			}
		}
	}
}
