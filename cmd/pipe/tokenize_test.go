package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The reference files of package tokenize: real Hugging Face tokenizers
// output (see tokenize/testdata/README.md).
const tokRef = "../../tokenize/testdata/ref"

func TestTokenizeTrainMatchesHF(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tok.json")
	r := mustPipe(t, "tokenize", "train", "--vocab-size", "300", "--special", "<|endoftext|>",
		"-o", out, filepath.Join(tokRef, "corpus.txt"))
	if !strings.Contains(r.stdout, "vocab 300 (1 special, 43 merges)") {
		t.Errorf("tokenize train printed %q, want the vocab size and merge count", r.stdout)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(tokRef, "vocab300", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("tokenize train wrote a file different from HF's vocab300/tokenizer.json")
	}
}

func TestTokenizeEncodeMatchesHF(t *testing.T) {
	var refs map[string][]struct {
		Input   string   `json:"input"`
		IDs     []int    `json:"ids"`
		Tokens  []string `json:"tokens"`
		Offsets [][2]int `json:"offsets"`
		Decoded string   `json:"decoded"`
	}
	data, err := os.ReadFile(filepath.Join(tokRef, "encodings_hf.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &refs); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vocab300", "hf_default"} {
		t.Run(name, func(t *testing.T) {
			// One input a line: only the strings without a line break fit.
			var input strings.Builder
			var want []encodedLine
			for _, ref := range refs[name] {
				if strings.ContainsAny(ref.Input, "\n\r") {
					continue
				}
				input.WriteString(ref.Input + "\n")
				want = append(want, encodedLine{IDs: ref.IDs, Tokens: ref.Tokens, Offsets: ref.Offsets})
			}
			if len(want) < 15 {
				t.Fatalf("only %d reference strings fit on a line", len(want))
			}
			textFile := filepath.Join(t.TempDir(), "in.txt")
			if err := os.WriteFile(textFile, []byte(input.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			tok := filepath.Join(tokRef, name, "tokenizer.json")
			r := mustPipe(t, "tokenize", "encode", "--tokenizer", tok, "--json", textFile)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != len(want) {
				t.Fatalf("encode --json wrote %d lines for %d inputs", len(lines), len(want))
			}
			for i, l := range lines {
				var got encodedLine
				if err := json.Unmarshal([]byte(l), &got); err != nil {
					t.Fatalf("line %d: %v: %s", i+1, err, l)
				}
				if len(want[i].IDs) == 0 && len(got.IDs) == 0 {
					continue
				}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("line %d: encode --json = %+v, want %+v", i+1, got, want[i])
				}
			}

			// The plain form holds the same ids, and decode turns them back
			// into the input.
			r = mustPipe(t, "tokenize", "encode", "--tokenizer", tok, textFile)
			idsFile := filepath.Join(t.TempDir(), "ids.txt")
			if err := os.WriteFile(idsFile, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if name == "vocab300" { // hf_default has no decoder and a partial alphabet
				r = mustPipe(t, "tokenize", "decode", "--tokenizer", tok, idsFile)
				if r.stdout != input.String() {
					t.Errorf("decode(encode(x)) =\n%q\nwant\n%q", r.stdout, input.String())
				}
			}
		})
	}
}

func TestTokenizeStdin(t *testing.T) {
	o := tokenizeCodecOptions{
		tokenizer:   filepath.Join(tokRef, "vocab300", "tokenizer.json"),
		keepNewline: true,
	}
	var out bytes.Buffer
	if err := o.run(context.Background(), strings.NewReader("\nHello world\nno final newline"),
		&out); err != nil {
		t.Fatal(err)
	}
	// With --keep-newline every line carries its "\n" (id 199, "Ċ").
	lines := strings.Split(out.String(), "\n")
	if len(lines) != 4 || lines[0] != "199" || !strings.HasSuffix(lines[1], " 199") ||
		strings.HasSuffix(lines[2], " 199") || lines[3] != "" {
		t.Errorf("encode --keep-newline of 3 lines wrote %q", out.String())
	}
}

func TestTokenizeErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	body := `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}}`
	if err := os.WriteFile(bad, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	latin1 := filepath.Join(dir, "latin1.txt")
	if err := os.WriteFile(latin1, []byte("caf\xe9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := filepath.Join(dir, "ids.txt")
	if err := os.WriteFile(ids, []byte("1 2\n3 x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(tokRef, "vocab300", "tokenizer.json")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no subcommand", []string{"tokenize"}, exitUsage, "tokenize takes train, encode or decode"},
		{"train without -o", []string{"tokenize", "train", latin1}, exitUsage, "needs -o"},
		{
			"train no files",
			[]string{"tokenize", "train", "-o", "x.json"},
			exitUsage,
			"one or more text files",
		},
		{"train not UTF-8", []string{"tokenize", "train", "-o", filepath.Join(dir, "t.json"), latin1},
			exitUsage, "latin1.txt"},
		{"encode no tokenizer", []string{"tokenize", "encode"}, exitUsage, "needs --tokenizer"},
		{
			"encode bad tokenizer",
			[]string{"tokenize", "encode", "--tokenizer", bad},
			exitUsage,
			"bad.json",
		},
		{
			"encode missing file",
			[]string{"tokenize", "encode", "--tokenizer", tok, filepath.Join(dir, "nope.txt")},
			exitUsage,
			"nope.txt",
		},
		{"decode bad id", []string{"tokenize", "decode", "--tokenizer", tok, ids}, exitUsage,
			`ids.txt:2: "x" is not a token id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pipe(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("pipe %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "),
					r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
}
