package torch

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMemoryFlat trains the article's MLP GAN for 5,000 steps and reports
// how resident memory moves between step 500 (allocator pools warm) and the
// end. It takes minutes, so it runs only with PIPE_TORCH_RSS=1:
//
//	PIPE_TORCH_RSS=1 go test ./torch -run TestMemoryFlat -v
//
// A tensor leaked per step would cost hundreds of KB a step (gotch.md
// measured 260 KB), hundreds of MB over the run; the bound is 8 MB.
func TestMemoryFlat(t *testing.T) {
	if os.Getenv("PIPE_TORCH_RSS") == "" {
		t.Skip("slow: set PIPE_TORCH_RSS=1 to run 5,000 steps and report resident memory drift")
	}
	images := fashion(t, 640, false)
	cfg := GANConfig{
		Arch: "mlp", Loss: "bce", Latent: 100, DSteps: 1,
		Training: Training{Batch: 64, Epochs: 500, LR: 2e-4, Seed: 1, Threads: 2},
	}
	var start, end, peak int64
	cfg.Progress = func(done, total int) {
		if done%500 != 0 {
			return
		}
		rss := residentBytes(t)
		if done == 500 {
			start = rss
		}
		end, peak = rss, max(peak, rss)
		t.Logf("step %d: RSS %.1f MB", done, float64(rss)/(1<<20))
	}
	g, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	// The allocator may hand memory back to the system now and then, so
	// the end can sit below the start; the peak shows any growth.
	drift, growth := float64(end-start)/(1<<20), float64(peak-start)/(1<<20)
	t.Logf("RSS drift from step 500 to 5000: %+.2f MB (%+.0f bytes a step); peak %+.2f MB",
		drift, float64(end-start)/4500, growth)
	if growth > 8 {
		t.Errorf("resident memory grew up to %.1f MB over 4,500 steps, want under 8 MB", growth)
	}
}

// residentBytes reads the process's resident set size from /proc.
func residentBytes(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("parse /proc/self/statm %q: %v", b, err)
	}
	return pages * int64(os.Getpagesize())
}
