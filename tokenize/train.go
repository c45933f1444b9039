package tokenize

import (
	"errors"
	"fmt"
	"os"
	"sort"
)

// TrainOptions are the settings of HF's BpeTrainer that byte-level BPE
// uses, plus the pre-tokenizer's prefix-space switch.
type TrainOptions struct {
	// VocabSize counts special tokens, the alphabet and merges; 0 means
	// HF's default, 30000. Training stops when it is reached or when no
	// pair is left.
	VocabSize int
	// MinFrequency stops training at the first pair seen fewer times.
	// HF's default is 0; Python's ByteLevelBPETokenizer passes 2.
	MinFrequency int64
	// SpecialTokens get the first ids, in this order. They are not cut
	// out of the training text (HF does not either).
	SpecialTokens []string
	// FullAlphabet puts all 256 byte-level characters in the vocabulary,
	// as ByteLevelBPETokenizer does (initial_alphabet =
	// ByteLevel.alphabet()); otherwise only those seen in the text.
	FullAlphabet bool
	// AddPrefixSpace is the ByteLevel pre-tokenizer's add_prefix_space,
	// applied to every line when counting and kept for encoding.
	AddPrefixSpace bool
	// Threads used to count pre-tokens; 0 means GOMAXPROCS.
	Threads int
	// Progress, if set, is called with the number of merges done and the
	// largest number possible, now and then and at the end.
	Progress func(done, total int)
}

// defaultVocabSize is BpeTrainer::default()'s vocab_size.
const defaultVocabSize = 30000

// TrainFiles trains on the contents of files, read as HF's train(files)
// reads them.
func TrainFiles(paths []string, opts TrainOptions) (*BPE, error) {
	texts := make([][]byte, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("train bpe: %w", err)
		}
		texts[i] = b
	}
	return train(texts, paths, opts)
}

// Train learns a byte-level BPE tokenizer from texts exactly as HF's
// BpeTrainer does from files holding them: each text is read line by line,
// every line keeping its "\n", and every line is pre-tokenized on its own.
// Texts must be valid UTF-8. The result has the layout of Python's
// ByteLevelBPETokenizer: ByteLevel pre-tokenizer, post-processor (with
// trim_offsets false) and decoder; special tokens as added tokens.
func Train(texts [][]byte, opts TrainOptions) (*BPE, error) {
	names := make([]string, len(texts))
	for i := range texts {
		names[i] = fmt.Sprintf("text %d", i)
	}
	return train(texts, names, opts)
}

func train(texts [][]byte, names []string, opts TrainOptions) (*BPE, error) {
	if opts.VocabSize < 0 || opts.MinFrequency < 0 {
		return nil, errors.New("train bpe: vocab size and min frequency must not be negative")
	}
	if opts.VocabSize == 0 {
		opts.VocabSize = defaultVocabSize
	}
	counts, err := countWords(texts, names, opts.AddPrefixSpace, opts.Threads)
	if err != nil {
		return nil, fmt.Errorf("train bpe: %w", err)
	}

	vocab, tokens := initialVocab(counts, opts)
	var byteID [256]int32
	for c := range byteID {
		byteID[c] = int32(vocab[byteCharUTF8[c]]) // every seen byte is present
	}
	t := newTrainer(counts, byteID, tokens, opts.Threads)
	merges := t.run(vocab, opts)

	b := newBPE(vocab, merges, specialTokens(opts.SpecialTokens, vocab), &problems{})
	b.preTok = ByteLevelOptions{AddPrefixSpace: opts.AddPrefixSpace, TrimOffsets: true, UseRegex: true}
	b.postProc = &ByteLevelOptions{AddPrefixSpace: true, TrimOffsets: false, UseRegex: true}
	b.decoder = &ByteLevelOptions{AddPrefixSpace: true, TrimOffsets: true, UseRegex: true}
	return b, nil
}

// initialVocab gives ids to the special tokens, in order and without
// duplicates, then to the alphabet in ascending code point order (not
// byte order), skipping characters that already have an id.
func initialVocab(counts *wordCounts, opts TrainOptions) (map[string]int, []string) {
	vocab := map[string]int{}
	var tokens []string
	add := func(s string) {
		if _, ok := vocab[s]; !ok {
			vocab[s] = len(tokens)
			tokens = append(tokens, s)
		}
	}
	for _, s := range opts.SpecialTokens {
		add(s)
	}

	var seen [256]bool
	if opts.FullAlphabet {
		for i := range seen {
			seen[i] = true
		}
	}
	for _, w := range counts.words {
		for i := 0; i < len(w); i++ {
			seen[w[i]] = true
		}
	}
	var alphabet []rune
	for c, ok := range seen {
		if ok {
			alphabet = append(alphabet, byteChar[c])
		}
	}
	sort.Slice(alphabet, func(i, j int) bool { return alphabet[i] < alphabet[j] })
	for _, r := range alphabet {
		add(string(r))
	}
	return vocab, tokens
}

func specialTokens(specials []string, vocab map[string]int) []AddedToken {
	var out []AddedToken
	seen := map[string]bool{}
	for _, s := range specials {
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, AddedToken{ID: vocab[s], Content: s, Special: true})
	}
	return out
}
