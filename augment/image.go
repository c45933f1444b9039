// Package augment transforms images the way torchvision 0.14's "v1"
// transforms do on tensors: random crop with constant, edge, reflect and
// symmetric padding, horizontal and vertical flips, rotation (nearest and
// bilinear, with expand and fill), colour jitter, resize, centre crop and
// normalize.
//
// Images are float32, channel-first (C×H×W), with values in [0, 1] as
// torchvision's ToTensor gives them. The functional forms (PadImage,
// Crop, Rotate, ResizeImage, AdjustHue, ...) reproduce torchvision's functional ops at fixed
// parameters, including its float32 arithmetic, so they agree with the
// reference cases to float32 rounding and usually bit for bit.
//
// Random ops (RandomCrop, HFlip, Rotation, ColorJitter, ...) are values
// built from parameters (or by ParseOps from the plain data a YAML or JSON
// document decodes to) and applied in order by a Pipeline. Each image's
// draws come from a generator seeded by (seed, image index), so a batch
// comes out bitwise identical whatever the number of workers and however
// they are scheduled. Products are rounded explicitly before they are
// added, so Go may not fuse them into FMAs on the architectures that have
// them; cos and sin come from Go's math package, so results agree across
// platforms as far as that package does.
//
// What it does not do: it cannot reproduce torchvision's random parameters
// (those come from torch's global generator, whose stream exists only
// inside torch), only the operations at given parameters. It has no PIL
// path (PIL rounds differently). Antialiased resize (ResizeAntialias,
// Resize.Antialias) follows ATen's separable kernels to a few float32 ulps
// rather than bit for bit, as does bicubic resize. Rotation has no bicubic
// mode, as torchvision's tensor path has none. It knows nothing of files,
// YAML syntax or caching.
package augment

import (
	"fmt"
)

// Image is a float32 image in channel-first layout: the value of channel
// c at row y, column x is Pix[(c*H+y)*W+x].
type Image struct {
	C, H, W int
	Pix     []float32
}

// NewImage returns a zeroed image of the given shape.
func NewImage(c, h, w int) Image {
	return Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
}

// Check reports whether the shape is positive and matches len(Pix).
func (m Image) Check() error {
	if m.C <= 0 || m.H <= 0 || m.W <= 0 {
		return fmt.Errorf("image shape %dx%dx%d: every dimension must be positive",
			m.C, m.H, m.W)
	}
	if len(m.Pix) != m.C*m.H*m.W {
		return fmt.Errorf("image shape %dx%dx%d needs %d values, have %d",
			m.C, m.H, m.W, m.C*m.H*m.W, len(m.Pix))
	}
	return nil
}

// Clone returns a deep copy of m.
func (m Image) Clone() Image {
	m.Pix = append([]float32(nil), m.Pix...)
	return m
}

// resize makes m's shape (c, h, w), reusing its Pix storage when it is
// large enough. The contents are unspecified afterwards.
func (m *Image) resize(c, h, w int) {
	n := c * h * w
	if cap(m.Pix) < n {
		m.Pix = make([]float32, n)
	}
	m.C, m.H, m.W, m.Pix = c, h, w, m.Pix[:n]
}

// plane returns channel c of m as a slice of H*W values.
func (m Image) plane(c int) []float32 {
	n := m.H * m.W
	return m.Pix[c*n : (c+1)*n]
}

// ImageU8 is an 8-bit image in channel-first layout, as torchvision holds
// uint8 tensors. It exists for the uint8 variants of the colour ops, whose
// results are truncated rather than rounded.
type ImageU8 struct {
	C, H, W int
	Pix     []uint8
}

// ToTensor converts an interleaved (H×W×C) 8-bit image, as decoders and
// PIL give them, into a float32 channel-first Image by dividing each value
// by 255 in float32, as torchvision's ToTensor does.
func ToTensor(hwc []uint8, h, w, c int) (Image, error) {
	if h <= 0 || w <= 0 || c <= 0 || len(hwc) != h*w*c {
		return Image{}, fmt.Errorf("to tensor: shape %dx%dx%d does not match %d bytes",
			h, w, c, len(hwc))
	}
	out := NewImage(c, h, w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for k := 0; k < c; k++ {
				out.Pix[(k*h+y)*w+x] = float32(hwc[(y*w+x)*c+k]) / 255
			}
		}
	}
	return out, nil
}

// ToTensorCHW converts a channel-first 8-bit image to float32 in [0, 1].
func ToTensorCHW(m ImageU8) Image {
	out := NewImage(m.C, m.H, m.W)
	for i, v := range m.Pix {
		out.Pix[i] = float32(v) / 255
	}
	return out
}
