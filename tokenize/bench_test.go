package tokenize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func BenchmarkTrainCorpus(b *testing.B) {
	corpus, err := os.ReadFile(filepath.Join(refDir, "corpus.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(corpus)))
	for b.Loop() {
		if _, err := Train([][]byte{corpus}, TrainOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	tok, err := LoadFile(filepath.Join(refDir, "hf_default", "tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	corpus, err := os.ReadFile(filepath.Join(refDir, "corpus.txt"))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.SplitAfter(string(corpus), "\n")
	b.SetBytes(int64(len(corpus)))
	for b.Loop() {
		for _, l := range lines {
			tok.Encode(l)
		}
	}
}

func BenchmarkPreTokenize(b *testing.B) {
	corpus, err := os.ReadFile(filepath.Join(refDir, "corpus.txt"))
	if err != nil {
		b.Fatal(err)
	}
	s := string(corpus)
	var spans [][2]int
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		spans = appendPreTokens(spans[:0], s)
	}
}
