package augment

// The uint8 variants of the colour ops follow torchvision's tensor path for
// uint8 images: arithmetic in float32, results clamped to [0, 255] and
// truncated toward zero (not rounded) on the way back to uint8. The
// pipeline itself works on float32; these exist so that uint8 data can be
// adjusted exactly as torchvision would before conversion.

func checkColorU8(img ImageU8, name string, f float64) error {
	return checkColor(Image{C: img.C}, name, f)
}

// AdjustBrightnessU8 is AdjustBrightness for 8-bit images.
func AdjustBrightnessU8(img ImageU8, f float64) (ImageU8, error) {
	if err := checkColorU8(img, "brightness", f); err != nil {
		return ImageU8{}, err
	}
	ra, rb := float32(f), float32(1-f)
	out := cloneU8(img)
	for i, v := range img.Pix {
		out.Pix[i] = uint8(blend(float32(v), 0, ra, rb, 255))
	}
	return out, nil
}

// AdjustContrastU8 is AdjustContrast for 8-bit images; as in torchvision
// the gray image is truncated to uint8 before it is averaged.
func AdjustContrastU8(img ImageU8, f float64) (ImageU8, error) {
	if err := checkColorU8(img, "contrast", f); err != nil {
		return ImageU8{}, err
	}
	var vals []float32
	if img.C == 3 {
		for _, v := range grayU8(img) {
			vals = append(vals, float32(v))
		}
	} else {
		for _, v := range img.Pix {
			vals = append(vals, float32(v))
		}
	}
	mean := torchSum(vals) / float32(len(vals))
	ra, rb := float32(f), float32(1-f)
	out := cloneU8(img)
	for i, v := range img.Pix {
		out.Pix[i] = uint8(blend(float32(v), mean, ra, rb, 255))
	}
	return out, nil
}

// AdjustSaturationU8 is AdjustSaturation for 8-bit images.
func AdjustSaturationU8(img ImageU8, f float64) (ImageU8, error) {
	if err := checkColorU8(img, "saturation", f); err != nil {
		return ImageU8{}, err
	}
	out := cloneU8(img)
	if img.C != 3 {
		return out, nil
	}
	g := grayU8(img)
	ra, rb := float32(f), float32(1-f)
	n := img.H * img.W
	for i, v := range img.Pix {
		out.Pix[i] = uint8(blend(float32(v), float32(g[i%n]), ra, rb, 255))
	}
	return out, nil
}

// AdjustHueU8 is AdjustHue for 8-bit images: divided by 255 in float32,
// shifted, multiplied by 255 and truncated.
func AdjustHueU8(img ImageU8, f float64) (ImageU8, error) {
	if err := checkColorU8(img, "hue", f); err != nil {
		return ImageU8{}, err
	}
	out := cloneU8(img)
	if img.C != 3 {
		return out, nil
	}
	hf := float32(f)
	n := img.H * img.W
	for i := 0; i < n; i++ {
		r := float32(img.Pix[i]) / 255
		g := float32(img.Pix[n+i]) / 255
		b := float32(img.Pix[2*n+i]) / 255
		h, s, v := rgbToHSV(r, g, b)
		r, g, b = hsvToRGB(remainder1(h+hf), s, v)
		out.Pix[i], out.Pix[n+i], out.Pix[2*n+i] = uint8(r*255), uint8(g*255), uint8(b*255)
	}
	return out, nil
}

// grayU8 is rgb_to_grayscale of an 8-bit image: the float32 luma truncated
// to uint8.
func grayU8(img ImageU8) []uint8 {
	n := img.H * img.W
	g := make([]uint8, n)
	for i := range g {
		g[i] = uint8(gray(float32(img.Pix[i]), float32(img.Pix[n+i]), float32(img.Pix[2*n+i])))
	}
	return g
}

func cloneU8(img ImageU8) ImageU8 {
	img.Pix = append([]uint8(nil), img.Pix...)
	return img
}
