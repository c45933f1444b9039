package neural

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/torch"
)

// trainingParams are the parameters GAN and VAE training share.
func trainingParams(lr, beta1 float64) []pipeline.Param {
	positive := pipeline.AtLeast(1)
	return []pipeline.Param{
		{Name: "batch", Type: pipeline.Int, Default: int64(64), Min: positive, Doc: "images per step"},
		{Name: "epochs", Type: pipeline.Int, Default: int64(1), Min: positive},
		{
			Name:    "lr",
			Type:    pipeline.Float,
			Default: lr,
			Min:     pipeline.AtLeast(0),
			Doc:     "Adam's learning rate",
		},
		{
			Name:    "beta1",
			Type:    pipeline.Float,
			Default: beta1,
			Min:     pipeline.AtLeast(0),
			Doc:     "Adam's beta1",
		},
		{
			Name:    "beta2",
			Type:    pipeline.Float,
			Default: 0.999,
			Min:     pipeline.AtLeast(0),
			Doc:     "Adam's beta2",
		},
		{Name: "checkpoint_every", Type: pipeline.Int, Default: int64(500), Min: positive,
			Doc: "steps between checkpoints; a killed run resumes from the last one"},
	}
}

// training fills torch.Training from a stage's parameters and context.
// Each epoch's mean losses go to the stage's log as the epoch ends, under
// logKeys (one per loss the trainer measures, in its order).
func training(rc *pipeline.RunContext, logKeys ...string) (torch.Training, error) {
	dev, err := torch.Device(rc.Device)
	if err != nil {
		return torch.Training{}, err
	}
	t := torch.Training{
		Batch: rc.Params.Int("batch"), Epochs: rc.Params.Int("epochs"),
		LR: rc.Params.Float("lr"), Beta1: rc.Params.Float("beta1"), Beta2: rc.Params.Float("beta2"),
		Seed: rc.Seed, Threads: rc.Threads, Device: dev,
		CheckpointDir: rc.Work, CheckpointEvery: rc.Params.Int("checkpoint_every"),
	}
	t.Epoch = func(epoch int, names []string, means []float64) {
		attrs := []any{"epoch", epoch}
		for i, m := range means {
			key := names[i]
			if i < len(logKeys) {
				key = logKeys[i]
			}
			attrs = append(attrs, key, strconv.FormatFloat(m, 'g', 5, 64))
		}
		rc.Log.Info("epoch done", attrs...)
	}
	t.Resumed = func(done, total int) {
		rc.Log.Info("resuming from checkpoint", "step", done, "of", total)
	}
	if rc.Progress != nil {
		started := false
		t.Progress = func(done, total int) {
			if !started {
				rc.Progress.Start(int64(total), "steps")
				started = true
			}
			rc.Progress.Set(int64(done))
		}
	}
	return t, nil
}

// device resolves the stage's device for a stage that runs a network
// without training it, and gives libtorch the stage's thread count, as
// training does through torch.Training.
func device(rc *pipeline.RunContext) (gotch.Device, error) {
	dev, err := torch.Device(rc.Device)
	if err != nil {
		return dev, err
	}
	if rc.Threads > 0 {
		if _, err := torch.SetThreads(rc.Threads); err != nil {
			return dev, err
		}
	}
	return dev, nil
}

// finite rejects a NaN or infinite metric before it reaches the cache.
func finite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is %v", name, v)
	}
	return nil
}
