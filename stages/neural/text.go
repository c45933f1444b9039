package neural

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/metrics"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/tokenize"
	"github.com/pipe-ml/pipe/torch"
)

func init() {
	pipeline.Register(generateText{})
	pipeline.Register(evalBLEU{})
}

// Files generate/text writes: SamplesFile for programs (one JSON object a
// line, see Sample), SamplesText for people.
const (
	SamplesFile = "samples.jsonl"
	SamplesText = "samples.txt"
)

// Sample is one line of SamplesFile. Reference is set for continuations
// of held-out documents: the document's true text after the prompt, cut to
// as many tokens as the sample was allowed.
type Sample struct {
	Prompt    string `json:"prompt"`
	Text      string `json:"text"`
	Tokens    int    `json:"tokens"`
	Reference string `json:"reference,omitempty"`
}

type generateText struct{}

func (generateText) Kind() string { return "generate/text" }
func (generateText) Version() int { return 1 }

func (generateText) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "text samples",
		Doc: "text sampled from a train/lm model: continuations of prompts (from a file or the " +
			"spec), of the first tokens of held-out documents (with references, for eval/bleu), " +
			"or from nothing; writes " + SamplesFile + " and " + SamplesText,
		Params: []pipeline.Param{
			{Name: "prompts_file", Type: pipeline.Path, Doc: "UTF-8 file of prompts, one a line"},
			{Name: "prompts", Type: pipeline.Strings, Doc: "prompts given in the spec"},
			{Name: "count", Type: pipeline.Int, Default: int64(1), Min: pipeline.AtLeast(1),
				Doc: "samples per prompt; with no prompts and no text input, unconditional samples"},
			{Name: "continuations", Type: pipeline.Int, Default: int64(100), Min: pipeline.AtLeast(0),
				Doc: "held-out documents to continue, when a text input is connected"},
			{Name: "prompt_tokens", Type: pipeline.Int, Default: int64(16), Min: pipeline.AtLeast(1),
				Doc: "tokens of each held-out document given as its prompt"},
			{Name: "max_tokens", Type: pipeline.Int, Default: int64(64), Min: pipeline.AtLeast(1),
				Doc: "new tokens per sample at most"},
			{Name: "temperature", Type: pipeline.Float, Default: 0.8, Min: pipeline.AtLeast(0),
				Doc: "0 decodes greedily"},
			{Name: "top_k", Type: pipeline.Int, Default: int64(40), Min: pipeline.AtLeast(0),
				Doc: "keep the k most likely tokens; 0 keeps all"},
			{Name: "top_p", Type: pipeline.Float, Default: 0.95, Min: topPMin, Max: topPMax,
				Doc: "nucleus: keep the most likely tokens up to this probability; 1 keeps all"},
			{Name: "stop", Type: pipeline.String, Default: "<|endoftext|>",
				Doc: "a token that ends a sample and separates held-out documents; empty: none"},
			{Name: "start", Type: pipeline.String, Default: "<|endoftext|>\n",
				Doc: "text put before every prompt, as the training text has it before every " +
					"document (dataset/text's document_end)"},
		},
		Inputs: []pipeline.Input{
			{Name: "model", Doc: "a train/lm stage", Accepts: []string{"model/lm"}},
			{
				Name:    "tokenizer",
				Doc:     "the tokenize/bpe stage the model's tokens came from",
				Accepts: []string{"tokenizer"},
			},
			{Name: "text", Optional: true, Doc: "a dataset/text stage whose " + stages.HeldoutFile +
				" gives documents to continue"},
		},
	}
}

var topPMin, topPMax = pipeline.Bounds(0, 1)

// request is one sample to make.
type request struct {
	prompt string
	ids    []int
	ref    string
}

func (generateText) Run(ctx context.Context, rc *pipeline.RunContext) error {
	tokIn, err := rc.Input("tokenizer")
	if err != nil {
		return err
	}
	if !tokIn.Has(stages.TokenizerFile) {
		return fmt.Errorf(
			"input from stage %q (%s) has no %s",
			tokIn.Stage,
			tokIn.Kind,
			stages.TokenizerFile,
		)
	}
	tok, err := tokenize.LoadFile(tokIn.Path(stages.TokenizerFile))
	if err != nil {
		return err
	}
	p := rc.Params
	opts := torch.SampleOptions{
		MaxTokens: p.Int("max_tokens"), Temperature: p.Float("temperature"),
		TopK: p.Int("top_k"), TopP: p.Float("top_p"), Seed: rc.Seed,
	}
	if s := p.String("stop"); s != "" {
		id, ok := tok.TokenToID(s)
		if !ok {
			return fmt.Errorf("stop token %q is not in the tokenizer's vocabulary", s)
		}
		opts.Stop = []int{id}
	}

	reqs, err := promptRequests(rc, tok)
	if err != nil {
		return err
	}
	if textIn, ok := rc.Inputs["text"]; ok {
		more, err := heldoutRequests(textIn, tok, p.String("stop"), p.Int("continuations"),
			p.Int("prompt_tokens"), opts.MaxTokens)
		if err != nil {
			return err
		}
		reqs = append(reqs, more...)
	}
	start := encodeLines(tok, p.String("start"))
	if len(reqs) == 0 {
		if len(start) == 0 {
			return fmt.Errorf("nothing to generate from: no prompts, no text input and an empty start")
		}
		for range p.Int("count") {
			reqs = append(reqs, request{ids: nil})
		}
	}

	lm, err := loadLM(rc)
	if err != nil {
		return err
	}
	defer lm.Close()
	prompts := make([][]int, len(reqs))
	for i, r := range reqs {
		prompts[i] = append(append([]int{}, start...), r.ids...)
	}
	rc.Log.Info("generating", "samples", len(prompts), "max_tokens", opts.MaxTokens)
	gen, err := lm.Generate(prompts, opts)
	if err != nil {
		return err
	}

	var jsonl, txt bytes.Buffer
	enc := json.NewEncoder(&jsonl)
	enc.SetEscapeHTML(false)
	total := 0
	for i, r := range reqs {
		s := Sample{Prompt: r.prompt, Text: tok.Decode(gen[i]), Tokens: len(gen[i]), Reference: r.ref}
		total += s.Tokens
		if err := enc.Encode(s); err != nil {
			return err
		}
		fmt.Fprintf(&txt, "=== sample %d\nprompt: %s\ngenerated: %s\n", i+1, s.Prompt, s.Text)
		if s.Reference != "" {
			fmt.Fprintf(&txt, "reference: %s\n", s.Reference)
		}
	}
	rc.Metric("samples", float64(len(reqs)))
	rc.Metric("mean_tokens", float64(total)/float64(len(reqs)))
	if err := os.WriteFile(filepath.Join(rc.Out, SamplesFile), jsonl.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(rc.Out, SamplesText), txt.Bytes(), 0o644)
}

// promptRequests reads the prompts of prompts_file and prompts, count
// samples of each.
func promptRequests(rc *pipeline.RunContext, tok *tokenize.BPE) ([]request, error) {
	var prompts []string
	if path := rc.Params.String("prompts_file"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for line := 1; sc.Scan(); line++ {
			s := strings.TrimSuffix(sc.Text(), "\r")
			if strings.TrimSpace(s) == "" {
				continue
			}
			prompts = append(prompts, s)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read prompts %s: %w", path, err)
		}
		if len(prompts) == 0 {
			return nil, fmt.Errorf("%s: no prompts (one a line, blank lines skipped)", path)
		}
	}
	prompts = append(prompts, rc.Params.Strings("prompts")...)
	var out []request
	for _, s := range prompts {
		ids := encodeLines(tok, s)
		for range rc.Params.Int("count") {
			out = append(out, request{prompt: s, ids: ids})
		}
	}
	return out, nil
}

// heldoutRequests cuts the first n held-out documents long enough to have
// a continuation into a prompt of promptTokens tokens and a reference of
// at most maxTokens tokens.
func heldoutRequests(in *pipeline.Artifact, tok *tokenize.BPE, sep string,
	n, promptTokens, maxTokens int) ([]request, error) {
	if !in.Has(stages.HeldoutFile) {
		return nil, fmt.Errorf("input text from stage %q (%s) has no %s: set its holdout",
			in.Stage, in.Kind, stages.HeldoutFile)
	}
	data, err := os.ReadFile(in.Path(stages.HeldoutFile))
	if err != nil {
		return nil, err
	}
	docs := []string{string(data)}
	if sep != "" {
		docs = strings.Split(string(data), sep)
	}
	var out []request
	for _, d := range docs {
		if len(out) == n {
			break
		}
		// The separator is followed by the newline dataset/text writes.
		d = strings.TrimPrefix(d, "\n")
		ids := encodeLines(tok, d)
		if len(ids) <= promptTokens {
			continue
		}
		ref := ids[promptTokens:min(len(ids), promptTokens+maxTokens)]
		out = append(out, request{
			prompt: tok.Decode(ids[:promptTokens]), ids: ids[:promptTokens], ref: tok.Decode(ref),
		})
	}
	if len(out) == 0 && n > 0 {
		return nil, fmt.Errorf("%s of stage %q: no document has more than %d tokens",
			stages.HeldoutFile, in.Stage, promptTokens)
	}
	return out, nil
}

// encodeLines encodes text one line at a time, every line keeping its
// "\n", as tokenize/encode does: the model was trained on those ids.
func encodeLines(tok *tokenize.BPE, text string) []int {
	var ids []int
	for _, line := range strings.SplitAfter(text, "\n") {
		if line != "" {
			ids = append(ids, tok.Encode(line).IDs...)
		}
	}
	return ids
}

type evalBLEU struct{}

func (evalBLEU) Kind() string { return "eval/bleu" }
func (evalBLEU) Version() int { return 1 }

func (evalBLEU) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "metrics",
		Doc: "corpus BLEU (sacreBLEU 2.6) of generated continuations against the held-out " +
			"true continuations, from a generate/text stage's samples that have references",
		Params: []pipeline.Param{
			{Name: "tokenize", Type: pipeline.String, Default: "13a",
				Enum: []string{"13a", "intl", "char", "none"}},
			{Name: "smooth", Type: pipeline.String, Default: "exp",
				Enum: []string{"exp", "floor", "add-k", "none"}},
			{Name: "lowercase", Type: pipeline.Bool, Default: false},
		},
		Inputs: []pipeline.Input{
			{
				Name:    "samples",
				Doc:     "a generate/text stage with a text input",
				Accepts: []string{"text samples"},
			},
		},
		Unseeded: true,
	}
}

func (evalBLEU) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("samples")
	if err != nil {
		return err
	}
	if !in.Has(SamplesFile) {
		return fmt.Errorf("input from stage %q (%s) has no %s", in.Stage, in.Kind, SamplesFile)
	}
	data, err := os.ReadFile(in.Path(SamplesFile))
	if err != nil {
		return err
	}
	var hyps, refs []string
	dec := json.NewDecoder(bytes.NewReader(data))
	for line := 1; dec.More(); line++ {
		var s Sample
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("%s:%d: %w", in.Path(SamplesFile), line, err)
		}
		if s.Reference != "" {
			hyps, refs = append(hyps, oneLine(s.Text)), append(refs, oneLine(s.Reference))
		}
	}
	if len(hyps) == 0 {
		return fmt.Errorf("samples of stage %q have no references: connect a text input to it", in.Stage)
	}
	opts := metrics.BLEUOptions{
		Tokenize: rc.Params.String("tokenize"), Smooth: rc.Params.String("smooth"),
		Lowercase: rc.Params.Bool("lowercase"),
	}
	score, err := metrics.CorpusBLEU(hyps, [][]string{refs}, opts)
	if err != nil {
		return err
	}
	rc.Metric("bleu", score.Score)
	rc.Metric("segments", float64(len(hyps)))
	line := score.FormatWithSignature()
	rc.Log.Info("bleu", "segments", len(hyps), "score", line)
	js, err := json.MarshalIndent(map[string]any{
		"score": score.Score, "signature": score.Signature(), "verbose": line,
		"precisions": score.Precisions, "bp": score.BP, "sys_len": score.SysLen,
		"ref_len": score.RefLen, "segments": len(hyps),
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(rc.Out, "bleu.json"), append(js, '\n'), 0o644)
}

// oneLine joins a multi-line text into one segment: sacreBLEU scores
// lines, and a fortune's continuation spans several.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
