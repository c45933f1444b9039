package torch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSameSeedSameWeights trains twice with the same seed and threads and
// expects bit-identical weights.
func TestSameSeedSameWeights(t *testing.T) {
	images := fashion(t, 192, false)
	cfg := smallGAN("mlp", "bce")
	a, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !bytes.Equal(weightsOf(t, a.m), weightsOf(t, b.m)) {
		t.Errorf("same seed, different weights: max difference %g", maxAbsDiff(t, a.m, b.m))
	}
	// The files too, byte for byte: the cache and `pipe reproduce` compare
	// outputs by content.
	dirA, dirB := t.TempDir(), t.TempDir()
	if err := a.Save(dirA); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(dirB); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{WeightsFile, VarStoreFile, LossesFile} {
		fa, errA := os.ReadFile(filepath.Join(dirA, name))
		fb, errB := os.ReadFile(filepath.Join(dirB, name))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(fa, fb) {
			t.Errorf("same seed: %s differs between two runs", name)
		}
	}

	cfg.Seed++
	c, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if bytes.Equal(weightsOf(t, a.m), weightsOf(t, c.m)) {
		t.Error("different seeds gave identical weights")
	}
}

// stopAt returns a progress callback that cancels ctx once step n is done,
// standing in for a process killed between checkpoints.
func stopAt(n int, cancel context.CancelFunc) func(done, total int) {
	return func(done, total int) {
		if done == n {
			cancel()
		}
	}
}

// TestResumeGAN kills a run after step 7 (checkpoints every 3 steps), runs
// again with the same directory, and expects the weights and losses of an
// uninterrupted run: the resumed run restarts from step 6.
func TestResumeGAN(t *testing.T) {
	images := fashion(t, 192, false)
	cfg := smallGAN("mlp", "bce")
	cfg.DSteps = 2 // a generator update every other step: resume must keep the phase
	cfg.Epochs = 2 // 12 steps

	want, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()

	cfg.CheckpointDir, cfg.CheckpointEvery = t.TempDir(), 3
	ctx, cancel := context.WithCancel(context.Background())
	killed := cfg
	killed.Progress = stopAt(7, cancel)
	if _, err := TrainGAN(ctx, images, killed); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: error %v, want context.Canceled", err)
	}

	var first, resumedAt int
	cfg.Progress = func(done, total int) {
		if first == 0 {
			first = done
		}
	}
	cfg.Resumed = func(done, total int) { resumedAt = done }
	got, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if first != 7 || resumedAt != 6 {
		t.Errorf(
			"resumed at step %d, first step done %d; want 6 and 7 (the checkpoint at 6)",
			resumedAt,
			first,
		)
	}
	if !bytes.Equal(weightsOf(t, want.m), weightsOf(t, got.m)) {
		t.Errorf(
			"resumed weights differ from an uninterrupted run's: max difference %g",
			maxAbsDiff(t, want.m, got.m),
		)
	}
	for i := range want.Losses {
		if want.Losses[i] != got.Losses[i] {
			t.Errorf("epoch %d losses: resumed %+v, uninterrupted %+v", i+1, got.Losses[i], want.Losses[i])
		}
	}

	// A checkpoint from another configuration is refused, not mixed in.
	other := cfg
	other.LR *= 2
	if _, err := TrainGAN(context.Background(), images, other); err == nil ||
		!strings.Contains(err.Error(), "another configuration") {
		t.Errorf("resume with another learning rate: error %v, want a refusal", err)
	}
}

func TestResumeVAE(t *testing.T) {
	images := fashion(t, 192, false)
	cfg := smallVAE("conv")
	cfg.Epochs = 2

	want, err := TrainVAE(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()

	cfg.CheckpointDir, cfg.CheckpointEvery = t.TempDir(), 4
	ctx, cancel := context.WithCancel(context.Background())
	killed := cfg
	killed.Progress = stopAt(9, cancel)
	if _, err := TrainVAE(ctx, images, killed); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: error %v, want context.Canceled", err)
	}
	got, err := TrainVAE(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if !bytes.Equal(weightsOf(t, want.m), weightsOf(t, got.m)) {
		t.Errorf(
			"resumed weights differ from an uninterrupted run's: max difference %g",
			maxAbsDiff(t, want.m, got.m),
		)
	}

	// A finished run's final checkpoint makes a third call a no-op.
	calls := 0
	cfg.Progress = func(int, int) { calls++ }
	again, err := TrainVAE(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if calls != 0 || !bytes.Equal(weightsOf(t, want.m), weightsOf(t, again.m)) {
		t.Errorf("rerun of a finished run: %d steps taken, weights equal %v; want 0 steps, equal",
			calls, bytes.Equal(weightsOf(t, want.m), weightsOf(t, again.m)))
	}
}

func TestNonFiniteLoss(t *testing.T) {
	images := fashion(t, 128, false)
	// With bce, the NaN reaches libtorch's binary cross-entropy first,
	// which would end the process rather than return an error.
	for _, recon := range []string{"mse", "bce"} {
		cfg := smallVAE("mlp")
		cfg.Recon = recon
		cfg.LR = 1e12 // diverges within a few steps
		cfg.Epochs = 5
		_, err := TrainVAE(context.Background(), images, cfg)
		if err == nil || !strings.Contains(err.Error(), "step ") ||
			!(strings.Contains(err.Error(), "NaN") || strings.Contains(err.Error(), "Inf")) {
			t.Fatalf(
				"TrainVAE (%s) with lr 1e12: error %v, want a NaN or Inf loss naming the step",
				recon,
				err,
			)
		}
		t.Log(err)
	}
}

func TestMeterRejectsNonFinite(t *testing.T) {
	m := newMeter("discriminator", "generator")
	for _, v := range []float64{nanValue(), infValue()} {
		err := m.add(41, 1, v)
		if err == nil || !strings.Contains(err.Error(), "step 42: generator loss") {
			t.Errorf("add(41, 1, %v) = %v, want an error naming step 42 and the generator", v, err)
		}
	}
}
