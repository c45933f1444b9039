package augment

import (
	"fmt"
	"math"
)

// The colour ops follow torchvision's tensor path in float32: a Python
// float factor enters the arithmetic as float32, products and sums round
// after each step (Go does not fuse them on amd64 without GOAMD64=v3, and
// the explicit float32 conversions below forbid it everywhere).

// Grayscale weights of torchvision's rgb_to_grayscale (ITU-R 601-2 luma,
// rounded as TensorFlow has them).
const (
	grayR = float32(0.2989)
	grayG = float32(0.587)
	grayB = float32(0.114)
)

func gray(r, g, b float32) float32 {
	return float32(float32(grayR*r)+float32(grayG*g)) + float32(grayB*b)
}

// blend is torchvision's _blend: clamp(ratio*a + (1-ratio)*b, 0, bound),
// with both coefficients rounded to float32.
func blend(a, b, ra, rb, bound float32) float32 {
	v := float32(ra*a) + float32(rb*b)
	return min(max(v, 0), bound)
}

func checkColor(img Image, name string, factor float64) error {
	if img.C != 1 && img.C != 3 {
		return fmt.Errorf("%s: image has %d channels, want 1 or 3", name, img.C)
	}
	if name == "hue" {
		if factor < -0.5 || factor > 0.5 || math.IsNaN(factor) {
			return fmt.Errorf("hue factor %v: want a value in [-0.5, 0.5]", factor)
		}
		return nil
	}
	if factor < 0 || math.IsNaN(factor) {
		return fmt.Errorf("%s factor %v: must be non-negative", name, factor)
	}
	return nil
}

// AdjustBrightness multiplies img by f and clamps to [0, 1]
// (torchvision's F.adjust_brightness).
func AdjustBrightness(img Image, f float64) (Image, error) {
	if err := checkColor(img, "brightness", f); err != nil {
		return Image{}, err
	}
	out := img.Clone()
	brightness(out, f)
	return out, nil
}

func brightness(img Image, f float64) {
	ra, rb := float32(f), float32(1-f)
	for i, v := range img.Pix {
		img.Pix[i] = blend(v, 0, ra, rb, 1)
	}
}

// AdjustContrast blends img with the mean of its grayscale image by f
// (torchvision's F.adjust_contrast).
func AdjustContrast(img Image, f float64) (Image, error) {
	if err := checkColor(img, "contrast", f); err != nil {
		return Image{}, err
	}
	out := img.Clone()
	contrast(out, f)
	return out, nil
}

func contrast(img Image, f float64) {
	// The mean is torch's: a float32 sum in its kernel's order, divided by
	// the count in float32. A float64 sum would differ in the last bit now
	// and then, and that bit shows after the blend.
	var mean float32
	if img.C == 3 {
		n := img.H * img.W
		g := make([]float32, n)
		r, gg, b := img.plane(0), img.plane(1), img.plane(2)
		for i := range g {
			g[i] = gray(r[i], gg[i], b[i])
		}
		mean = torchSum(g) / float32(n)
	} else {
		mean = torchSum(img.Pix) / float32(len(img.Pix))
	}
	ra, rb := float32(f), float32(1-f)
	for i, v := range img.Pix {
		img.Pix[i] = blend(v, mean, ra, rb, 1)
	}
}

// AdjustSaturation blends each pixel with its gray value by f
// (torchvision's F.adjust_saturation). One-channel images are returned
// unchanged.
func AdjustSaturation(img Image, f float64) (Image, error) {
	if err := checkColor(img, "saturation", f); err != nil {
		return Image{}, err
	}
	out := img.Clone()
	saturation(out, f)
	return out, nil
}

func saturation(img Image, f float64) {
	if img.C != 3 {
		return
	}
	ra, rb := float32(f), float32(1-f)
	r, g, b := img.plane(0), img.plane(1), img.plane(2)
	for i := range r {
		l := gray(r[i], g[i], b[i])
		r[i] = blend(r[i], l, ra, rb, 1)
		g[i] = blend(g[i], l, ra, rb, 1)
		b[i] = blend(b[i], l, ra, rb, 1)
	}
}

// AdjustHue shifts the hue of img by f (a fraction of the colour wheel in
// [-0.5, 0.5]) through HSV, as torchvision's F.adjust_hue does. Values must
// be in [0, 1], so hue goes before Normalize. One-channel images are
// returned unchanged.
func AdjustHue(img Image, f float64) (Image, error) {
	if err := checkColor(img, "hue", f); err != nil {
		return Image{}, err
	}
	out := img.Clone()
	hue(out, f)
	return out, nil
}

func hue(img Image, f float64) {
	if img.C != 3 {
		return
	}
	hf := float32(f)
	r, g, b := img.plane(0), img.plane(1), img.plane(2)
	for i := range r {
		h, s, v := rgbToHSV(r[i], g[i], b[i])
		h = remainder1(h + hf)
		r[i], g[i], b[i] = hsvToRGB(h, s, v)
	}
}

// rgbToHSV is torchvision's _rgb2hsv for one pixel, in float32. The hue
// of all three cases is computed and one is picked by index, chosen with
// integer arithmetic on the values' bits (+0 turns -0 into 0) rather than
// branches: in real images the case is unpredictable, and a mispredicted
// branch costs more than the arithmetic.
func rgbToHSV(r, g, b float32) (h, s, v float32) {
	maxc := max(r, g, b)
	minc := min(r, g, b)
	cr := maxc - minc
	// Where maxc == minc torchvision divides by one instead, to avoid NaN.
	sd, cd := maxc, cr
	if maxc == minc {
		sd, cd = 1, 1
	}
	s = cr / sd
	rc := (maxc - r) / cd
	gc := (maxc - g) / cd
	bc := (maxc - b) / cd
	cands := [3]float32{bc - gc, float32(2+rc) - bc, float32(4+gc) - rc}
	mb := math.Float32bits(maxc + 0)
	isR, isG := bitsEqual(mb, math.Float32bits(r+0)), bitsEqual(mb, math.Float32bits(g+0))
	k := (1 - isR) * (2 - isG) // 0 if maxc is r, else 1 if it is g, else 2
	return fmod1(float32(cands[k]/6) + 1), s, maxc
}

// bitsEqual is 1 if a == b and 0 otherwise, without a branch.
func bitsEqual(a, b uint32) uint32 {
	d := a ^ b
	return 1 - (d|-d)>>31
}

// fmod1 is C's fmod(x, 1) for float32: x - trunc(x), which is exact.
func fmod1(x float32) float32 {
	if x > -(1<<23) && x < 1<<23 {
		return x - float32(int32(x))
	}
	return float32(math.Mod(float64(x), 1)) // |x| >= 2^23 is an integer, or NaN
}

// remainder1 is torch.remainder(x, 1.0) for float32: fmod, plus one when
// that is negative (the result takes the divisor's sign). The sign test is
// on the bits, so that it compiles without a branch; -0 is not negative.
func remainder1(x float32) float32 {
	m := fmod1(x)
	var one uint32
	if math.Float32bits(m) > 0x80000000 {
		one = 1
	}
	return m + float32(one)
}

// hsvSelect gives, for each sector i of the hue circle, which of
// (v, q, p, t) become r, g and b: _hsv2rgb's stacked a1, a2, a3 columns.
var hsvSelect = [6][3]uint8{{0, 3, 2}, {1, 0, 2}, {2, 0, 3}, {2, 1, 0}, {3, 2, 0}, {0, 2, 1}}

// hsvToRGB is torchvision's _hsv2rgb for one pixel, in float32.
func hsvToRGB(h, s, v float32) (r, g, b float32) {
	h6 := float32(h * 6)
	// floor by truncation for the usual non-negative hue; exact there.
	var fi float32
	if h6 >= 0 && h6 < 1<<23 {
		fi = float32(int32(h6))
	} else {
		fi = float32(math.Floor(float64(h6)))
	}
	f := h6 - fi
	i := int32(fi) % 6
	if i < 0 {
		i += 6
	}
	vals := [4]float32{
		v,
		clamp01(v * float32(1-float32(s*f))), // q
		clamp01(v * float32(1-s)),            // p
		clamp01(v * float32(1-float32(s*float32(1-f)))), // t
	}
	k := &hsvSelect[i]
	return vals[k[0]], vals[k[1]], vals[k[2]]
}

// clamp01 is torch.clamp(x, 0, 1); NaN passes through as in torch.
func clamp01(x float32) float32 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}
