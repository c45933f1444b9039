package tokenize

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// The values SPEC-text.md A.9 lists for the reference's vocab1000 model;
// vocab300 holds its first 43 merges, so these come from HF's own output
// in encodings_hf.json instead. Kept here as readable examples.
func TestEncodeExamples(t *testing.T) {
	b := mustLoad(t, filepath.Join(refDir, "vocab300", "tokenizer.json"))
	tests := []struct {
		in     string
		tokens []string
	}{
		{"", nil},
		{"hello<|endoftext|>world", []string{"h", "e", "ll", "o", "<|endoftext|>", "w", "or", "l", "d"}},
		{
			" <|endoftext|> <|endoftext|><|endoftext|>",
			[]string{"Ġ", "<|endoftext|>", "Ġ", "<|endoftext|>", "<|endoftext|>"},
		},
	}
	for _, tt := range tests {
		got := b.Encode(tt.in)
		if !equalStrings(got.Tokens, tt.tokens) {
			t.Errorf("Encode(%q).Tokens = %q, want %q", tt.in, got.Tokens, tt.tokens)
		}
	}
}

func randomBytes(r *rand.Rand) []byte {
	pieces := []string{"a", "Z", " ", "  ", "\n", "\t", "'s", "x'", "1", "é", "日", "😀", "\u00a0",
		"<|endoftext|>", "\xff", "\xe2\x82", "\xc3", "\x80", "\x00"}
	var b []byte
	for n := r.IntN(20); n >= 0; n-- {
		b = append(b, pieces[r.IntN(len(pieces))]...)
	}
	return b
}

// Any bytes, valid UTF-8 or not, come back from DecodeBytes unchanged; Decode
// gives the same with invalid sequences replaced as Rust does.
func TestDecodeRoundTrip(t *testing.T) {
	b := mustLoad(t, filepath.Join(refDir, "vocab300", "tokenizer.json"))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		in := randomBytes(r)
		e := b.Encode(string(in))
		if got := b.DecodeBytes(e.IDs); !bytes.Equal(got, in) {
			t.Fatalf("DecodeBytes(Encode(%q)) = %q", in, got)
		}
		if got, want := b.Decode(e.IDs), lossyUTF8(in); got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", in, got, want)
		}
		checkOffsets(t, string(in), e)
	}
}

// checkOffsets checks that offsets stay inside the text and do not go
// backwards, which HF's also never do when no character is dropped.
func checkOffsets(t *testing.T, s string, e Encoding) {
	t.Helper()
	n := utf8.RuneCountInString(s)
	prev := 0
	for i, o := range e.Offsets {
		if o[0] < prev || o[0] > o[1] || o[1] > n {
			t.Fatalf("Encode(%q): offset %d = %v out of order (text has %d runes)", s, i, o, n)
		}
		prev = o[0]
	}
}

func TestLossyUTF8(t *testing.T) {
	// Expected values follow Rust's String::from_utf8_lossy: one U+FFFD
	// per maximal prefix of a valid sequence.
	const r = "\uFFFD"
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"\xe2\x82", r},
		{"\xe2\x82x", r + "x"},
		{"\xff\xfe", r + r},
		{"\xed\xa0\x80", r + r + r}, // a surrogate: ED only allows 80-9F next
		{"\xf0\x9f\x98", r},
		{"\xf0\x9f\x98\x80", "😀"},
		{"\xc0\x80", r + r},
		{"a\xf4\x90\x80\x80", "a" + r + r + r + r},
		{"\xe0\x80", r + r},
		{"\xe0\xa0", r},
	}
	for _, tt := range tests {
		if got := lossyUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("lossyUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEncodeBatch(t *testing.T) {
	b := mustLoad(t, filepath.Join(refDir, "vocab300", "tokenizer.json"))
	r := rand.New(rand.NewPCG(3, 4))
	texts := make([]string, 300)
	for i := range texts {
		texts[i] = string(randomBytes(r))
	}
	got := b.EncodeBatch(texts, 3)
	for i, s := range texts {
		if want := b.Encode(s); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("EncodeBatch[%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestAddTokens(t *testing.T) {
	b := mustLoad(t, filepath.Join(refDir, "vocab300", "tokenizer.json"))
	if n := b.AddTokens([]string{"<pad>", "ll", "<pad>", "<|endoftext|>"}, true); n != 2 {
		t.Errorf("AddTokens added %d tokens, want 2", n)
	}
	if id, _ := b.TokenToID("<pad>"); id != 300 {
		t.Errorf("TokenToID(<pad>) = %d, want 300 (next free id)", id)
	}
	if id, _ := b.TokenToID("ll"); id != 268 {
		t.Errorf("TokenToID(ll) = %d, want 268 (its vocabulary id)", id)
	}
	e := b.Encode("all<pad>")
	if want := []string{"a", "ll", "<pad>"}; !equalStrings(e.Tokens, want) {
		t.Errorf("Encode(all<pad>).Tokens = %q, want %q", e.Tokens, want)
	}
	if got := b.DecodeSkipSpecial(e.IDs); got != "a" {
		t.Errorf("DecodeSkipSpecial = %q, want %q", got, "a")
	}
	if b.VocabSize() != 301 {
		t.Errorf("VocabSize() = %d, want 301", b.VocabSize())
	}
}

// FuzzEncode checks the round trip and offsets on arbitrary input.
func FuzzEncode(f *testing.F) {
	b, err := LoadFile(filepath.Join(refDir, "vocab300", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "hello world", "don't  stop\n\n", "\xff\xfe 'll", "日本語 😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := b.Encode(s)
		if got := b.DecodeBytes(e.IDs); string(got) != s {
			t.Fatalf("DecodeBytes(Encode(%q)) = %q", s, got)
		}
		checkOffsets(t, s, e)
	})
}
