package torch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// checkpointFile is the one file of a checkpoint directory: the model's
// variables, the optimizers' moments and, in its metadata, the loop's
// position and losses. It is replaced atomically, so a run killed while
// writing leaves the previous checkpoint whole.
const checkpointFile = "checkpoint.safetensors"

const checkpointKey = "pipe.checkpoint"

// checkpointer saves and restores a training run.
type checkpointer struct {
	dir  string
	m    *model
	opts map[string]*adam
	// fingerprint identifies the configuration and data shape; a checkpoint
	// written under another one is refused rather than silently mixed in.
	fingerprint string
}

// checkpointState is the JSON in the checkpoint's metadata.
type checkpointState struct {
	Fingerprint string           `json:"fingerprint"`
	Next        int              `json:"next_step"`
	Epochs      [][]float64      `json:"epoch_losses"`
	Meter       *meter           `json:"meter"`
	AdamSteps   map[string]int64 `json:"adam_steps"`
}

func (c *checkpointer) path() string { return filepath.Join(c.dir, checkpointFile) }

func (c *checkpointer) save(l *loop) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	st := checkpointState{
		Fingerprint: c.fingerprint,
		Next:        l.next,
		Epochs:      l.epochs,
		Meter:       l.meter,
		AdamSteps:   map[string]int64{},
	}
	out := map[string]*tensor.Tensor{}
	for _, v := range c.m.vars {
		out["model."+v.name] = toTensor(v.t)
	}
	for name, o := range c.opts {
		st.AdamSteps[name] = o.step
		for k, t := range o.state("adam." + name) {
			out[k] = toTensor(t)
		}
	}
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	meta := map[string]string{checkpointKey: string(js)}
	if err := tensor.WriteSafetensorsFile(c.path(), out, meta); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", c.path(), err)
	}
	return nil
}

// restore loads the checkpoint into the model, optimizers and loop. It
// reports false when the directory holds no checkpoint.
func (c *checkpointer) restore(l *loop) (bool, error) {
	tensors, meta, err := tensor.ReadSafetensorsFile(c.path())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load checkpoint: %w", err)
	}
	var st checkpointState
	if err := json.Unmarshal([]byte(meta[checkpointKey]), &st); err != nil {
		return false, fmt.Errorf("load checkpoint %s: metadata: %w", c.path(), err)
	}
	if st.Fingerprint != c.fingerprint {
		return false, fmt.Errorf("load checkpoint %s: written for another configuration or data shape "+
			"(remove the directory to start afresh)", c.path())
	}
	if st.Meter == nil || !slices.Equal(st.Meter.Names, l.meter.Names) {
		return false, fmt.Errorf(
			"load checkpoint %s: losses %v, want %v",
			c.path(),
			st.Meter,
			l.meter.Names,
		)
	}

	targets := map[string]*ts.Tensor{}
	for _, v := range c.m.vars {
		targets["model."+v.name] = v.t
	}
	for name, o := range c.opts {
		for k, t := range o.state("adam." + name) {
			targets[k] = t
		}
	}
	if len(targets) != len(tensors) {
		return false, fmt.Errorf(
			"load checkpoint %s: %d tensors, want %d",
			c.path(),
			len(tensors),
			len(targets),
		)
	}
	if err := copyInto(targets, tensors); err != nil {
		return false, fmt.Errorf("load checkpoint %s: %w", c.path(), err)
	}
	for name, o := range c.opts {
		o.step = st.AdamSteps[name]
	}
	l.next, l.epochs, l.meter = st.Next, st.Epochs, st.Meter
	if l.cfg.Resumed != nil {
		l.cfg.Resumed(l.next, l.total())
	}
	return true, nil
}

// copyInto copies each source tensor into the libtorch tensor of the same
// name, checking shapes first.
func copyInto(targets map[string]*ts.Tensor, sources map[string]*tensor.Tensor) error {
	for name, dst := range targets {
		src, ok := sources[name]
		if !ok {
			return fmt.Errorf("no tensor %q", name)
		}
		if want := ints(dst.MustSize()); !slices.Equal(src.Shape, want) {
			return fmt.Errorf("tensor %q has shape %v, want %v", name, src.Shape, want)
		}
	}
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	for name, dst := range targets {
		x, err := fromTensor(sources[name], dst.MustDevice())
		if err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		dst.Copy_(x)
		x.MustDrop()
	}
	return nil
}
