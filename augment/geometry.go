package augment

import (
	"fmt"
	"math"
)

// PadMode says what fills the border added by padding.
type PadMode string

// The padding modes of torchvision's F.pad. The empty mode means constant.
const (
	// PadConstant fills with a constant value.
	PadConstant PadMode = "constant"
	// PadEdge repeats the border pixel.
	PadEdge PadMode = "edge"
	// PadReflect mirrors without repeating the border pixel: d c b | a b c d | c b a.
	// The padding must be smaller than the padded dimension.
	PadReflect PadMode = "reflect"
	// PadSymmetric mirrors including the border pixel: b a | a b c d | d c.
	// The padding must not exceed the padded dimension.
	PadSymmetric PadMode = "symmetric"
)

func (m PadMode) check() error {
	switch m {
	case "", PadConstant, PadEdge, PadReflect, PadSymmetric:
		return nil
	}
	return fmt.Errorf("padding mode %q: want constant, edge, reflect or symmetric", string(m))
}

// Padding is the border added on each side, in torchvision's order
// [left, top, right, bottom].
type Padding [4]int

// ParsePadding reads torchvision's padding argument: one value for all
// sides, two for [left/right, top/bottom], or four for [left, top, right,
// bottom]. Negative padding (cropping) is not supported.
func ParsePadding(p []int) (Padding, error) {
	var out Padding
	switch len(p) {
	case 1:
		out = Padding{p[0], p[0], p[0], p[0]}
	case 2:
		out = Padding{p[0], p[1], p[0], p[1]}
	case 4:
		out = Padding{p[0], p[1], p[2], p[3]}
	default:
		return out, fmt.Errorf("padding %v: want 1, 2 or 4 values", p)
	}
	for _, v := range out {
		if v < 0 {
			return out, fmt.Errorf("padding %v: negative padding is not supported", p)
		}
	}
	return out, nil
}

// axis maps each coordinate along one output axis to a source coordinate,
// or to -1 where the constant fill shows. Composing the maps of successive
// paddings and a crop lets RandomCrop read each output pixel straight from
// the source, never building the padded image.
type axis []int32

// identityAxis returns the map of an unpadded axis of length n.
func identityAxis(buf []int32, n int) axis {
	a := grow32(buf, n)
	for i := range a {
		a[i] = int32(i)
	}
	return a
}

// pad returns a padded by before and after in mode; it checks the limits
// torch puts on reflect and symmetric padding.
func (a axis) pad(before, after int, mode PadMode, name string) (axis, error) {
	n := len(a)
	switch mode {
	case PadReflect:
		if before >= n || after >= n {
			return nil, fmt.Errorf(
				"reflect padding (%d, %d) of %s %d: padding must be smaller than the dimension",
				before,
				after,
				name,
				n,
			)
		}
	case PadSymmetric:
		if before > n || after > n {
			return nil, fmt.Errorf(
				"symmetric padding (%d, %d) of %s %d: padding must not exceed the dimension",
				before,
				after,
				name,
				n,
			)
		}
	}
	out := make(axis, n+before+after)
	for i := range out {
		s := i - before
		switch {
		case s >= 0 && s < n:
		case mode == PadEdge:
			s = min(max(s, 0), n-1)
		case mode == PadReflect:
			if s < 0 {
				s = -s
			} else {
				s = 2*(n-1) - s
			}
		case mode == PadSymmetric:
			if s < 0 {
				s = -s - 1
			} else {
				s = 2*n - 1 - s
			}
		default: // constant
			out[i] = -1
			continue
		}
		out[i] = a[s]
	}
	return out, nil
}

// gather writes dst[c][y][x] = src[c][rows[y]][cols[x]], or fill where
// either map is -1. dst must already have its shape.
func gather(dst *Image, src Image, rows, cols axis, fill float32) {
	// The columns that map to a consecutive run of source columns are
	// copied with copy(); in a crop that is the whole row.
	lo, hi := run(cols)
	for c := 0; c < dst.C; c++ {
		sp, dp := src.plane(c), dst.plane(c)
		for y, sy := range rows {
			out := dp[y*dst.W : (y+1)*dst.W]
			if sy < 0 {
				for x := range out {
					out[x] = fill
				}
				continue
			}
			in := sp[int(sy)*src.W : (int(sy)+1)*src.W]
			for x := 0; x < lo; x++ {
				out[x] = pick(in, cols[x], fill)
			}
			if hi > lo {
				copy(out[lo:hi], in[cols[lo]:int(cols[lo])+hi-lo])
			}
			for x := hi; x < len(out); x++ {
				out[x] = pick(in, cols[x], fill)
			}
		}
	}
}

func pick(row []float32, i int32, fill float32) float32 {
	if i < 0 {
		return fill
	}
	return row[i]
}

// run returns the longest [lo, hi) over which a increases by one at each
// step from a non-negative start.
func run(a axis) (lo, hi int) {
	for i := 0; i < len(a); {
		if a[i] < 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(a) && a[j] == a[j-1]+1 {
			j++
		}
		if j-i > hi-lo {
			lo, hi = i, j
		}
		i = j
	}
	return lo, hi
}

func grow32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n)
	}
	return buf[:n]
}

// PadImage pads img by p in mode, filling with fill in constant mode, as
// torchvision's F.pad does.
func PadImage(img Image, p Padding, mode PadMode, fill float64) (Image, error) {
	if err := mode.check(); err != nil {
		return Image{}, err
	}
	var out Image
	if err := padCrop(&out, img, []Padding{p}, mode, float32(fill), -1, -1, 0, 0); err != nil {
		return Image{}, err
	}
	return out, nil
}

// padCrop pads img by each of pads in turn, then crops h×w at (top, left)
// of the result; a negative h or w keeps the padded size. The result goes
// to dst.
func padCrop(dst *Image, img Image, pads []Padding, mode PadMode, fill float32,
	h, w, top, left int) error {

	var rb, cb [64]int32 // stack storage for the usual small images
	rows, cols := identityAxis(rb[:0], img.H), identityAxis(cb[:0], img.W)
	var err error
	for _, p := range pads {
		if p[1] != 0 || p[3] != 0 {
			if rows, err = rows.pad(p[1], p[3], mode, "height"); err != nil {
				return err
			}
		}
		if p[0] != 0 || p[2] != 0 {
			if cols, err = cols.pad(p[0], p[2], mode, "width"); err != nil {
				return err
			}
		}
	}
	if h < 0 {
		h, w = len(rows), len(cols)
	}
	if top < 0 || left < 0 || top+h > len(rows) || left+w > len(cols) {
		return fmt.Errorf("crop %dx%d at (%d, %d) of a %dx%d image: out of bounds",
			h, w, top, left, len(rows), len(cols))
	}
	dst.resize(img.C, h, w)
	gather(dst, img, rows[top:top+h], cols[left:left+w], fill)
	return nil
}

// Crop returns the h×w region of img whose top-left corner is (top, left).
// Parts outside img are zero, as in torchvision's F.crop.
func Crop(img Image, top, left, h, w int) (Image, error) {
	if h <= 0 || w <= 0 {
		return Image{}, fmt.Errorf("crop %dx%d: size must be positive", h, w)
	}
	rows, cols := make(axis, h), make(axis, w)
	for i := range rows {
		rows[i] = int32(top + i)
		if top+i < 0 || top+i >= img.H {
			rows[i] = -1
		}
	}
	for i := range cols {
		cols[i] = int32(left + i)
		if left+i < 0 || left+i >= img.W {
			cols[i] = -1
		}
	}
	out := NewImage(img.C, h, w)
	gather(&out, img, rows, cols, 0)
	return out, nil
}

// centerCropBox returns the zero padding and the crop offsets of
// torchvision's F.center_crop: pad (split as left = deficit/2) when the
// crop is larger than the image, then crop at round((H-h)/2), rounding
// halves to even as Python's round does.
func centerCropBox(ih, iw, h, w int) (p Padding, top, left int) {
	if w > iw {
		p[0], p[2] = (w-iw)/2, (w-iw+1)/2
		iw = w
	}
	if h > ih {
		p[1], p[3] = (h-ih)/2, (h-ih+1)/2
		ih = h
	}
	top = int(math.RoundToEven(float64(ih-h) / 2))
	left = int(math.RoundToEven(float64(iw-w) / 2))
	return p, top, left
}

// CropCenter crops h×w from the centre of img, padding with zeros first if
// img is smaller, as torchvision's F.center_crop does.
func CropCenter(img Image, h, w int) (Image, error) {
	if h <= 0 || w <= 0 {
		return Image{}, fmt.Errorf("center crop %dx%d: size must be positive", h, w)
	}
	p, top, left := centerCropBox(img.H, img.W, h, w)
	var out Image
	err := padCrop(&out, img, []Padding{p}, PadConstant, 0, h, w, top, left)
	return out, err
}

// hflipInto writes img mirrored left to right into dst.
func hflipInto(dst *Image, img Image) {
	dst.resize(img.C, img.H, img.W)
	for r := 0; r < img.C*img.H; r++ {
		in, out := img.Pix[r*img.W:(r+1)*img.W], dst.Pix[r*img.W:(r+1)*img.W]
		for x, v := range in {
			out[len(out)-1-x] = v
		}
	}
}

// vflipInto writes img mirrored top to bottom into dst.
func vflipInto(dst *Image, img Image) {
	dst.resize(img.C, img.H, img.W)
	for c := 0; c < img.C; c++ {
		in, out := img.plane(c), dst.plane(c)
		for y := 0; y < img.H; y++ {
			copy(out[y*img.W:(y+1)*img.W], in[(img.H-1-y)*img.W:(img.H-y)*img.W])
		}
	}
}

// HorizontalFlip returns img mirrored left to right (torchvision's F.hflip).
func HorizontalFlip(img Image) Image {
	var out Image
	hflipInto(&out, img)
	return out
}

// VerticalFlip returns img mirrored top to bottom (torchvision's F.vflip).
func VerticalFlip(img Image) Image {
	var out Image
	vflipInto(&out, img)
	return out
}
