package torch

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// BenchmarkGANStep times one training step of the article's MLP GAN: one
// discriminator and one generator update on a batch of 64, latent 100, on
// 2 threads (PIPE_BENCH_THREADS overrides). bench/train_step.sh runs it
// beside the same model in PyTorch.
// Set OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=2 when running it.
func BenchmarkGANStep(b *testing.B) {
	defer session()()
	threads := 2
	if v, err := strconv.Atoi(os.Getenv("PIPE_BENCH_THREADS")); err == nil {
		threads = v
	}
	if _, err := SetThreads(threads); err != nil {
		b.Fatal(err)
	}
	cfg := GANConfig{Arch: "mlp", Loss: "bce", Latent: 100, DSteps: 1, Features: 64,
		Training: Training{Batch: 64, Epochs: 1, LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Device: gotch.CPU}}
	g, err := newGAN(cfg.meta(imageShape{1, 28, 28}), gotch.CPU, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	g.cfg = cfg
	tr := newGANTrainer(g)
	defer tr.close()

	// Real images in [-1, 1]; their content does not change the step's cost.
	real := ts.MustRand([]int64{64, 1, 28, 28}, gotch.Float, gotch.CPU)
	defer real.MustDrop()
	m := newMeter("discriminator", "generator")
	var a arena
	for i := 0; i < 20; i++ { // warm-up: allocator and OpenMP pools
		tr.step(&a, real, i, m)
		a.free()
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := tr.step(&a, real, i, m); err != nil {
			b.Fatal(err)
		}
		a.free()
	}
	// CPU time per step, every thread, user and system (spinning included),
	// to compare with Python's time.process_time.
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
