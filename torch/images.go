package torch

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// imagesShape checks a batch of images, [N, H, W] or [N, C, H, W], and
// returns the shape of one image.
func imagesShape(images *tensor.Tensor) (imageShape, error) {
	if images == nil {
		return imageShape{}, fmt.Errorf("no images")
	}
	if err := images.Check(); err != nil {
		return imageShape{}, fmt.Errorf("images: %w", err)
	}
	s := images.Shape
	var shape imageShape
	switch len(s) {
	case 3:
		shape = imageShape{1, int64(s[1]), int64(s[2])}
	case 4:
		shape = imageShape{int64(s[1]), int64(s[2]), int64(s[3])}
	default:
		return imageShape{}, fmt.Errorf("images of shape %v: want [N, H, W] or [N, C, H, W]", s)
	}
	if s[0] < 1 || shape.pixels() < 1 {
		return imageShape{}, fmt.Errorf("images of shape %v: empty", s)
	}
	return shape, nil
}

// loadImages copies images into a float32 [N, C, H, W] libtorch tensor on
// dev with values in [0, 1], or in [-1, 1] when signed (a Tanh generator's
// range). U8 images are divided by 255; float images must already lie in
// [0, 1].
func loadImages(images *tensor.Tensor, dev gotch.Device, signed bool) (*ts.Tensor, error) {
	shape, err := imagesShape(images)
	if err != nil {
		return nil, err
	}
	x, err := fromTensor(images, dev)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	x = x.MustView([]int64{int64(images.Shape[0]), shape.C, shape.H, shape.W}, true)

	sc := scalars{}
	defer sc.free()
	if images.DType == tensor.Uint8 {
		x = x.MustDivScalar(sc.get(255), true)
	} else {
		lo, hi := takeScalar(x.MustMin(false)), takeScalar(x.MustMax(false))
		if lo < 0 || hi > 1 {
			x.MustDrop()
			return nil, fmt.Errorf("images: float values must lie in [0, 1], found [%g, %g]: "+
				"pipe's networks scale [0, 1] images themselves; connect the data before any normalize", lo, hi)
		}
	}
	if signed {
		x = x.MustMulScalar(sc.get(2), true).MustSubScalar(sc.get(1), true)
	}
	return x, nil
}
