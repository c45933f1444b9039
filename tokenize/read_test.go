package tokenize

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tinyJSON is a minimal valid tokenizer.json: three tokens, one merge.
const tinyJSON = `{
  "added_tokens": [],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}
}`

func TestReadJSONTiny(t *testing.T) {
	b, err := ReadJSON(strings.NewReader(tinyJSON), "tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	got := b.Encode("abba")
	if want := []int{2, 1, 0}; !reflect.DeepEqual(got.IDs, want) {
		t.Errorf("Encode(%q).IDs = %v, want %v", "abba", got.IDs, want)
	}
	if !b.PreTokenizer().UseRegex {
		t.Errorf("use_regex should default to true")
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"syntax", `"model": {`, `"model": {,`, []string{"bad.json:6:13: invalid character ','"}},
		{"truncated", tinyJSON, `{"model": `, []string{"bad.json", "unexpected end of JSON input"}},
		{
			"merge token",
			`[["a", "b"]]`,
			`[["a", "c"]]`,
			[]string{`model.merges[0]: token "c" out of vocabulary`},
		},
		{
			"merge result",
			`"ab": 2`,
			`"ba": 2`,
			[]string{`model.merges[0]: merged token "ab" out of vocabulary`},
		},
		{
			"legacy three parts",
			`[["a", "b"]]`,
			`["a b c"]`,
			[]string{`model.merges[0]: "a b c" is not two tokens`},
		},
		{"merge shape", `[["a", "b"]]`, `[["a"]]`, []string{`model.merges[0]: want ["left", "right"]`}},
		{"missing trim", `"add_prefix_space": false, "trim_offsets": true`, `"add_prefix_space": false`,
			[]string{"pre_tokenizer: missing field trim_offsets"}},
		{
			"normalizer",
			`"normalizer": null`,
			`"normalizer": {"type": "NFC"}`,
			[]string{"normalizer: not supported"},
		},
		{"pre_tokenizer type", `{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true}`,
			`{"type": "Metaspace"}`, []string{"pre_tokenizer.type: Metaspace is not supported"}},
		{
			"no pre_tokenizer",
			`"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},`,
			``,
			[]string{"pre_tokenizer: null is not supported"},
		},
		{
			"no model",
			`"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}`,
			`"model": null`,
			[]string{"model: missing"},
		},
		{"vocab type", `"ab": 2`, `"ab": "2"`, []string{"model.vocab: want int64, got JSON string"}},
		{"duplicate id", `"ab": 2`, `"ab": 1`, []string{`id 1 already used by`}},
		{"negative id", `"ab": 2`, `"ab": -2`, []string{`model.vocab["ab"]: id -2 out of range`}},
		{
			"dropout",
			`"type": "BPE",`,
			`"type": "BPE", "dropout": 0.1,`,
			[]string{"model.dropout: not supported"},
		},
		{"prefix", `"type": "BPE",`, `"type": "BPE", "continuing_subword_prefix": "##",`,
			[]string{`model.continuing_subword_prefix: "##" not supported`}},
		{
			"unk",
			`"type": "BPE",`,
			`"type": "BPE", "unk_token": "<unk>",`,
			[]string{`model.unk_token: "<unk>" not in model.vocab`},
		},
		{
			"model type",
			`"type": "BPE",`,
			`"type": "WordPiece",`,
			[]string{`model.type: "WordPiece" is not supported`},
		},
		{"lstrip", `"added_tokens": []`, `"added_tokens": [{"id": 3, "content": "x", "lstrip": true}]`,
			[]string{"added_tokens[0]: single_word, lstrip and rstrip are not supported"}},
		{"added id clash", `"added_tokens": []`, `"added_tokens": [{"id": 1, "content": "x"}]`,
			[]string{`added_tokens[0]: id 1 is model.vocab's "b"`}},
		{"truncation", `"added_tokens": []`, `"added_tokens": [], "truncation": {"max_length": 5}`,
			[]string{"truncation: not supported"}},
		{
			"version",
			`"added_tokens": []`,
			`"added_tokens": [], "version": "2.0"`,
			[]string{`version: "2.0" is not supported`},
		},
		{"all problems", `"normalizer": null`, `"normalizer": 1, "padding": {}`,
			[]string{"bad.json: 2 problems:", "\tpadding: not supported", "\tnormalizer: not supported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(tinyJSON, tt.old, tt.new, 1)
			if doc == tinyJSON {
				t.Fatalf("replacement %q not applied", tt.old)
			}
			_, err := ReadJSON(strings.NewReader(doc), "bad.json")
			if err == nil {
				t.Fatalf("ReadJSON(%s) = nil error, want %q", tt.name, tt.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "bad.json" {
				t.Errorf("ReadJSON error %v is not a *FileError naming bad.json", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ReadJSON error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := LoadFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadFile(missing) = %v, want an error naming the file", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"model\": [}\n"), 0o644)
	_, err := LoadFile(bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+":2:") {
		t.Errorf("LoadFile(bad) = %v, want %s:2:col: ...", err, bad)
	}
}

// FuzzReadJSON checks that the reader never panics, and that whatever it
// accepts survives a write and a read, and encodes without panicking.
func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(tinyJSON))
	for _, p := range []string{"vocab300/tokenizer.json"} {
		if b, err := os.ReadFile(filepath.Join(refDir, p)); err == nil {
			f.Add(b)
		}
	}
	for _, p := range []string{"added_mixed", "legacy_merges", "unk_fuse", "byte_fallback_unk"} {
		if b, err := os.ReadFile(filepath.Join(hfCheckDir, "hf_made", p+".json")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadJSON(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		for _, s := range []string{"", "hello world", " ab\n\tba ", "<|endoftext|>x\xff", "日本 😀"} {
			e := b.Encode(s)
			b.Decode(e.IDs)
			b.DecodeSkipSpecial(e.IDs)
		}
		var buf bytes.Buffer
		if err := b.WriteJSON(&buf); err != nil {
			return // invalid UTF-8 in an added token is refused on write
		}
		b2, err := ReadJSON(&buf, "rewritten.json")
		if err != nil {
			t.Fatalf("re-reading written file: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(b.Vocab(), b2.Vocab()) || !reflect.DeepEqual(b.Merges(), b2.Merges()) ||
			!reflect.DeepEqual(b.AddedTokens(), b2.AddedTokens()) {
			t.Fatalf("write then read changed the tokenizer")
		}
	})
}
