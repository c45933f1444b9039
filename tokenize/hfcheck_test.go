package tokenize

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The files in testdata/hfcheck are checked against HF by
// testdata/hf_check.mjs (see testdata/README.md):
//
//	go test ./tokenize -run TestHFCheckWritten -update   # writes written/*.json
//	node tokenize/testdata/hf_check.mjs                  # writes the rest
//	go test ./tokenize                                   # compares
var update = flag.Bool(
	"update",
	false,
	"rewrite the Go-written fixtures in testdata/hfcheck/written",
)

const hfCheckDir = "testdata/hfcheck"

// writtenTokenizers builds the tokenizers whose files HF must load and
// encode exactly as this package does.
func writtenTokenizers(t *testing.T) map[string]*BPE {
	corpus := []string{filepath.Join(refDir, "corpus.txt")}
	vocab300 := TrainOptions{VocabSize: 300, MinFrequency: 2,
		SpecialTokens: []string{"<|endoftext|>"}, FullAlphabet: true}
	trainOrFail := func(o TrainOptions) *BPE {
		b, err := TrainFiles(corpus, o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	out := map[string]*BPE{}
	out["go_vocab300"] = trainOrFail(vocab300)

	o := vocab300
	o.AddPrefixSpace = true
	o.VocabSize = 1000
	b := trainOrFail(o)
	b.SetPostProcessor(&ByteLevelOptions{AddPrefixSpace: true, TrimOffsets: true, UseRegex: true})
	out["go_prefix_trim"] = b

	b = trainOrFail(vocab300)
	b.AddTokens([]string{"hello world", "ab"}, false)
	b.AddTokens([]string{"<é>", "<|endoftext|>", "e"}, true)
	out["go_added"] = b

	b = trainOrFail(TrainOptions{VocabSize: 600})
	b.SetDecoder(nil)
	b.SetPostProcessor(nil)
	out["go_default600"] = b

	b = trainOrFail(vocab300)
	b.SetPreTokenizer(ByteLevelOptions{TrimOffsets: true, UseRegex: false})
	out["go_noregex"] = b
	return out
}

func TestHFCheckWritten(t *testing.T) {
	dir := filepath.Join(hfCheckDir, "written")
	for name, b := range writtenTokenizers(t) {
		var buf bytes.Buffer
		if err := b.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".json")
		if *update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		disk, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(disk, buf.Bytes()) {
			t.Errorf("%s differs from what WriteJSON writes now; run with -update, then hf_check.mjs", path)
		}
	}
}

// hfResults is what hf_check.mjs records for one tokenizer file.
type hfResults struct {
	ResaveIdentical bool          `json:"resave_identical"`
	Encodings       []refEncoding `json:"encodings"`
	Decodes         []struct {
		IDs         []int  `json:"ids"`
		Decoded     string `json:"decoded"`
		DecodedSkip string `json:"decoded_skip"`
	} `json:"decodes"`
}

// TestHFCheck compares this package with HF's results on files written by
// WriteJSON (written/) and on files HF loaded or wrote (hf_made/).
func TestHFCheck(t *testing.T) {
	var results map[string]hfResults
	readJSONFile(t, filepath.Join(hfCheckDir, "results.json"), &results)
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 10 {
		t.Fatalf("results.json has %d tokenizers; rerun hf_check.mjs", len(names))
	}
	for _, name := range names {
		res := results[name]
		path := filepath.Join(hfCheckDir, name)
		b := mustLoad(t, path)
		if strings.HasPrefix(name, "written/") && !res.ResaveIdentical {
			t.Errorf("%s: HF re-saves it differently", name)
		}
		same := 0
		for _, want := range res.Encodings {
			got := b.Encode(want.Input)
			if !equalInts(got.IDs, want.IDs) || !equalStrings(got.Tokens, want.Tokens) ||
				!equalOffsets(got.Offsets, want.Offsets) {
				t.Errorf("%s: Encode(%q) =\n  %v %q %v\nwant\n  %v %q %v", name, want.Input,
					got.IDs, got.Tokens, got.Offsets, want.IDs, want.Tokens, want.Offsets)
				continue
			}
			if d := b.Decode(want.IDs); d != want.Decoded {
				t.Errorf("%s: Decode(Encode(%q)) = %q, want %q", name, want.Input, d, want.Decoded)
				continue
			}
			same++
		}
		dsame := 0
		for _, d := range res.Decodes {
			got, gotSkip := b.Decode(d.IDs), b.DecodeSkipSpecial(d.IDs)
			if got != d.Decoded || gotSkip != d.DecodedSkip {
				t.Errorf("%s: Decode(%v) = %q, %q (skip special), want %q, %q",
					name, d.IDs, got, gotSkip, d.Decoded, d.DecodedSkip)
				continue
			}
			dsame++
		}
		t.Logf("%s: %d/%d encodings, %d/%d decodes identical to HF", name,
			same, len(res.Encodings), dsame, len(res.Decodes))
	}
}

// TestHFMadeRoundTrip reads files HF saved and writes them back: the bytes
// must not change.
func TestHFMadeRoundTrip(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(hfCheckDir, "hf_made", "*.json"))
	paths = append(paths, filepath.Join(refDir, "hf_default", "tokenizer.json"),
		filepath.Join(refDir, "vocab300", "tokenizer.json"))
	for _, p := range paths {
		if strings.Contains(p, "legacy") {
			continue // not written by HF; its re-save is checked below
		}
		b := mustLoad(t, p)
		var buf bytes.Buffer
		if err := b.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(p)
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: WriteJSON(LoadFile) changed the file", p)
		}
	}

	// Legacy "a b" merges load to the same model as pairs.
	legacy := mustLoad(t, filepath.Join(hfCheckDir, "hf_made", "legacy_merges.json"))
	pairs := mustLoad(t, filepath.Join(refDir, "vocab300", "tokenizer.json"))
	if !reflect.DeepEqual(legacy.Merges(), pairs.Merges()) ||
		!reflect.DeepEqual(legacy.Vocab(), pairs.Vocab()) {
		t.Errorf("legacy merges file loads differently from the pair form")
	}
}

// TestTrainHFNode trains on the corpora hf_check.mjs trained HF on, with
// Node's default trainer settings, and compares vocab and merges.
func TestTrainHFNode(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(hfCheckDir, "train", "*"))
	if len(dirs) < 3 {
		t.Fatalf("found %d training cases; rerun hf_check.mjs", len(dirs))
	}
	for _, dir := range dirs {
		want := mustLoad(t, filepath.Join(dir, "tokenizer.json"))
		got, err := TrainFiles([]string{filepath.Join(dir, "corpus.txt")}, TrainOptions{
			AddPrefixSpace: want.PreTokenizer().AddPrefixSpace,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Vocab(), want.Vocab()) {
			t.Errorf("%s: vocab differs (%d vs %d entries)", dir, len(got.Vocab()), len(want.Vocab()))
		}
		gm, wm := got.Merges(), want.Merges()
		if !reflect.DeepEqual(gm, wm) {
			i := 0
			for i < min(len(gm), len(wm)) && gm[i] == wm[i] {
				i++
			}
			t.Errorf("%s: merges differ from HF's at %d (%d vs %d merges)", dir, i, len(gm), len(wm))
			continue
		}
		t.Logf("%s: %d merges equal to HF's", dir, len(gm))
	}
}
