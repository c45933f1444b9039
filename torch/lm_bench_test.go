package torch

import (
	"context"
	"os"
	"testing"

	"github.com/sugarme/gotch"
)

// TestLMMemoryFlat trains a small LM for 3,000 steps and reports how
// resident memory moves between step 300 and the end, then generates and
// scores in a loop. It runs only with PIPE_TORCH_RSS=1:
//
//	PIPE_TORCH_RSS=1 go test ./torch -run TestLMMemoryFlat -v
func TestLMMemoryFlat(t *testing.T) {
	if os.Getenv("PIPE_TORCH_RSS") == "" {
		t.Skip("slow: set PIPE_TORCH_RSS=1 to run 3,000 steps and report resident memory drift")
	}
	cfg := smallLM()
	cfg.Epochs = 75 // 40 steps an epoch
	var start, end int64
	cfg.Progress = func(done, total int) {
		if done%300 != 0 {
			return
		}
		rss := residentBytes(t)
		if done == 300 {
			start = rss
		}
		end = rss
	}
	lm, err := TrainLM(context.Background(), patternTokens(16*320+1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	drift := float64(end-start) / (1 << 20)
	t.Logf(
		"training: RSS drift from step 300 to 3000: %+.2f MB (%+.0f bytes a step)",
		drift,
		float64(end-start)/2700,
	)
	if drift > 8 {
		t.Errorf("resident memory grew %.1f MB over 2,700 steps, want under 8 MB", drift)
	}

	before := residentBytes(t)
	for i := range 200 {
		if _, err := lm.Generate([][]int{{0, 1}, {3}}, SampleOptions{MaxTokens: 20, Temperature: 1,
			Seed: int64(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := lm.Perplexity(patternTokens(100), 8); err != nil {
			t.Fatal(err)
		}
	}
	drift = float64(residentBytes(t)-before) / (1 << 20)
	t.Logf("200 rounds of Generate (40 forward passes) and Perplexity: RSS drift %+.2f MB", drift)
	if drift > 8 {
		t.Errorf("resident memory grew %.1f MB over 200 rounds of generation, want under 8 MB", drift)
	}
}

// BenchmarkLMStep times one training step of experiments/fortunes-lm.yaml's
// model (vocabulary 4,000, context 64, width 128, 4 layers, 4 heads, batch
// 32, dropout 0.1) on 2 threads. Set OMP_WAIT_POLICY=PASSIVE and
// OPENBLAS_NUM_THREADS=2 when running it.
func BenchmarkLMStep(b *testing.B) {
	defer session()()
	if _, err := SetThreads(2); err != nil {
		b.Fatal(err)
	}
	cfg := LMConfig{Vocab: 4000, Context: 64, Dim: 128, Layers: 4, Heads: 4, Dropout: 0.1,
		WeightDecay: 0.1, Warmup: 10, MinLR: 1e-4, ClipNorm: 1,
		Training: Training{Batch: 32, Epochs: 1, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Device: gotch.CPU}}
	if err := cfg.defaults(); err != nil {
		b.Fatal(err)
	}
	lm, err := newLM(cfg.meta(), gotch.CPU, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer lm.Close()
	tr := newLMTrainer(lm, cfg)
	defer tr.close()
	tr.total = 1000

	ids := make([]int64, 32*65)
	for i := range ids {
		ids[i] = int64(i * 7919 % 4000)
	}
	batch, err := idsTensor(ids, 32, 65, 4000, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	defer batch.MustDrop()
	m := newMeter("loss", "lr")
	var a arena
	for i := range 5 { // warm-up: allocator and OpenMP pools
		if err := tr.step(&a, batch, i, m); err != nil {
			b.Fatal(err)
		}
		a.free()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tr.step(&a, batch, i%1000, m); err != nil {
			b.Fatal(err)
		}
		a.free()
	}
}
