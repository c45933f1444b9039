package neural

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/tensor"
	"github.com/pipe-ml/pipe/torch"
)

func init() {
	pipeline.Register(trainLM{})
	pipeline.Register(evalPerplexity{})
}

type trainLM struct{}

func (trainLM) Kind() string { return "train/lm" }
func (trainLM) Version() int { return 1 }

func (trainLM) Schema() pipeline.Schema {
	positive := pipeline.AtLeast(1)
	dropMin, dropMax := pipeline.Bounds(0, 0.9)
	return pipeline.Schema{
		Produces: "model/lm",
		Doc: "a decoder-only Transformer language model (GPT-2 layout: pre-LayerNorm blocks, " +
			"causal multi-head attention, GELU, output tied to the token embedding) trained with " +
			"AdamW, linear warm-up and cosine decay, gradient clipping",
		Params: []pipeline.Param{
			{Name: "tokens", Type: pipeline.String, Default: "text",
				Doc: "the tensor of token ids to train on (tokenize/encode names it after the text file)"},
			{Name: "vocab", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "vocabulary size; 0 takes the tokens' vocab_size metadata, else the largest id + 1"},
			{Name: "context", Type: pipeline.Int, Default: int64(128), Min: positive,
				Doc: "the longest sequence the model reads; training windows have this many inputs"},
			{Name: "dim", Type: pipeline.Int, Default: int64(128), Min: positive, Doc: "embedding width"},
			{Name: "layers", Type: pipeline.Int, Default: int64(4), Min: positive},
			{Name: "heads", Type: pipeline.Int, Default: int64(4), Min: positive, Doc: "must divide dim"},
			{Name: "ffn", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "feed-forward hidden width; 0 means 4 x dim (GPT-2's ratio)"},
			{Name: "dropout", Type: pipeline.Float, Default: 0.1, Min: dropMin, Max: dropMax},
			{Name: "batch", Type: pipeline.Int, Default: int64(32), Min: positive, Doc: "windows per step"},
			{Name: "epochs", Type: pipeline.Int, Default: int64(1), Min: positive},
			{Name: "lr", Type: pipeline.Float, Default: 1e-3, Min: pipeline.AtLeast(0),
				Doc: "peak learning rate, reached at the end of warm-up"},
			{Name: "min_lr", Type: pipeline.Float, Default: 1e-4, Min: pipeline.AtLeast(0),
				Doc: "learning rate at the last step, after the cosine decay"},
			{Name: "warmup", Type: pipeline.Int, Default: int64(100), Min: pipeline.AtLeast(0),
				Doc: "steps of linear warm-up"},
			{Name: "weight_decay", Type: pipeline.Float, Default: 0.1, Min: pipeline.AtLeast(0),
				Doc: "AdamW's decoupled weight decay, on weight matrices and embeddings only"},
			// 0.9 and 0.999: PyTorch's AdamW defaults.
			{Name: "beta1", Type: pipeline.Float, Default: 0.9, Min: pipeline.AtLeast(0)},
			{Name: "beta2", Type: pipeline.Float, Default: 0.999, Min: pipeline.AtLeast(0)},
			{Name: "clip_norm", Type: pipeline.Float, Default: 1.0, Min: pipeline.AtLeast(0),
				Doc: "bound on the global gradient norm; 0 disables clipping"},
			{Name: "checkpoint_every", Type: pipeline.Int, Default: int64(500), Min: positive,
				Doc: "steps between checkpoints; a killed run resumes from the last one"},
		},
		Inputs: []pipeline.Input{{Name: "tokens",
			Doc: "a tokenize/encode stage (" + stages.TokensFile + "), or any stage whose " +
				stages.DataFile + " holds a 1-D I64 tensor of ids under the name given by tokens"}},
	}
}

func (trainLM) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("tokens")
	if err != nil {
		return err
	}
	ids, vocab, err := readTokens(in, rc.Params.String("tokens"))
	if err != nil {
		return err
	}
	if v := rc.Params.Int("vocab"); v > 0 {
		vocab = v
	}
	if vocab == 0 {
		return fmt.Errorf("input from stage %q: no vocab_size metadata and no ids; set vocab", in.Stage)
	}
	tr, err := training(rc, "loss", "lr")
	if err != nil {
		return err
	}
	cfg := torch.LMConfig{
		Vocab: vocab, Context: rc.Params.Int("context"), Dim: rc.Params.Int("dim"),
		Layers: rc.Params.Int("layers"), Heads: rc.Params.Int("heads"), FFN: rc.Params.Int("ffn"),
		Dropout: rc.Params.Float("dropout"), WeightDecay: rc.Params.Float("weight_decay"),
		Warmup: rc.Params.Int("warmup"), MinLR: rc.Params.Float("min_lr"),
		ClipNorm: rc.Params.Float("clip_norm"), Training: tr,
	}
	rc.Log.Info("training lm", "tokens", ids.Shape[0], "vocab", vocab, "context", cfg.Context)
	lm, err := torch.TrainLM(ctx, ids, cfg)
	if err != nil {
		return err
	}
	defer lm.Close()
	rc.Metric("params", float64(lm.Params()))
	if n := len(lm.Losses); n > 0 {
		rc.Metric("loss", lm.Losses[n-1].Loss)
	}
	return lm.Save(rc.Out)
}

// readTokens reads the named tensor of token ids from a tokenize/encode
// stage's TokensFile or, failing that, from a DataFile; vocab is the
// tokens' vocab_size metadata, or the largest id + 1 when there is none.
func readTokens(in *pipeline.Artifact, name string) (*tensor.Tensor, int, error) {
	file := stages.TokensFile
	if !in.Has(file) {
		file = stages.DataFile
	}
	if !in.Has(file) {
		return nil, 0, fmt.Errorf("input from stage %q (%s) has neither %s nor %s",
			in.Stage, in.Kind, stages.TokensFile, stages.DataFile)
	}
	all, meta, err := tensor.ReadSafetensorsFile(in.Path(file))
	if err != nil {
		return nil, 0, err
	}
	t, ok := all[name]
	if !ok {
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		return nil, 0, fmt.Errorf("input from stage %q: %s holds no tensor %q (it has %v)",
			in.Stage, file, name, names)
	}
	if len(t.Shape) != 1 || (t.DType != tensor.Int64 && t.DType != tensor.Int32) {
		return nil, 0, fmt.Errorf("input from stage %q: tensor %q is %s %v, want a 1-D I64 stream of ids",
			in.Stage, name, t.DType, t.Shape)
	}
	if s, ok := meta["vocab_size"]; ok {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return nil, 0, fmt.Errorf("input from stage %q: %s: vocab_size %q is not a positive integer",
				in.Stage, file, s)
		}
		return t, v, nil
	}
	vocab := 0
	for _, id := range t.Int64s() {
		vocab = max(vocab, int(id)+1)
	}
	return t, vocab, nil
}

type evalPerplexity struct{}

func (evalPerplexity) Kind() string { return "eval/perplexity" }
func (evalPerplexity) Version() int { return 1 }

func (evalPerplexity) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "metrics",
		Doc: "a language model's perplexity, exp(mean negative log-likelihood per token), " +
			"on held-out token ids",
		Params: []pipeline.Param{
			{Name: "tokens", Type: pipeline.String, Default: "heldout",
				Doc: "the tensor of token ids to score (tokenize/encode's \"heldout\" for heldout.txt)"},
			{Name: "stride", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "tokens between window starts; 0 means the model's context (independent windows); " +
					"smaller gives every prediction more history and costs more"},
		},
		Inputs: []pipeline.Input{
			{Name: "model", Doc: "a train/lm stage", Accepts: []string{"model/lm"}},
			{Name: "tokens", Doc: "a tokenize/encode stage", Accepts: []string{"tokens"}},
		},
		Unseeded: true,
	}
}

func (evalPerplexity) Run(ctx context.Context, rc *pipeline.RunContext) error {
	lm, err := loadLM(rc)
	if err != nil {
		return err
	}
	defer lm.Close()
	in, err := rc.Input("tokens")
	if err != nil {
		return err
	}
	ids, vocab, err := readTokens(in, rc.Params.String("tokens"))
	if err != nil {
		return err
	}
	if vocab > lm.Vocab() {
		return fmt.Errorf("tokens from stage %q have a vocabulary of %d, the model %d",
			in.Stage, vocab, lm.Vocab())
	}
	stride := rc.Params.Int("stride")
	if stride == 0 {
		stride = lm.Context()
	}
	ev, err := lm.Perplexity(ids, stride)
	if err != nil {
		return err
	}
	if err := finite("perplexity", ev.Perplexity); err != nil {
		return err
	}
	rc.Metric("perplexity", ev.Perplexity)
	rc.Metric("nll", ev.NLL)
	rc.Metric("tokens", float64(ev.Tokens))
	rc.Log.Info("lm evaluated", "tokens", ev.Tokens, "nll", ev.NLL, "perplexity", ev.Perplexity)
	return os.WriteFile(filepath.Join(rc.Out, "metrics.json"),
		fmt.Appendf(nil, "{\"perplexity\": %g, \"nll\": %g, \"tokens\": %d, \"stride\": %d}\n",
			ev.Perplexity, ev.NLL, ev.Tokens, stride), 0o644)
}

// loadLM loads the train/lm stage connected to the model slot, after
// setting the stage's thread count.
func loadLM(rc *pipeline.RunContext) (*torch.LM, error) {
	m, err := rc.Input("model")
	if err != nil {
		return nil, err
	}
	if m.Kind != "train/lm" {
		return nil, fmt.Errorf("input model from stage %q is %s; want train/lm", m.Stage, m.Kind)
	}
	dev, err := device(rc)
	if err != nil {
		return nil, err
	}
	return torch.LoadLM(m.Dir, dev)
}
