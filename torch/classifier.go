package torch

import (
	"context"
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// ClassifierConfig configures a small CNN classifier and its training. Its
// penultimate layer gives the features of Features: an extractor trained
// on the dataset itself, for a Fréchet distance on data the Inception
// network was never trained on.
type ClassifierConfig struct {
	// Name identifies the extractor in metric names ("fashion_cnn" gives
	// fid_fashion_cnn); "cnn" when empty.
	Name string

	// Classes is the number of classes; one more than the largest label
	// when zero.
	Classes int

	// Width is the first convolution's channel count (the second has twice
	// as many); 32 when zero. Features is the size of the penultimate
	// layer, the feature vector; 128 when zero.
	Width    int
	Features int

	Training
}

// ClassifierLoss is one epoch's mean training loss and batch accuracy.
type ClassifierLoss struct {
	Epoch          int
	Loss, Accuracy float64
}

// Classifier is a trained CNN. Close frees it.
type Classifier struct {
	cfg    ClassifierConfig
	shape  imageShape
	m      *model
	net    *cnn
	Losses []ClassifierLoss
}

type classifierMeta struct {
	Name     string `json:"name"`
	Classes  int    `json:"classes"`
	Width    int    `json:"width"`
	Features int    `json:"features"`
	Shape    [3]int `json:"shape"`
}

const classifierMetaKey = "pipe.classifier"

func (c *ClassifierConfig) defaults() error {
	if c.Name == "" {
		c.Name = "cnn"
	}
	if c.Width == 0 {
		c.Width = 32
	}
	if c.Features == 0 {
		c.Features = 128
	}
	if c.Classes < 0 || c.Width < 1 || c.Features < 1 {
		return fmt.Errorf("classifier classes, width and features must be positive, got %d, %d, %d",
			c.Classes, c.Width, c.Features)
	}
	return nil
}

func (c *ClassifierConfig) meta(shape imageShape) classifierMeta {
	s := [3]int{int(shape.C), int(shape.H), int(shape.W)}
	return classifierMeta{c.Name, c.Classes, c.Width, c.Features, s}
}

// cnn is two 3x3 convolutions with ReLU, each followed by 2x2 max pooling,
// then a fully connected layer with ReLU (the features) and the class
// scores: conv(C→w) pool conv(w→2w) pool fc(2w·H/4·W/4→features) fc(→classes).
// On Fashion-MNIST (batch 64, Adam at 1e-3) it reached a test accuracy of
// 0.904 after 4 epochs and 0.921 after 6 (TestClassifierFashionAccuracy),
// at about a minute an epoch on 2 idle cores.
type cnn struct {
	conv1, conv2 conv
	fc1, fc2     linear
}

func newCNN(m *model, p *nn.Path, meta classifierMeta, shape imageShape) (*cnn, error) {
	if shape.H < 4 || shape.W < 4 {
		return nil, fmt.Errorf("classifier takes images of at least 4x4, got %dx%d", shape.H, shape.W)
	}
	w, f := int64(meta.Width), int64(meta.Features)
	flat := 2 * w * (shape.H / 4) * (shape.W / 4)
	return &cnn{
		conv1: m.conv2d(p.Sub("conv1"), shape.C, w, 3, 1, 1, false),
		conv2: m.conv2d(p.Sub("conv2"), w, 2*w, 3, 1, 1, false),
		fc1:   m.linear(p.Sub("fc1"), flat, f),
		fc2:   m.linear(p.Sub("fc2"), f, int64(meta.Classes)),
	}, nil
}

// features maps images in [-1, 1] to the penultimate layer's values before
// its ReLU. After the ReLU, units that are off for every image (a CNN this
// small has dozens) make the features' covariance singular, and the
// Fréchet distance then rests on a subspace; before it, all are alive.
func (c *cnn) features(a *arena, x *ts.Tensor) *ts.Tensor {
	two := []int64{2, 2}
	pool := func(h *ts.Tensor) *ts.Tensor {
		return a.add(h.MustMaxPool2d(two, two, []int64{0, 0}, []int64{1, 1}, false, false))
	}
	h := pool(a.add(c.conv1.forward(a, x).MustRelu(false)))
	h = pool(a.add(c.conv2.forward(a, h).MustRelu(false)))
	h = a.add(h.MustFlatten(1, -1, false))
	return c.fc1.forward(a, h)
}

func (c *cnn) logits(a *arena, feats *ts.Tensor) *ts.Tensor {
	return c.fc2.forward(a, a.add(feats.MustRelu(false)))
}

func newClassifier(meta classifierMeta, dev gotch.Device, seed int64) (*Classifier, error) {
	shape := imageShape{int64(meta.Shape[0]), int64(meta.Shape[1]), int64(meta.Shape[2])}
	cfg := ClassifierConfig{
		Name: meta.Name, Classes: meta.Classes, Width: meta.Width, Features: meta.Features,
	}
	cfg.Device = dev
	c := &Classifier{cfg: cfg, shape: shape, m: newModel(dev)}
	Seed(seed)
	net, err := newCNN(c.m, c.m.vs.Root().Sub("cnn"), meta, shape)
	if err != nil {
		c.m.close()
		return nil, err
	}
	c.net = net
	return c, nil
}

// TrainClassifier trains the CNN on images ([N, H, W] or [N, C, H, W], U8
// or float in [0, 1]) and their labels ([N] integers from 0), with cross-
// entropy and Adam. A step is one batch. The context stops training between
// steps; with CheckpointDir set, calling it again resumes from the last
// checkpoint.
func TrainClassifier(ctx context.Context, images, labels *tensor.Tensor,
	cfg ClassifierConfig) (*Classifier, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	shape, err := imagesShape(images)
	if err != nil {
		return nil, err
	}
	classes, err := checkLabels(labels, images.Shape[0], cfg.Classes)
	if err != nil {
		return nil, err
	}
	cfg.Classes = classes
	if err := cfg.Training.check(images.Shape[0], 0.9); err != nil {
		return nil, err
	}
	defer session()()

	data, err := loadImages(images, cfg.Device, true)
	if err != nil {
		return nil, err
	}
	defer data.MustDrop()
	y := ts.MustOfSlice(labels.Int64s()).MustTo(cfg.Device, true)
	defer y.MustDrop()

	c, err := newClassifier(cfg.meta(shape), cfg.Device, cfg.Seed)
	if err != nil {
		return nil, err
	}
	c.cfg = cfg
	opt := newAdam(c.m.trainable(""), cfg.LR, cfg.Beta1, cfg.Beta2)
	defer opt.close()

	l := &loop{
		cfg: &cfg.Training, data: data, labels: y, n: images.Shape[0],
		meter: newMeter("loss", "accuracy"),
	}
	if cfg.CheckpointDir != "" {
		l.ckpt = &checkpointer{
			dir: cfg.CheckpointDir, m: c.m, opts: map[string]*adam{"cnn": opt},
			fingerprint: fingerprint("classifier", cfg.meta(shape), images.Shape, cfg.Training),
		}
		if _, err := l.ckpt.restore(l); err != nil {
			c.Close()
			return nil, err
		}
	}
	step := func(a *arena, x *ts.Tensor, i int, m *meter) error {
		logits := c.net.logits(a, c.net.features(a, x))
		loss := a.add(a.add(logits.MustLogSoftmax(1, gotch.Float, false)).
			MustNllLoss(l.batchLabels, none, ts.ReductionMean, -100, false))
		opt.zeroGrad()
		loss.MustBackward()
		guard := ts.NewNoGradGuard()
		opt.update()
		pred := a.add(logits.MustArgmax([]int64{1}, false, false))
		hits := a.add(pred.MustEqTensor(l.batchLabels, false))
		acc := scalar(a.add(hits.MustMean(gotch.Float, false)))
		guard.Drop()
		if err := m.add(i, 0, scalar(loss)); err != nil {
			return err
		}
		return m.add(i, 1, acc)
	}
	if err := l.run(ctx, step); err != nil {
		c.Close()
		return nil, fmt.Errorf("train classifier: %w", err)
	}
	for i, e := range l.epochs {
		c.Losses = append(c.Losses, ClassifierLoss{Epoch: i + 1, Loss: e[0], Accuracy: e[1]})
	}
	return c, nil
}

// checkLabels checks n labels, integers in [0, classes), and returns the
// class count: classes, or one more than the largest label when zero.
func checkLabels(labels *tensor.Tensor, n, classes int) (int, error) {
	if labels == nil {
		return 0, fmt.Errorf("no labels: a classifier needs one label per image")
	}
	if err := labels.Check(); err != nil {
		return 0, fmt.Errorf("labels: %w", err)
	}
	if len(labels.Shape) != 1 || labels.Shape[0] != n {
		return 0, fmt.Errorf("labels of shape %v for %d images: want [%d]", labels.Shape, n, n)
	}
	switch labels.DType {
	case tensor.Int64, tensor.Int32, tensor.Uint8:
	default:
		return 0, fmt.Errorf("labels of %s: want integers", labels.DType)
	}
	top := int64(-1)
	for i, v := range labels.Int64s() {
		if v < 0 || (classes > 0 && v >= int64(classes)) {
			return 0, fmt.Errorf("label %d of image %d is outside [0, %d)", v, i, max(classes, 1))
		}
		top = max(top, v)
	}
	if classes == 0 {
		classes = int(top) + 1
	}
	if classes < 2 {
		return 0, fmt.Errorf("labels hold %d class: a classifier needs at least 2", classes)
	}
	return classes, nil
}

// Close frees the network.
func (c *Classifier) Close() {
	if c.m != nil {
		c.m.close()
		c.m = nil
	}
}
