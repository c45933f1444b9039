package tokenize

import (
	"reflect"
	"strings"
	"testing"
)

func TestTrainTieBreak(t *testing.T) {
	// SPEC-text.md A.4: equal counts go to the smaller (left id, right id),
	// so both corpora give the merges c c, d d, a a, b b first.
	want := []Merge{{"c", "c"}, {"d", "d"}, {"a", "a"}, {"b", "b"}}
	for _, text := range []string{"aaabbbccccdddd", "bbbaaaddddcccc"} {
		b, err := Train([][]byte{[]byte(text)}, TrainOptions{VocabSize: 8})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Merges(); !reflect.DeepEqual(got, want) {
			t.Errorf("Train(%q) merges = %q, want %q", text, got, want)
		}
	}
}

func TestTrainOptions(t *testing.T) {
	text := [][]byte{[]byte("low lower lowest\nnewer wider\n")}
	t.Run("min frequency", func(t *testing.T) {
		b, err := Train(text, TrainOptions{MinFrequency: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range b.Merges() {
			if m == (Merge{"Ġ", "n"}) {
				t.Errorf("merge %q seen once was learned with MinFrequency 2", m)
			}
		}
		if len(b.Merges()) == 0 {
			t.Errorf("no merges learned")
		}
	})
	t.Run("specials first", func(t *testing.T) {
		b, err := Train(text, TrainOptions{SpecialTokens: []string{"<s>", "w", "<s>"}})
		if err != nil {
			t.Fatal(err)
		}
		v := b.Vocab()
		if v["<s>"] != 0 || v["w"] != 1 {
			t.Errorf("special ids: <s>=%d w=%d, want 0 and 1", v["<s>"], v["w"])
		}
		if n := len(b.AddedTokens()); n != 2 {
			t.Errorf("%d added tokens, want 2", n)
		}
	})
	t.Run("vocab smaller than alphabet", func(t *testing.T) {
		b, err := Train(text, TrainOptions{VocabSize: 10, FullAlphabet: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Merges()) != 0 || len(b.Vocab()) != 256 {
			t.Errorf(
				"got %d merges and %d tokens, want 0 and 256 (no truncation)",
				len(b.Merges()),
				len(b.Vocab()),
			)
		}
	})
	t.Run("threads agree", func(t *testing.T) {
		big := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog's back\n", 50000))
		one, err := Train([][]byte{big}, TrainOptions{VocabSize: 400, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		four, err := Train([][]byte{big}, TrainOptions{VocabSize: 400, Threads: 4})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one.Merges(), four.Merges()) {
			t.Errorf("merges depend on the thread count")
		}
	})
}

func TestTrainInvalidUTF8(t *testing.T) {
	_, err := Train([][]byte{[]byte("ok\n"), []byte("fine\nbad \xff here\n")}, TrainOptions{})
	if err == nil ||
		!strings.Contains(err.Error(), "text 1:2: invalid UTF-8 (byte 0xff at offset 9)") {
		t.Errorf("Train(invalid UTF-8) = %v, want an error naming text 1, line 2 and offset 9", err)
	}
	_, err = TrainFiles([]string{"testdata/does-not-exist.txt"}, TrainOptions{})
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.txt") {
		t.Errorf("TrainFiles(missing) = %v, want an error naming the file", err)
	}
}

func TestByteLevelTable(t *testing.T) {
	var rows [][]string
	data := readFile(t, refDir+"/byte_to_unicode.tsv")
	for _, line := range strings.Split(strings.TrimSpace(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	if len(rows) != 256 {
		t.Fatalf("byte_to_unicode.tsv has %d rows, want 256", len(rows))
	}
	alpha := Alphabet()
	for i, row := range rows {
		if got := string(alpha[i]); got != row[3] {
			t.Errorf("byte %s maps to %q, want %q (%s)", row[1], got, row[3], row[2])
		}
	}
}
