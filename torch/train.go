package torch

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Training holds the settings GAN and VAE training share.
type Training struct {
	Batch  int // images per step; the last incomplete batch of an epoch is dropped
	Epochs int

	// Adam's learning rate and betas. Betas default to (0.5, 0.999) for a
	// GAN (the DCGAN paper's) and (0.9, 0.999) for a VAE (PyTorch's) when
	// both are zero; set both to ask for beta1 = 0.
	LR           float64
	Beta1, Beta2 float64

	// Seed fixes initial weights, data order and every random draw: the same
	// seed, threads and data give the same weights. Threads > 0 sets
	// libtorch's and OpenBLAS's thread counts (SetThreads) before training.
	Seed    int64
	Threads int
	Device  gotch.Device // the zero value means the CPU

	// CheckpointDir, when set, receives a checkpoint every CheckpointEvery
	// steps (0: only at the end) and at the end. Training called again with the same directory
	// resumes from the checkpoint there, with identical results.
	CheckpointDir   string
	CheckpointEvery int

	// Progress, when set, is called after every step.
	Progress func(done, total int) `json:"-"`

	// Resumed, when set, is called when training picks up a checkpoint,
	// with the steps it had done and the steps in all.
	Resumed func(done, total int) `json:"-"`

	// Epoch, when set, is called as each epoch ends with its number
	// (from 1) and the mean of each loss over it, by name.
	Epoch func(epoch int, names []string, means []float64) `json:"-"`
}

func (t *Training) check(n int, defaultBeta1 float64) error {
	switch {
	case t.Batch < 1:
		return fmt.Errorf("batch must be at least 1, got %d", t.Batch)
	case t.Batch > n:
		return fmt.Errorf("batch %d is larger than the %d images", t.Batch, n)
	case t.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, got %d", t.Epochs)
	case !(t.LR > 0):
		return fmt.Errorf("learning rate must be positive, got %g", t.LR)
	case t.CheckpointEvery < 0:
		return fmt.Errorf("checkpoint interval must not be negative, got %d", t.CheckpointEvery)
	}
	if t.Beta1 == 0 && t.Beta2 == 0 {
		t.Beta1, t.Beta2 = defaultBeta1, 0.999
	}
	if t.Beta1 < 0 || t.Beta1 >= 1 || t.Beta2 < 0 || t.Beta2 >= 1 {
		return fmt.Errorf("adam betas must lie in [0, 1), got (%g, %g)", t.Beta1, t.Beta2)
	}
	if t.Device.Name == "" {
		t.Device = gotch.CPU
	}
	if t.Threads > 0 {
		if _, err := SetThreads(t.Threads); err != nil {
			return err
		}
	}
	return nil
}

// sessionMu serialises training, sampling and evaluation in the process:
// they reseed libtorch's one global generator, so two at once would break
// each other's reproducibility. Each already uses every thread it is given.
var sessionMu sync.Mutex

// session starts a libtorch session: it takes sessionMu and pins the
// goroutine to its OS thread, since libtorch's grad mode is per thread and
// a goroutine may otherwise move between two cgo calls. Call the returned
// function to end the session.
func session() func() {
	sessionMu.Lock()
	runtime.LockOSThread()
	return func() {
		runtime.UnlockOSThread()
		sessionMu.Unlock()
	}
}

// stepSeed derives the libtorch seed of one step (splitmix64 of seed and
// step). Reseeding every step makes a resumed run draw what an uninterrupted
// one would, without saving libtorch's generator state, which gotch cannot
// read.
func stepSeed(seed int64, step int) int64 {
	x := uint64(seed) + uint64(step+1)*0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return int64((x ^ x>>31) >> 1)
}

// meter accumulates one epoch's losses, by name.
type meter struct {
	Names []string
	Sum   []float64
	Count []int
}

func newMeter(names ...string) *meter {
	return &meter{Names: names, Sum: make([]float64, len(names)), Count: make([]int, len(names))}
}

// add records loss i of a step, failing on NaN or Inf.
func (m *meter) add(step, i int, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("step %d: %s loss is %v", step+1, m.Names[i], v)
	}
	m.Sum[i] += v
	m.Count[i]++
	return nil
}

// means returns the epoch's mean losses and resets the meter.
func (m *meter) means() []float64 {
	out := make([]float64, len(m.Sum))
	for i := range m.Sum {
		if m.Count[i] > 0 {
			out[i] = m.Sum[i] / float64(m.Count[i])
		}
		m.Sum[i], m.Count[i] = 0, 0
	}
	return out
}

// loop runs the steps common to both trainers: batches in a seeded order,
// reseeding, loss bookkeeping, progress and checkpoints.
type loop struct {
	cfg  *Training
	data *ts.Tensor // [N, C, H, W] on the device
	n    int

	// labels, when set, holds one class per image ([N] int64 on the
	// device); run selects each batch's labels into batchLabels before
	// calling step, in the same order as the images.
	labels      *ts.Tensor
	batchLabels *ts.Tensor

	ckpt  *checkpointer
	meter *meter

	// Filled as training runs, restored from a checkpoint.
	next   int         // the next step to run, counted from 0
	epochs [][]float64 // mean losses of each finished epoch
}

func (l *loop) stepsPerEpoch() int { return l.n / l.cfg.Batch }

func (l *loop) total() int { return l.stepsPerEpoch() * l.cfg.Epochs }

// run calls step for each remaining step with that step's batch.
func (l *loop) run(
	ctx context.Context,
	step func(a *arena, batch *ts.Tensor, i int, m *meter) error,
) error {
	var a arena
	defer a.free()
	spe, total := l.stepsPerEpoch(), l.total()
	var perm []int64
	permEpoch := -1
	for i := l.next; i < total; i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		epoch, k := i/spe, i%spe
		if epoch != permEpoch {
			perm, permEpoch = permutation(l.cfg.Seed, epoch, l.n), epoch
		}
		idx := a.add(ts.MustOfSlice(perm[k*l.cfg.Batch:(k+1)*l.cfg.Batch]).MustTo(l.cfg.Device, true))
		batch := a.add(l.data.MustIndexSelect(0, idx, false))
		if l.labels != nil {
			l.batchLabels = a.add(l.labels.MustIndexSelect(0, idx, false))
		}

		Seed(stepSeed(l.cfg.Seed, i))
		err := step(&a, batch, i, l.meter)
		a.free()
		if err != nil {
			return err
		}

		l.next = i + 1
		if l.next%spe == 0 {
			means := l.meter.means()
			l.epochs = append(l.epochs, means)
			if l.cfg.Epoch != nil {
				l.cfg.Epoch(len(l.epochs), l.meter.Names, means)
			}
		}
		if l.cfg.Progress != nil {
			l.cfg.Progress(l.next, total)
		}
		if l.ckpt != nil && l.cfg.CheckpointEvery > 0 && l.next%l.cfg.CheckpointEvery == 0 &&
			l.next < total {
			if err := l.ckpt.save(l); err != nil {
				return err
			}
		}
	}
	if l.ckpt != nil {
		return l.ckpt.save(l)
	}
	return nil
}

// permutation is the data order of one epoch, from the seed and the epoch
// alone so that a resumed run sees the same batches.
func permutation(seed int64, epoch, n int) []int64 {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)))
	out := make([]int64, n)
	for i, j := range r.Perm(n) {
		out[i] = int64(j)
	}
	return out
}
