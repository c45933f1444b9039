package torch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// Extractor maps images to feature vectors, the input of statistics such
// as the Fréchet distance. *Classifier and *Script implement it.
type Extractor interface {
	// Name identifies the extractor in metric names: "fashion_cnn" gives
	// fid_fashion_cnn.
	Name() string
	// Features computes one row per image of images ([N, H, W] or
	// [N, C, H, W], U8 or float in [0, 1]): F32 [N, D]. The context stops
	// it between batches.
	Features(ctx context.Context, images *tensor.Tensor) (*tensor.Tensor, error)
	Close()
}

// Script is a user's TorchScript model (torch.jit.script or torch.jit.trace,
// then save) used as a feature extractor, such as a port of the Inception
// network pytorch-fid uses. Close frees it.
type Script struct {
	name string
	path string
	dev  gotch.Device
	mod  *ts.CModule
}

// LoadScript loads the TorchScript file at path onto dev, in eval mode. Its
// name is the file's base name without extension.
func LoadScript(path string, dev gotch.Device) (*Script, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("load torchscript: %w", err)
	}
	dev = defaultDevice(dev)
	defer session()()
	mod, err := ts.ModuleLoadOnDevice(path, dev)
	if err != nil {
		return nil, fmt.Errorf("load torchscript %s: %s", path, torchMessage(err))
	}
	mod.SetEval()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return &Script{name: name, path: path, dev: dev, mod: mod}, nil
}

// Name is the file's base name without extension.
func (s *Script) Name() string { return s.name }

// Features runs the model's forward on the images as F32 [B, C, H, W] with
// values in [0, 1] (U8 divided by 255), in batches of 256, without
// gradients. The model must return one tensor whose first dimension is the
// batch; the rest is flattened: an Inception's [B, 2048, 1, 1] gives
// [N, 2048]. Resizing and normalisation are the model's business, as in
// pytorch-fid's Inception, which takes [0, 1] images of any size.
func (s *Script) Features(ctx context.Context, images *tensor.Tensor) (*tensor.Tensor, error) {
	if s.mod == nil {
		return nil, fmt.Errorf("features %s: model closed", s.path)
	}
	forward := func(a *arena, x *ts.Tensor) (*ts.Tensor, error) {
		y, err := s.mod.Forward(x)
		if err != nil {
			return nil, fmt.Errorf("forward: %s", torchMessage(err))
		}
		return a.add(y), nil
	}
	out, err := batchedFeatures(ctx, images, s.dev, false, forward)
	if err != nil {
		return nil, fmt.Errorf("features %s: %w", s.path, err)
	}
	return out, nil
}

// Close frees the model.
func (s *Script) Close() {
	if s.mod != nil {
		s.mod.Drop()
		s.mod = nil
	}
}

// torchMessage keeps the one line of a libtorch error that says what went
// wrong: the last "...Error: " line of a TorchScript traceback (the lines
// before it quote the model's code), or else the first line, dropping
// gotch's prefix and the C++ stack trace that follows.
func torchMessage(err error) string {
	msg := strings.TrimPrefix(strings.TrimSpace(err.Error()), "Libtorch API Error: ")
	lines := strings.Split(msg, "\n")
	for i := len(lines) - 1; i > 0; i-- {
		if k := strings.Index(lines[i], "Error: "); k > 0 && !strings.ContainsAny(lines[i][:k], " \t") {
			return lines[i]
		}
	}
	return lines[0]
}

// Name identifies the classifier in metric names.
func (c *Classifier) Name() string { return c.cfg.Name }

// Classes is the number of classes the classifier tells apart.
func (c *Classifier) Classes() int { return c.cfg.Classes }

// Features computes the penultimate layer's activations (after its ReLU)
// for each image, F32 [N, Features]. The images must have the shape the
// classifier was trained on.
func (c *Classifier) Features(ctx context.Context, images *tensor.Tensor) (*tensor.Tensor, error) {
	if err := c.checkShape(images); err != nil {
		return nil, fmt.Errorf("classifier features: %w", err)
	}
	features := func(a *arena, x *ts.Tensor) (*ts.Tensor, error) { return c.net.features(a, x), nil }
	return batchedFeatures(ctx, images, c.cfg.Device, true, features)
}

// Accuracy is the fraction of images whose highest-scoring class is their
// label.
func (c *Classifier) Accuracy(images, labels *tensor.Tensor) (float64, error) {
	if err := c.checkShape(images); err != nil {
		return 0, fmt.Errorf("classifier accuracy: %w", err)
	}
	if _, err := checkLabels(labels, images.Shape[0], c.cfg.Classes); err != nil {
		return 0, fmt.Errorf("classifier accuracy: %w", err)
	}
	// The predicted class of each image, as a one-column "feature".
	predict := func(a *arena, x *ts.Tensor) (*ts.Tensor, error) {
		scores := c.net.logits(a, c.net.features(a, x))
		class := a.add(scores.MustArgmax([]int64{1}, false, false))
		return a.add(class.MustTotype(gotch.Float, false)), nil
	}
	pred, err := batchedFeatures(context.Background(), images, c.cfg.Device, true, predict)
	if err != nil {
		return 0, err
	}
	hits, classes := 0, pred.Float32s()
	for i, y := range labels.Int64s() {
		if int64(classes[i]) == y {
			hits++
		}
	}
	return float64(hits) / float64(len(classes)), nil
}

func (c *Classifier) checkShape(images *tensor.Tensor) error {
	shape, err := imagesShape(images)
	if err != nil {
		return err
	}
	if shape != c.shape {
		return fmt.Errorf("images are %dx%dx%d, the classifier takes %dx%dx%d",
			shape.C, shape.H, shape.W, c.shape.C, c.shape.H, c.shape.W)
	}
	return nil
}

// batchedFeatures copies images to dev (in [-1, 1] when signed, else
// [0, 1]) and runs f on batches of evalBatch images without gradients,
// stacking the results, each flattened to one row per image, into F32
// [N, D]. It checks ctx before each batch.
func batchedFeatures(ctx context.Context, images *tensor.Tensor, dev gotch.Device, signed bool,
	f func(a *arena, x *ts.Tensor) (*ts.Tensor, error)) (*tensor.Tensor, error) {
	defer session()()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()

	data, err := loadImages(images, defaultDevice(dev), signed)
	if err != nil {
		return nil, err
	}
	defer data.MustDrop()

	n := images.Shape[0]
	var out *tensor.Tensor
	var a arena
	defer a.free()
	for lo := 0; lo < n; lo += evalBatch {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("image %d of %d: %w", lo, n, err)
		}
		b := min(evalBatch, n-lo)
		y, err := f(&a, a.add(data.MustNarrow(0, int64(lo), int64(b), false)))
		if err != nil {
			return nil, err
		}
		size := y.MustSize()
		if len(size) < 1 || size[0] != int64(b) {
			return nil, fmt.Errorf("output of shape %v for a batch of %d images: "+
				"want the batch first", size, b)
		}
		if len(size) == 1 {
			y = a.add(y.MustView([]int64{int64(b), 1}, false))
		}
		rows := toTensor(a.add(y.MustFlatten(1, -1, false)))
		if out == nil {
			out = tensor.New(tensor.Float32, n, rows.NumElements()/b)
		} else if d := out.Shape[1]; rows.NumElements() != b*d {
			return nil, fmt.Errorf("output of shape %v after batches of %d features", size, d)
		}
		copy(out.Data[lo*out.Shape[1]*4:], rows.Data)
		a.free()
	}
	return out, nil
}
