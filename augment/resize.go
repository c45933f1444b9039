package augment

import (
	"fmt"
	"math"
)

// ResizedSize returns the (height, width) torchvision's F.resize gives an
// h×w image: size of one value sets the smaller edge and keeps the aspect
// ratio (the longer edge truncated), optionally capped so the longer edge
// is at most maxSize (0 for no cap); size of two values is (height, width).
func ResizedSize(h, w int, size []int, maxSize int) (int, int, error) {
	switch len(size) {
	case 2:
		if size[0] <= 0 || size[1] <= 0 {
			return 0, 0, fmt.Errorf("resize to %v: sizes must be positive", size)
		}
		if maxSize != 0 {
			return 0, 0, fmt.Errorf(
				"resize to %v: max size applies only to a single (smaller edge) size",
				size,
			)
		}
		return size[0], size[1], nil
	case 1:
	default:
		return 0, 0, fmt.Errorf("resize to %v: want 1 or 2 sizes", size)
	}
	if size[0] <= 0 {
		return 0, 0, fmt.Errorf("resize to %v: size must be positive", size)
	}
	short, long := h, w
	if w <= h {
		short, long = w, h
	}
	newShort := size[0]
	newLong := int(float64(newShort) * float64(long) / float64(short))
	if maxSize != 0 {
		if maxSize <= newShort {
			return 0, 0, fmt.Errorf("resize to %v: max size %d must be greater than the size", size, maxSize)
		}
		if newLong > maxSize {
			newShort, newLong = int(float64(maxSize)*float64(newShort)/float64(newLong)), maxSize
		}
	}
	if w <= h {
		return newLong, newShort, nil
	}
	return newShort, newLong, nil
}

// ResizeImage scales img to h×w with torch's interpolate (align_corners=False,
// no antialiasing), as torchvision's tensor F.resize does by default.
// Interpolation is nearest, bilinear (the default) or bicubic; bicubic
// float results are not clamped, as in torchvision.
func ResizeImage(img Image, h, w int, interp Interpolation) (Image, error) {
	if err := checkResize(interp); err != nil {
		return Image{}, err
	}
	if h <= 0 || w <= 0 {
		return Image{}, fmt.Errorf("resize to %dx%d: size must be positive", h, w)
	}
	var out Image
	resizeInto(&out, img, h, w, interp)
	return out, nil
}

func checkResize(interp Interpolation) error {
	if interp != "" && interp != Nearest && interp != Bilinear && interp != Bicubic {
		return fmt.Errorf("resize interpolation %q: want nearest, bilinear or bicubic", string(interp))
	}
	return nil
}

func resizeInto(dst *Image, img Image, h, w int, interp Interpolation) {
	if h == img.H && w == img.W {
		dst.resize(img.C, h, w)
		copy(dst.Pix, img.Pix)
		return
	}
	dst.resize(img.C, h, w)
	switch interp {
	case Nearest:
		resizeNearest(dst, img)
	case Bicubic:
		resizeBicubic(dst, img)
	default:
		resizeBilinear(dst, img)
	}
}

// nearestIndex is ATen's nearest_idx: identity and halving are special
// cases; otherwise floor(i * (in/out)) in float32, capped at in-1.
func nearestIndex(i, in, out int) int {
	switch {
	case out == in:
		return i
	case out == 2*in:
		return i >> 1
	}
	scale := float32(in) / float32(out)
	return min(int(math.Floor(float64(float32(i)*scale))), in-1)
}

func resizeNearest(dst *Image, img Image) {
	cols := make([]int, dst.W)
	for x := range cols {
		cols[x] = nearestIndex(x, img.W, dst.W)
	}
	for c := 0; c < img.C; c++ {
		in, out := img.plane(c), dst.plane(c)
		for y := 0; y < dst.H; y++ {
			row := in[nearestIndex(y, img.H, dst.H)*img.W:]
			o := out[y*dst.W : (y+1)*dst.W]
			for x, sx := range cols {
				o[x] = row[sx]
			}
		}
	}
}

// linearTap is one output coordinate's two source indices and weights, as
// ATen's compute_indices_weights_linear makes them (align_corners=False).
type linearTap struct {
	i0, i1 int
	w0, w1 float32
}

func linearTaps(in, out int) []linearTap {
	// The scale is float32, but the source position and the weights are
	// computed in double (ATen's accumulate type for float on CPU) and only
	// the weights are rounded to float32.
	scale := float64(float32(in) / float32(out))
	taps := make([]linearTap, out)
	for i := range taps {
		src := max(scale*(float64(i)+0.5)-0.5, 0)
		i0 := int(src)
		l1 := min(max(src-float64(i0), 0), 1)
		off := 0
		if i0 < in-1 {
			off = 1
		}
		// lambda1 is stored as float32 first and lambda0 computed from
		// the stored value, as ATen's compute_source_index_and_lambda does.
		w1 := float32(l1)
		taps[i] = linearTap{i0: i0, i1: i0 + off, w0: float32(1 - float64(w1)), w1: w1}
	}
	return taps
}

// resizeBilinear interpolates along rows, then between the two rows, as
// ATen's planar kernel does: t0*w0 + t1*w1 at each level, with the first
// product fused into the sum as GCC compiles it. Bit for bit equal to
// torch on every fixture; one-channel images take ATen's other kernel.
func resizeBilinear(dst *Image, img Image) {
	rows, cols := linearTaps(img.H, dst.H), linearTaps(img.W, dst.W)
	if img.C == 1 {
		resizeBilinear1(dst, img, rows, cols)
		return
	}
	for c := 0; c < img.C; c++ {
		in, out := img.plane(c), dst.plane(c)
		for y, ty := range rows {
			r0, r1 := in[ty.i0*img.W:(ty.i0+1)*img.W], in[ty.i1*img.W:(ty.i1+1)*img.W]
			o := out[y*dst.W : (y+1)*dst.W]
			for x, tx := range cols {
				a := fma32(r0[tx.i0], tx.w0, float32(r0[tx.i1]*tx.w1))
				b := fma32(r1[tx.i0], tx.w0, float32(r1[tx.i1]*tx.w1))
				o[x] = fma32(a, ty.w0, float32(b*ty.w1))
			}
		}
	}
}

// Bicubic resize as ATen's upsample_bicubic2d computes it for
// align_corners=False: Keys' cubic convolution with A = -0.75, source
// positions scale*(i+0.5)-0.5 without clamping at zero, and the four taps
// clamped to the image (border pixels repeat). The order in which ATen's
// compiled kernel rounds is not reproduced; results differ from
// torchvision's by a few float32 ulps (fixtures: at most 1.0e-6).

// cubicA is the free parameter of Keys' kernel, -0.75 as in ATen (and
// OpenCV); PIL uses -0.5.
const cubicA = -0.75

// cubicTap is one output coordinate's four source indices and weights.
type cubicTap struct {
	idx [4]int
	w   [4]float32
}

func cubicTaps(in, out int) []cubicTap {
	scale := float32(in) / float32(out)
	taps := make([]cubicTap, out)
	for i := range taps {
		src := float32(scale*(float32(i)+0.5)) - 0.5
		fl := float32(math.Floor(float64(src)))
		t := src - fl
		x := int(fl)
		var tp cubicTap
		for k := 0; k < 4; k++ {
			tp.idx[k] = min(max(x-1+k, 0), in-1)
		}
		tp.w = cubicWeights(t)
		taps[i] = tp
	}
	return taps
}

// cubicWeights is ATen's get_cubic_upsample_coefficients in float32.
func cubicWeights(t float32) [4]float32 {
	const a = float32(cubicA)
	near := func(x float32) float32 { // |x| <= 1
		return float32(float32(float32(float32((a+2)*x)-(a+3))*x)*x) + 1
	}
	far := func(x float32) float32 { // 1 < |x| < 2
		return float32(float32(float32(float32(float32(a*x)-5*a)*x)+8*a)*x) - 4*a
	}
	return [4]float32{far(t + 1), near(t), near(1 - t), far(float32(1-t) + 1)}
}

func cubic4(v *[4]float32, w *[4]float32) float32 {
	return float32(float32(float32(v[0]*w[0])+float32(v[1]*w[1]))+float32(v[2]*w[2])) +
		float32(v[3]*w[3])
}

func resizeBicubic(dst *Image, img Image) {
	rows, cols := cubicTaps(img.H, dst.H), cubicTaps(img.W, dst.W)
	for c := 0; c < img.C; c++ {
		in, out := img.plane(c), dst.plane(c)
		for y, ty := range rows {
			o := out[y*dst.W : (y+1)*dst.W]
			for x, tx := range cols {
				var col [4]float32
				for k, sy := range ty.idx {
					row := in[sy*img.W : (sy+1)*img.W]
					v := [4]float32{row[tx.idx[0]], row[tx.idx[1]], row[tx.idx[2]], row[tx.idx[3]]}
					col[k] = cubic4(&v, &tx.w)
				}
				o[x] = cubic4(&col, &ty.w)
			}
		}
	}
}

// resizeBilinear1 is the bilinear resize of a one-channel image. Such an
// image is also "channels last" contiguous, and ATen then takes its
// channels-last kernel: the corner weights are products of the two axes'
// weights in float32, and the four weighted corners are summed in double
// (its accumulate type) and rounded once. Checked bit for bit against
// torch on the one-channel fixtures.
func resizeBilinear1(dst *Image, img Image, rows, cols []linearTap) {
	for y, ty := range rows {
		r0, r1 := img.Pix[ty.i0*img.W:(ty.i0+1)*img.W], img.Pix[ty.i1*img.W:(ty.i1+1)*img.W]
		o := dst.Pix[y*dst.W : (y+1)*dst.W]
		for x, tx := range cols {
			w00, w01 := float64(ty.w0*tx.w0), float64(ty.w0*tx.w1)
			w10, w11 := float64(ty.w1*tx.w0), float64(ty.w1*tx.w1)
			o[x] = float32(float64(r0[tx.i0])*w00 + float64(r0[tx.i1])*w01 +
				float64(r1[tx.i0])*w10 + float64(r1[tx.i1])*w11)
		}
	}
}
