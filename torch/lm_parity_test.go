package torch

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/pipe-ml/pipe/tensor"
)

// lmParityTol is the bound on logits against PyTorch. lm_ref.py
// prints the float32 rounding noise of the reference itself (3.2e-6 against
// the same model in float64), so 1e-5 leaves room for a different order of
// summation but not for a wrong head split, mask or scaling.
const lmParityTol = 1e-5

// TestLMForwardParity loads the weights PyTorch's own Transformer modules
// were given in testdata/lm_ref.py and expects the logits they computed.
func TestLMForwardParity(t *testing.T) {
	path := filepath.Join("testdata", "lm_ref.safetensors")
	weights, md, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta lmMeta
	if err := json.Unmarshal([]byte(md[lmMetaKey]), &meta); err != nil {
		t.Fatalf("%s: metadata: %v", path, err)
	}
	lm, err := lmFromWeights(meta, weights, gotch.CPU, path)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()

	ids := weights["input_ids"]
	got, err := lm.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	want := weights["logits"]
	if !equalInts(got.Shape, want.Shape) {
		t.Fatalf("Logits shape %v, want %v", got.Shape, want.Shape)
	}
	if d := maxDiff(got, want); d > lmParityTol {
		t.Errorf("logits differ from PyTorch's by up to %.3g, want at most %g", d, lmParityTol)
	} else {
		t.Logf("logits max |Go - PyTorch| = %.3g", d)
	}

	// The loss path: mean cross-entropy of each next token.
	rows, cols := ids.Shape[0], ids.Shape[1]
	v := ids.Int64s()
	var x, y []int64
	for r := range rows {
		x = append(x, v[r*cols:(r+1)*cols-1]...)
		y = append(y, v[r*cols+1:(r+1)*cols]...)
	}
	defer session()()
	nll, err := lm.tokenNLL(x, y, rows, cols-1)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, l := range nll {
		sum += l
	}
	wantLoss := float64(weights["loss"].Float32s()[0])
	if d := math.Abs(sum/float64(len(nll)) - wantLoss); d > 1e-5 {
		t.Errorf("loss %.7f, PyTorch %.7f", sum/float64(len(nll)), wantLoss)
	}
}

// TestLMTrainStepParity takes two training steps from the fixture's
// weights (no dropout) and expects the weights torch.optim.AdamW gave after
// clip_grad_norm_ in lm_ref.py. The gradient norms (10.5 and more) are
// clipped to 1 in both steps.
func TestLMTrainStepParity(t *testing.T) {
	path := filepath.Join("testdata", "lm_ref.safetensors")
	weights, md, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta lmMeta
	var step struct {
		LR          float64 `json:"lr"`
		WeightDecay float64 `json:"weight_decay"`
		Clip        float64 `json:"clip"`
	}
	if err := json.Unmarshal([]byte(md[lmMetaKey]), &meta); err != nil {
		t.Fatalf("%s: metadata: %v", path, err)
	}
	if err := json.Unmarshal([]byte(md["pipe.step"]), &step); err != nil {
		t.Fatalf("%s: metadata: %v", path, err)
	}
	meta.Dropout = 0
	lm, err := lmFromWeights(meta, weights, gotch.CPU, path)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()

	cfg := LMConfig{WeightDecay: step.WeightDecay, MinLR: step.LR, ClipNorm: step.Clip,
		Training: Training{LR: step.LR, Beta1: 0.9, Beta2: 0.999}}
	tr := newLMTrainer(lm, cfg)
	defer tr.close()
	tr.total = 2

	defer session()()
	ids := weights["input_ids"]
	batch, err := idsTensor(ids.Int64s(), ids.Shape[0], ids.Shape[1], meta.Vocab, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer batch.MustDrop()
	var a arena
	defer a.free()
	m := newMeter("loss", "lr")
	for i := range 2 {
		if err := tr.step(&a, batch, i, m); err != nil {
			t.Fatal(err)
		}
		a.free()
		if i == 0 {
			if d := math.Abs(m.Sum[0] - float64(weights["loss"].Float32s()[0])); d > 1e-5 {
				t.Errorf("step loss %.7f, PyTorch %.7f", m.Sum[0], weights["loss"].Float32s()[0])
			}
		}
	}

	// The key bias is skipped: adding a constant to every key shifts each
	// row of scores by a constant, which softmax ignores, so its gradient
	// is rounding noise (about 1e-9) and Adam's normalised step turns that
	// noise into moves of up to lr·|g|/(|g|+eps) in either direction.
	var worst float64
	var worstName string
	for _, v := range lm.m.vars {
		got, want := toTensor(v.t).Float64s(), weights["step."+v.name].Float64s()
		for i := range got {
			if strings.HasSuffix(v.name, "attn.qkv.bias") && i >= meta.Dim && i < 2*meta.Dim {
				continue
			}
			if d := math.Abs(got[i] - want[i]); d > worst {
				worst, worstName = d, v.name
			}
		}
	}
	// An AdamW step moves a weight by about lr = 0.01; an error in the
	// clipping, the decay or the moments shows at that scale.
	if worst > 1e-5 {
		t.Errorf("weights after two steps differ from PyTorch's by up to %.3g (%s)", worst, worstName)
	} else {
		t.Logf("weights after two AdamW steps: max |Go - PyTorch| = %.3g (%s)", worst, worstName)
	}
}
