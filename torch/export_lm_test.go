package torch

import (
	"context"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/pipe-ml/pipe/tensor"
)

// The language model's export cases, for TestExportTorchScript. They live
// apart from the GAN and VAE cases because they need the LM (lm*.go).
func init() {
	moreExportCases = append(moreExportCases, lmExportCase("lm",
		LMConfig{Vocab: 11, Context: 16, Dim: 32, Layers: 2, Heads: 4, Dropout: 0.1,
			Training: Training{Batch: 8, Epochs: 1, LR: 3e-3, Seed: 5}}))
	// LMConfig's defaults: context 128, width 128, 4 blocks of 4 heads.
	moreFullExportCases = append(moreFullExportCases, lmExportCase("full-lm",
		LMConfig{Vocab: 512, Dropout: 0.1, Training: Training{Batch: 4, Epochs: 1, LR: 1e-3, Seed: 5}}))
}

// lmExportCase trains cfg for one epoch on a stream with some structure (a
// cycle of 7 with every 5th token replaced) and runs Logits as pipe's
// forward.
func lmExportCase(name string, cfg LMConfig) exportCase {
	return exportCase{
		name: name,
		train: func(t *testing.T, dir string) {
			ctx := max(cfg.Context, 128) // 128: LMConfig's default
			ids := make([]int64, (ctx+1)*cfg.Batch*3)
			for i := range ids {
				ids[i] = int64(i % 7)
				if i%5 == 0 {
					ids[i] = int64(7 + i%4)
				}
			}
			lm, err := TrainLM(context.Background(), tensor.FromInt64(ids, len(ids)), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer lm.Close()
			if err := lm.Save(dir); err != nil {
				t.Fatal(err)
			}
		},
		forward: func(t *testing.T, dir string, in map[string]*tensor.Tensor) map[string]*tensor.Tensor {
			lm, err := LoadLM(dir, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer lm.Close()
			logits, err := lm.Logits(in["ids"])
			if err != nil {
				t.Fatal(err)
			}
			return map[string]*tensor.Tensor{"logits": logits}
		},
	}
}
