package augment

import (
	"fmt"
	"math"
)

// An Op is one step of a Pipeline: a transform built from parameters, like
// a torchvision transform object. Random ops take their draws from the
// image's Rand in the order their documentation gives, mirroring
// torchvision's order so that the sequences are comparable in kind.
type Op interface {
	// Validate reports parameter errors that do not depend on the image.
	Validate() error

	// apply transforms src, either in place (returning false) or into dst,
	// whose storage it may reuse (returning true). It must not keep either.
	apply(dst, src *Image, r *Rand) (wrote bool, err error)
}

// RandomCrop is torchvision's RandomCrop: pad by Padding (nil for none) in
// PaddingMode with Fill, then, with PadIfNeeded, pad left and right each by
// the width deficit and top and bottom each by the height deficit (so the
// deficit is added twice, as torchvision does), then crop Size (height,
// width) at a uniform offset.
//
// Draws: the row offset, then the column offset, each IntN(range+1); none
// when the padded image already has the crop's size.
type RandomCrop struct {
	Size        [2]int
	Padding     []int
	PadIfNeeded bool
	Fill        float64
	PaddingMode PadMode
}

// Validate implements Op.
func (o RandomCrop) Validate() error {
	if o.Size[0] <= 0 || o.Size[1] <= 0 {
		return fmt.Errorf("crop size %v: must be positive", o.Size)
	}
	if o.Padding != nil {
		if _, err := ParsePadding(o.Padding); err != nil {
			return err
		}
	}
	return o.PaddingMode.check()
}

func (o RandomCrop) apply(dst, src *Image, r *Rand) (bool, error) {
	return true, o.cropAt(dst, *src, func(rows, cols int) (int, int) {
		if rows == 0 && cols == 0 {
			return 0, 0 // torchvision's get_params draws nothing here
		}
		top := r.IntN(rows + 1)
		left := r.IntN(cols + 1)
		return top, left
	})
}

// cropAt pads src as the op says and crops it at the offset that pick
// returns, given the slack (padded size minus crop size) in each direction.
func (o RandomCrop) cropAt(dst *Image, src Image, pick func(rows, cols int) (int, int)) error {
	var pads [3]Padding
	n := 0
	h, w := src.H, src.W
	if o.Padding != nil {
		p, err := ParsePadding(o.Padding)
		if err != nil {
			return err
		}
		pads[n], n = p, n+1
		h, w = h+p[1]+p[3], w+p[0]+p[2]
	}
	if o.PadIfNeeded && w < o.Size[1] {
		d := o.Size[1] - w
		pads[n], n, w = Padding{d, 0, d, 0}, n+1, w+2*d
	}
	if o.PadIfNeeded && h < o.Size[0] {
		d := o.Size[0] - h
		pads[n], n, h = Padding{0, d, 0, d}, n+1, h+2*d
	}
	if h < o.Size[0] || w < o.Size[1] {
		return fmt.Errorf("random crop %dx%d of a %dx%d image: crop is larger than the image",
			o.Size[0], o.Size[1], h, w)
	}
	top, left := pick(h-o.Size[0], w-o.Size[1])
	return padCrop(dst, src, pads[:n], o.PaddingMode, float32(o.Fill), o.Size[0], o.Size[1], top, left)
}

// HFlip is torchvision's RandomHorizontalFlip: one Float64 draw per image,
// and the image is mirrored left to right when it is below P.
type HFlip struct{ P float64 }

// Validate implements Op.
func (o HFlip) Validate() error { return checkP(o.P, "horizontal flip") }

func (o HFlip) apply(_, src *Image, r *Rand) (bool, error) {
	if r.Float64() < o.P {
		for i := 0; i < src.C*src.H; i++ {
			row := src.Pix[i*src.W : (i+1)*src.W]
			for a, b := 0, len(row)-1; a < b; a, b = a+1, b-1 {
				row[a], row[b] = row[b], row[a]
			}
		}
	}
	return false, nil
}

// VFlip is torchvision's RandomVerticalFlip: one Float64 draw per image,
// and the image is mirrored top to bottom when it is below P.
type VFlip struct{ P float64 }

// Validate implements Op.
func (o VFlip) Validate() error { return checkP(o.P, "vertical flip") }

func (o VFlip) apply(dst, src *Image, r *Rand) (bool, error) {
	if r.Float64() < o.P {
		vflipInto(dst, *src)
		return true, nil
	}
	return false, nil
}

func checkP(p float64, name string) error {
	if !(p >= 0 && p <= 1) {
		return fmt.Errorf("%s probability %v: want a value in [0, 1]", name, p)
	}
	return nil
}

// Rotation is torchvision's RandomRotation: rotate by an angle uniform in
// Degrees (see Rotate for the other fields). A nil Fill means 0, as
// torchvision's default fill=0 (which, unlike F.rotate's fill=None, also
// masks bilinear borders).
//
// Draws: one Uniform for the angle, even when the range is a single value.
type Rotation struct {
	Degrees       [2]float64
	Interpolation Interpolation
	Expand        bool
	Center        *[2]float64
	Fill          []float64
}

// Symmetric returns the range [-d, d], torchvision's reading of a single
// number of degrees (or of a jitter amount for hue).
func Symmetric(d float64) [2]float64 { return [2]float64{-d, d} }

// Validate implements Op.
func (o Rotation) Validate() error {
	if !(o.Degrees[0] <= o.Degrees[1]) {
		return fmt.Errorf("rotation degrees %v: want min <= max", o.Degrees)
	}
	return checkRotate(0, o.Interpolation, nil)
}

func (o Rotation) apply(dst, src *Image, r *Rand) (bool, error) {
	angle := r.Uniform(o.Degrees[0], o.Degrees[1])
	fill := o.Fill
	if fill == nil {
		fill = []float64{0}
	}
	if err := checkRotate(src.C, o.Interpolation, fill); err != nil {
		return false, err
	}
	rotateInto(dst, *src, angle, o.Interpolation, o.Expand, o.Center, fill)
	return true, nil
}

// Resize is torchvision's Resize on tensors: Size of one value sets the
// smaller edge, of two values (height, width); see ResizedSize for
// MaxSize. Antialias (off by default, as in torchvision 0.14's tensor
// path) widens the filter when shrinking; it needs bilinear or bicubic.
// It draws nothing.
type Resize struct {
	Size          []int
	MaxSize       int
	Interpolation Interpolation
	Antialias     bool
}

// Validate implements Op.
func (o Resize) Validate() error {
	if err := checkResize(o.Interpolation); err != nil {
		return err
	}
	if o.Antialias && o.Interpolation == Nearest {
		return fmt.Errorf("resize: antialias needs bilinear or bicubic interpolation, not nearest")
	}
	_, _, err := ResizedSize(1, 1, o.Size, o.MaxSize)
	return err
}

func (o Resize) apply(dst, src *Image, _ *Rand) (bool, error) {
	h, w, err := ResizedSize(src.H, src.W, o.Size, o.MaxSize)
	if err != nil {
		return false, err
	}
	if h == src.H && w == src.W {
		return false, nil
	}
	if o.Antialias {
		resizeAAInto(dst, *src, h, w, o.Interpolation)
	} else {
		resizeInto(dst, *src, h, w, o.Interpolation)
	}
	return true, nil
}

// CenterCrop is torchvision's CenterCrop of Size (height, width). It draws
// nothing.
type CenterCrop struct{ Size [2]int }

// Validate implements Op.
func (o CenterCrop) Validate() error {
	if o.Size[0] <= 0 || o.Size[1] <= 0 {
		return fmt.Errorf("center crop size %v: must be positive", o.Size)
	}
	return nil
}

func (o CenterCrop) apply(dst, src *Image, _ *Rand) (bool, error) {
	p, top, left := centerCropBox(src.H, src.W, o.Size[0], o.Size[1])
	err := padCrop(dst, *src, []Padding{p}, PadConstant, 0, o.Size[0], o.Size[1], top, left)
	return true, err
}

// Pad is torchvision's Pad transform. It draws nothing.
type Pad struct {
	Padding []int
	Fill    float64
	Mode    PadMode
}

// Validate implements Op.
func (o Pad) Validate() error {
	if _, err := ParsePadding(o.Padding); err != nil {
		return err
	}
	return o.Mode.check()
}

func (o Pad) apply(dst, src *Image, _ *Rand) (bool, error) {
	p, err := ParsePadding(o.Padding)
	if err != nil {
		return false, err
	}
	return true, padCrop(dst, *src, []Padding{p}, o.Mode, float32(o.Fill), -1, -1, 0, 0)
}

// Normalize is torchvision's Normalize: (x - mean[c]) / std[c] in float32,
// with one value for all channels or one per channel. It draws nothing.
type Normalize struct {
	Mean, Std []float64
}

// Validate implements Op.
func (o Normalize) Validate() error {
	if len(o.Mean) == 0 || len(o.Std) == 0 {
		return fmt.Errorf("normalize: mean and std must not be empty")
	}
	for _, s := range o.Std {
		if float32(s) == 0 || math.IsNaN(s) {
			return fmt.Errorf("normalize std %v: zero after conversion to float32", o.Std)
		}
	}
	return nil
}

func (o Normalize) apply(_, src *Image, _ *Rand) (bool, error) {
	return false, normalize(*src, o.Mean, o.Std)
}

func normalize(img Image, mean, std []float64) error {
	for _, v := range [][]float64{mean, std} {
		if len(v) != 1 && len(v) != img.C {
			return fmt.Errorf("normalize %v of a %d-channel image: want 1 or %d values",
				v, img.C, img.C)
		}
	}
	for c := 0; c < img.C; c++ {
		m, s := float32(mean[min(c, len(mean)-1)]), float32(std[min(c, len(std)-1)])
		p := img.plane(c)
		for i, v := range p {
			p[i] = (v - m) / s
		}
	}
	return nil
}

// NormalizeImage returns (img - mean) / std per channel, as torchvision's
// F.normalize does.
func NormalizeImage(img Image, mean, std []float64) (Image, error) {
	if err := (Normalize{Mean: mean, Std: std}).Validate(); err != nil {
		return Image{}, err
	}
	out := img.Clone()
	return out, normalize(out, mean, std)
}
