package neural

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/pipelinetest"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/tokenize"
)

// runLMSpec runs spec through pipelinetest.Run.
func runLMSpec(t *testing.T, dir, spec string) map[string]*pipeline.StageResult {
	t.Helper()
	return pipelinetest.Run(t, dir, spec)
}

// TestTextStages runs the text chain of fortunes-lm.yaml at toy size on
// the tokenizer's reference corpus (24 KB of Debian's fortunes): BPE,
// encoding, a two-layer model for two epochs, perplexity, samples from
// prompts in a file and the spec, continuations of held-out fortunes and
// their BLEU.
func TestTextStages(t *testing.T) {
	corpus, err := filepath.Abs("../../tokenize/testdata/ref/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.txt")
	if err := os.WriteFile(prompts, []byte("The\n\nA computer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runLMSpec(t, dir, `name: lm-test
seed: 3
stages:
  text:
    uses: dataset/text
    with: {files: [`+corpus+`], separator: "%", holdout: 0.1, document_end: "<|endoftext|>\n"}
  bpe:
    uses: tokenize/bpe
    inputs: [text]
    with: {vocab_size: 400, special_tokens: ["<|endoftext|>"]}
  ids:
    uses: tokenize/encode
    inputs: {tokenizer: bpe, text: text}
  lm:
    uses: train/lm
    inputs: [ids]
    with: {context: 32, dim: 32, layers: 2, heads: 2, batch: 16, epochs: 2, warmup: 5, lr: 3e-3}
  ppl:
    uses: eval/perplexity
    inputs: {model: lm, tokens: ids}
  samples:
    uses: generate/text
    inputs: {model: lm, tokenizer: bpe}
    with: {prompts_file: `+prompts+`, prompts: ["Q:"], count: 2, max_tokens: 12}
  free:
    uses: generate/text
    inputs: {model: lm, tokenizer: bpe}
    with: {count: 3, max_tokens: 12}
  cont:
    uses: generate/text
    inputs: {model: lm, tokenizer: bpe, text: text}
    with: {continuations: 10, prompt_tokens: 8, max_tokens: 16, temperature: 0}
  bleu:
    uses: eval/bleu
    inputs: [cont]
`)
	for _, name := range []string{"text", "bpe", "ids", "lm", "ppl", "samples", "free", "cont",
		"bleu"} {
		if r := res[name]; r == nil || r.Err != nil {
			t.Fatalf("stage %s: %+v", name, r)
		}
	}
	m := res["lm"].Metrics
	t.Logf("lm: %v params, final epoch loss %.3f", m["params"], m["loss"])
	ppl := res["ppl"].Metrics["perplexity"]
	t.Logf("held-out perplexity %.1f over %v tokens", ppl, res["ppl"].Metrics["tokens"])
	// Uniform guessing over 400 tokens gives 400; two epochs must beat it.
	if !(ppl > 1 && ppl < 400) {
		t.Errorf("held-out perplexity %v, want it in (1, 400)", ppl)
	}

	samples := readSamples(t, res["samples"].Dir)
	if len(samples) != 6 {
		t.Fatalf("%d samples from 2 file prompts and 1 spec prompt, 2 each; want 6", len(samples))
	}
	for i, want := range []string{"The", "The", "A computer", "A computer", "Q:", "Q:"} {
		if samples[i].Prompt != want || samples[i].Tokens < 1 || samples[i].Tokens > 12 ||
			samples[i].Reference != "" {
			t.Errorf("sample %d = %+v; want prompt %q, 1-12 tokens, no reference", i, samples[i], want)
		}
	}
	if free := readSamples(t, res["free"].Dir); len(free) != 3 || free[0].Prompt != "" {
		t.Errorf("unconditional samples = %+v; want 3 without prompts", free)
	}
	cont := readSamples(t, res["cont"].Dir)
	if len(cont) != 10 {
		t.Fatalf("%d continuations, want 10", len(cont))
	}
	for i, s := range cont {
		if s.Reference == "" || s.Prompt == "" || strings.Contains(s.Prompt, "<|endoftext|>") {
			t.Errorf("continuation %d = %+v; want a prompt from a held-out document and a reference", i, s)
		}
	}
	t.Logf("continuation: %q -> %q (reference %q)", cont[0].Prompt, cont[0].Text, cont[0].Reference)

	bleu := res["bleu"].Metrics["bleu"]
	t.Logf("bleu %.2f over %v segments", bleu, res["bleu"].Metrics["segments"])
	if !(bleu >= 0 && bleu <= 100) || res["bleu"].Metrics["segments"] != 10 {
		t.Errorf("bleu metrics %v; want a score in [0, 100] over 10 segments", res["bleu"].Metrics)
	}
}

func readSamples(t *testing.T, dir string) []Sample {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []Sample
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var s Sample
		if err := dec.Decode(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestHeldoutRequests cuts held-out documents into prompts and references
// with the reference vocab300 tokenizer: prompt + reference is the
// document when the reference may be long enough, documents too short
// for a continuation are skipped, and a text stage without held-out
// documents is an error that says what to set.
func TestHeldoutRequests(t *testing.T) {
	tok, err := tokenize.LoadFile("../../tokenize/testdata/ref/vocab300/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	docs := []string{
		"Short.\n",
		"A longer fortune,\nwith two lines.\n",
		"And a third one, long enough too.\n",
	}
	var text strings.Builder
	for _, d := range docs {
		text.WriteString(d + "<|endoftext|>\n")
	}
	if err := os.WriteFile(filepath.Join(dir, stages.HeldoutFile), []byte(text.String()),
		0o644); err != nil {
		t.Fatal(err)
	}
	in := &pipeline.Artifact{
		Stage: "text",
		Kind:  "dataset/text",
		Dir:   dir,
		Files: []string{stages.HeldoutFile},
	}

	got, err := heldoutRequests(in, tok, "<|endoftext|>", 10, 6, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("heldoutRequests gave %d requests, want 2 (the first document is too short)", len(got))
	}
	for i, r := range got {
		if len(r.ids) != 6 || r.prompt+r.ref != docs[i+1] {
			t.Errorf("request %d: %d prompt ids, prompt %q + reference %q; want 6 ids and %q",
				i, len(r.ids), r.prompt, r.ref, docs[i+1])
		}
	}
	if got, _ := heldoutRequests(in, tok, "<|endoftext|>", 1, 6, 2); len(got) != 1 ||
		len(encodeLines(tok, got[0].ref)) != 2 {
		t.Errorf(
			"heldoutRequests(n=1, max 2 tokens) = %+v; want one request with a 2-token reference",
			got,
		)
	}

	in.Files = nil
	if _, err := heldoutRequests(in, tok, "<|endoftext|>", 10, 6, 10); err == nil ||
		!strings.Contains(err.Error(), "set its holdout") {
		t.Errorf(
			"heldoutRequests without %s: error %v, want a hint to set holdout",
			stages.HeldoutFile,
			err,
		)
	}
}
