package torch

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/pipe-ml/pipe/tensor"
)

// patternTokens is a stream a tiny model learns in a few dozen steps: the
// cycle 0..6 repeated, vocabulary 10.
func patternTokens(n int) *tensor.Tensor {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i % 7)
	}
	return tensor.FromInt64(ids, n)
}

func smallLM() LMConfig {
	return LMConfig{
		Vocab: 10, Context: 16, Dim: 32, Layers: 2, Heads: 4, Dropout: 0.1,
		WeightDecay: 0.1, Warmup: 4, MinLR: 1e-4, ClipNorm: 1,
		Training: Training{Batch: 8, Epochs: 3, LR: 3e-3, Seed: 5, Threads: 2},
	}
}

func TestTrainLM(t *testing.T) {
	cfg := smallLM()
	cfg.Epochs = 8
	lm, err := TrainLM(
		context.Background(),
		patternTokens(16*40+1),
		cfg,
	) // 40 windows, 5 steps an epoch
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	if len(lm.Losses) != 8 {
		t.Fatalf("%d epochs of losses, want 8", len(lm.Losses))
	}
	for _, l := range lm.Losses {
		t.Logf("epoch %d: loss %.4f lr %.2e", l.Epoch, l.Loss, l.LR)
	}
	first, last := lm.Losses[0].Loss, lm.Losses[7].Loss
	if !(last < first && last < 1) {
		t.Errorf("loss went from %.3f to %.3f; want it to fall below 1 nat on a 7-cycle", first, last)
	}

	ev, err := lm.Perplexity(patternTokens(200), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("perplexity %.3f over %d tokens", ev.Perplexity, ev.Tokens)
	if ev.Tokens != 199 || !(ev.Perplexity < 3) {
		t.Errorf("Perplexity = %+v; want 199 tokens and perplexity below 3", ev)
	}

	// Saved and reloaded, the model gives the same logits.
	dir := t.TempDir()
	if err := lm.Save(dir); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, LossesFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 9 ||
		lines[0] != "epoch,loss,lr" {
		t.Errorf("losses.csv = %q, want a header and 8 rows", csv)
	}
	lm2, err := LoadLM(dir, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer lm2.Close()
	ids := tensor.FromInt64([]int64{1, 2, 3, 4, 5, 6, 0, 1}, 2, 4)
	a, err := lm.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lm2.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(a, b); d != 0 {
		t.Errorf("reloaded model's logits differ by %g", d)
	}
}

// TestResumeLM interrupts a run after step 7 (checkpoints every 3 steps)
// and expects the resumed run to end with the weights of an uninterrupted
// one: the schedule, dropout draws and data order depend on the step alone.
func TestResumeLM(t *testing.T) {
	tokens := patternTokens(16*24 + 1) // 24 windows, 3 steps an epoch, 9 steps
	cfg := smallLM()
	want, err := TrainLM(context.Background(), tokens, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()

	cfg.CheckpointDir, cfg.CheckpointEvery = t.TempDir(), 3
	ctx, cancel := context.WithCancel(context.Background())
	killed := cfg
	killed.Progress = stopAt(7, cancel)
	if _, err := TrainLM(ctx, tokens, killed); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: error %v, want context.Canceled", err)
	}
	var first int
	cfg.Progress = func(done, total int) {
		if first == 0 {
			first = done
		}
	}
	got, err := TrainLM(context.Background(), tokens, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if first != 7 {
		t.Errorf("resumed run's first step was %d, want 7 (after the checkpoint at 6)", first)
	}
	if !bytes.Equal(weightsOf(t, want.m), weightsOf(t, got.m)) {
		t.Errorf(
			"resumed weights differ from an uninterrupted run's by up to %g",
			maxAbsDiff(t, want.m, got.m),
		)
	}
}

func TestTrainLMErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tokens *tensor.Tensor
		edit   func(*LMConfig)
		want   string
	}{
		{"heads", patternTokens(200), func(c *LMConfig) { c.Heads = 5 },
			"heads (5) must divide dim (32)"},
		{"short", patternTokens(40), nil, "40 tokens make 2 windows of 16+1, fewer than the batch of 8"},
		{"vocab", tensor.FromInt64(append(make([]int64, 200), 10), 201), nil,
			"token id 10 at position 200"},
		{"inf lr", patternTokens(200), func(c *LMConfig) { c.LR = math.Inf(1) },
			"learning rate must be positive and finite"},
		{"shape", tensor.FromInt64(make([]int64, 200), 2, 100), nil, "want one stream"},
		{"min lr", patternTokens(200), func(c *LMConfig) { c.MinLR = 1 }, "minimum learning rate"},
		{"nan guard", patternTokens(400), func(c *LMConfig) {
			c.LR, c.MinLR, c.ClipNorm,
				c.Warmup = 1e30, 1e30, 0, 0
		}, "loss is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallLM()
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			lm, err := TrainLM(context.Background(), tc.tokens, cfg)
			if err == nil {
				lm.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("TrainLM error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLRSchedule(t *testing.T) {
	tr := &lmTrainer{cfg: LMConfig{Warmup: 4, MinLR: 0.1, Training: Training{LR: 1}}, total: 13}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 0.25}, {3, 1}, {4, 1}, {8, 0.55}, {12, 0.1}, {20, 0.1},
	} {
		if got := tr.lr(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("lr(%d) = %v, want %v", tc.step, got, tc.want)
		}
	}
}
