package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBLEUTextHandling compares the Python string semantics BLEU depends
// on (str.lower, str.rstrip, str.split) and the four tokenizers with
// testdata/bleu/tokenize_cases.json, made by gen_tokenize.py on the real
// Python methods and the regex module.
func TestBLEUTextHandling(t *testing.T) {
	file := filepath.Join("testdata", "bleu", "tokenize_cases.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []map[string]any `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	for _, c := range doc.Cases {
		line := c["line"].(string)
		if got, want := pyLower(line), c["lower"].(string); got != want {
			t.Errorf("pyLower(%q) = %q, want %q", line, got, want)
		}
		if got, want := pyRstrip(line), c["rstrip"].(string); got != want {
			t.Errorf("pyRstrip(%q) = %q, want %q", line, got, want)
		}
		var want []string
		for _, w := range c["split"].([]any) {
			want = append(want, w.(string))
		}
		if got := pySplit(line); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("pySplit(%q) = %q, want %q", line, got, want)
		}
		for _, lc := range []bool{false, true} {
			for _, name := range []string{Tokenize13a, TokenizeIntl, TokenizeChar, TokenizeNone} {
				key := name
				if lc {
					key = "lc_" + name
				}
				got, err := TokenizeForBLEU(line, BLEUOptions{Tokenize: name, Lowercase: lc})
				if err != nil {
					t.Fatal(err)
				}
				if want := c[key].(string); got != want {
					t.Errorf("TokenizeForBLEU(%q, %s, lowercase=%v) = %q, want %q", line, name, lc, got, want)
				}
			}
		}
	}
}

func FuzzBLEUTokenizers(f *testing.F) {
	for _, s := range []string{"", "Hello, world.", "ΟΔΟΣ", "a\u00a0b", "1990.", "&amp;lt;",
		"\xff\xfe.", "Σ\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range []string{Tokenize13a, TokenizeIntl, TokenizeChar, TokenizeNone} {
			for _, lc := range []bool{false, true} {
				opts := BLEUOptions{Tokenize: name, Lowercase: lc}
				tok, err := TokenizeForBLEU(s, opts)
				if err != nil {
					t.Fatal(err)
				}
				if name != TokenizeNone && strings.Contains(tok, "  ") {
					t.Errorf("TokenizeForBLEU(%q, %s) = %q has a double space", s, name, tok)
				}
				sc, err := SentenceBLEU(s, []string{s}, opts)
				if err != nil {
					t.Fatal(err)
				}
				if sc.Score < 0 || sc.Score > 100+1e-9 {
					t.Errorf("SentenceBLEU(%q, itself) = %v, out of range", s, sc.Score)
				}
			}
		}
	})
}
