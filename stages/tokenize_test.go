package stages

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/pipelinetest"
	"github.com/pipe-ml/pipe/tensor"
	"github.com/pipe-ml/pipe/tokenize"
)

// runSpec runs spec through pipelinetest.Run.
func runSpec(t *testing.T, dir, spec string) map[string]*pipeline.StageResult {
	t.Helper()
	return pipelinetest.Run(t, dir, spec)
}

// corpusPath is the reference corpus of package tokenize (Debian's
// fortunes-min fortunes file; see tokenize/testdata/README.md).
const corpusPath = "../tokenize/testdata/ref/corpus.txt"

func TestTokenizeStages(t *testing.T) {
	corpus, err := filepath.Abs(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res := runSpec(t, dir, `name: bpe-test
seed: 7
stages:
  text:
    uses: dataset/text
    with: {files: [`+corpus+`]}
  bpe:
    uses: tokenize/bpe
    inputs: [text]
    with: {vocab_size: 300, min_frequency: 2, special_tokens: ["<|endoftext|>"]}
  split:
    uses: dataset/text
    with: {files: [`+corpus+`], separator: "%", holdout: 0.1, document_end: "<|endoftext|>\n"}
  ids:
    uses: tokenize/encode
    inputs: {tokenizer: bpe, text: split}
`)

	// The stage's defaults are ByteLevelBPETokenizer's, so this is the
	// reference vocab300 file byte for byte.
	got, err := os.ReadFile(filepath.Join(res["bpe"].Dir, TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../tokenize/testdata/ref/vocab300/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("tokenize/bpe wrote a tokenizer.json different from HF's vocab300")
	}
	if m := res["bpe"].Metrics; m["vocab_size"] != 300 || m["merges"] != 43 ||
		m["bytes_per_token"] < 1 {
		t.Errorf("tokenize/bpe metrics = %v, want vocab_size 300, merges 43, bytes_per_token > 1", m)
	}

	// Every document of the split ends with the special token, which
	// encodes to id 0; held-out and kept documents add up.
	m := res["split"].Metrics
	docs := m["documents"] + m["heldout_documents"]
	if m["heldout_documents"] != float64(int(docs*0.1+0.5)) {
		t.Errorf("dataset/text held out %v of %v documents, want 10%%", m["heldout_documents"], docs)
	}
	ts, meta, err := tensor.ReadSafetensorsFile(filepath.Join(res["ids"].Dir, TokensFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta["vocab_size"] != "300" {
		t.Errorf("tokens metadata vocab_size = %q, want 300", meta["vocab_size"])
	}
	b, err := tokenize.LoadFile(filepath.Join(res["bpe"].Dir, TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, docCount := range map[string]float64{"text": m["documents"],
		"heldout": m["heldout_documents"]} {
		tt, ok := ts[name]
		if !ok {
			t.Fatalf("%s has no tensor %q", TokensFile, name)
		}
		ids := tt.Int64s()
		ends := 0
		ints := make([]int, len(ids))
		for i, id := range ids {
			ints[i] = int(id)
			if id == 0 {
				ends++
			}
		}
		if float64(ends) != docCount {
			t.Errorf("%s: %d <|endoftext|> ids, want one per document (%v)", name, ends, docCount)
		}
		text, err := os.ReadFile(filepath.Join(res["split"].Dir, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		if dec := b.Decode(ints); dec != string(text) {
			t.Errorf("%s: decoding the ids does not give the text back", name)
		}
		if float64(len(ids)) != res["ids"].Metrics[name+"_tokens"] {
			t.Errorf("%s: %d ids, metric says %v", name, len(ids), res["ids"].Metrics[name+"_tokens"])
		}
	}
}
