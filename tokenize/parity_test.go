package tokenize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Reference files copied from /work/shared/refcases/bpe (see
// testdata/README.md): real HF tokenizers 0.23.2 output.
const refDir = "testdata/ref"

type refEncoding struct {
	Input   string   `json:"input"`
	IDs     []int    `json:"ids"`
	Tokens  []string `json:"tokens"`
	Offsets [][2]int `json:"offsets"`
	Decoded string   `json:"decoded"`
}

func readJSONFile(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func mustLoad(t testing.TB, path string) *BPE {
	t.Helper()
	b, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPreTokenizeHF(t *testing.T) {
	var cases []struct {
		Input string   `json:"input"`
		False []string `json:"add_prefix_space_false"`
		True  []string `json:"add_prefix_space_true"`
	}
	readJSONFile(t, filepath.Join(refDir, "pretokenize_tricky_hf.json"), &cases)
	for _, c := range cases {
		for _, prefix := range []bool{false, true} {
			want := c.False
			if prefix {
				want = c.True
			}
			got := PreTokenize(c.Input, prefix)
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("PreTokenize(%q, %v) = %q, want %q", c.Input, prefix, got, want)
			}
		}
	}
}

func TestEncodeHF(t *testing.T) {
	var refs map[string][]refEncoding
	readJSONFile(t, filepath.Join(refDir, "encodings_hf.json"), &refs)
	if len(refs) == 0 {
		t.Fatal("no reference encodings")
	}
	for name, encs := range refs {
		b := mustLoad(t, filepath.Join(refDir, name, "tokenizer.json"))
		same := 0
		for _, want := range encs {
			got := b.Encode(want.Input)
			ok := true
			if !equalInts(got.IDs, want.IDs) || !equalStrings(got.Tokens, want.Tokens) ||
				!equalOffsets(got.Offsets, want.Offsets) {
				t.Errorf("%s: Encode(%q) =\n  %v %q %v\nwant\n  %v %q %v", name, want.Input,
					got.IDs, got.Tokens, got.Offsets, want.IDs, want.Tokens, want.Offsets)
				ok = false
			}
			if d := b.Decode(want.IDs); d != want.Decoded {
				t.Errorf("%s: Decode(%v) = %q, want %q", name, want.IDs, d, want.Decoded)
				ok = false
			}
			if ok {
				same++
			}
		}
		t.Logf("%s: %d/%d encodings identical to HF", name, same, len(encs))
	}
}

func equalInts(
	a, b []int,
) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
func equalStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
func equalOffsets(a, b [][2]int) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func TestTrainVocab300(t *testing.T) {
	corpus := filepath.Join(refDir, "corpus.txt")
	b, err := TrainFiles([]string{corpus}, TrainOptions{
		VocabSize:     300,
		MinFrequency:  2,
		SpecialTokens: []string{"<|endoftext|>"},
		FullAlphabet:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := mustLoad(t, filepath.Join(refDir, "vocab300", "tokenizer.json"))
	if !reflect.DeepEqual(b.Vocab(), want.Vocab()) {
		t.Errorf("vocab differs from HF's")
	}
	if !reflect.DeepEqual(b.Merges(), want.Merges()) {
		t.Errorf("merges differ from HF's:\n got %q\nwant %q", b.Merges(), want.Merges())
	}
	var buf bytes.Buffer
	if err := b.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	ref, _ := os.ReadFile(filepath.Join(refDir, "vocab300", "tokenizer.json"))
	if !bytes.Equal(buf.Bytes(), ref) {
		t.Errorf("written tokenizer.json differs from HF's file")
	}
}

func TestTrainHFDefault(t *testing.T) {
	// Node's train(files) uses BpeTrainer::default(): vocab 30000,
	// min_frequency 0, no special tokens, only the characters seen.
	b, err := TrainFiles([]string{filepath.Join(refDir, "corpus.txt")}, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := mustLoad(t, filepath.Join(refDir, "hf_default", "tokenizer.json"))
	if !reflect.DeepEqual(b.Vocab(), want.Vocab()) {
		t.Errorf("vocab differs from HF's (%d vs %d entries)", len(b.Vocab()), len(want.Vocab()))
	}
	gm, wm := b.Merges(), want.Merges()
	for i := range min(len(gm), len(wm)) {
		if gm[i] != wm[i] {
			t.Fatalf("merge %d = %q, want %q", i, gm[i], wm[i])
		}
	}
	if len(gm) != len(wm) {
		t.Errorf("%d merges, want %d", len(gm), len(wm))
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
