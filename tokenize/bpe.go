package tokenize

import (
	"fmt"
	"sort"
	"sync"
)

// Merge is one learned merge: the tokens Left and Right, in byte-level
// spelling, become the token Left+Right.
type Merge struct {
	Left, Right string
}

// AddedToken is a token cut out of the raw text before pre-tokenization
// (HF's added_tokens). Special tokens can be left out when decoding.
type AddedToken struct {
	ID      int
	Content string
	Special bool
	// Normalized tokens are matched after the (absent) normalizer, in a
	// second pass over the text left between non-normalized ones.
	Normalized bool
}

// ByteLevelOptions are the fields HF's ByteLevel component carries, used
// as pre-tokenizer, post-processor or decoder.
type ByteLevelOptions struct {
	AddPrefixSpace bool
	TrimOffsets    bool
	UseRegex       bool
}

// BPE is a byte-level BPE tokenizer: vocabulary, merges, added tokens and
// the settings of its ByteLevel components. It is safe for concurrent use.
type BPE struct {
	vocab  map[string]int // model vocabulary, token -> id
	tokens map[int]string // model vocabulary, id -> token
	merges []Merge
	ranks  map[uint64]mergeRank // (left id, right id) -> rank and result

	// byteID is the id of the byte-level character of every byte, or -1
	// when that character is not in the vocabulary.
	byteID [256]int32

	added      []AddedToken
	addedByID  map[int]*AddedToken
	matchRaw   *tokenMatcher // added tokens with normalized false
	matchNorm  *tokenMatcher // added tokens with normalized true
	preTok     ByteLevelOptions
	postProc   *ByteLevelOptions // nil: no post-processor
	decoder    *ByteLevelOptions // nil: tokens are joined with spaces
	model      modelOptions
	cacheMu    sync.RWMutex
	cache      map[string][]wordToken
	cacheLimit int
}

// modelOptions are the BPE model fields besides vocab and merges.
type modelOptions struct {
	unkToken     *string
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	// emptyAffixes records continuing_subword_prefix and end_of_word_suffix
	// written as "" rather than null (GPT-2's file does), to write them back.
	prefixEmpty, suffixEmpty bool
}

type mergeRank struct {
	rank int32
	id   int32
}

// defaultCacheLimit bounds the per-word cache; past it, words are encoded
// without being stored. 1<<17 words of a few tokens each take ~20 MB.
const defaultCacheLimit = 1 << 17

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newBPE builds a tokenizer from its parts, checking that every merge's
// parts and result are in the vocabulary. Problems are appended to errs.
func newBPE(vocab map[string]int, merges []Merge, added []AddedToken, errs *problems) *BPE {
	b := &BPE{
		vocab:      vocab,
		tokens:     make(map[int]string, len(vocab)),
		merges:     merges,
		ranks:      make(map[uint64]mergeRank, len(merges)),
		preTok:     ByteLevelOptions{TrimOffsets: true, UseRegex: true},
		cache:      make(map[string][]wordToken),
		cacheLimit: defaultCacheLimit,
	}
	ids := make([]string, 0, len(vocab))
	for tok := range vocab {
		ids = append(ids, tok)
	}
	sort.Strings(ids) // report duplicate ids in a stable order
	for _, tok := range ids {
		id := vocab[tok]
		if id < 0 || id > 1<<31-1 {
			errs.addf("model.vocab[%q]: id %d out of range", tok, id)
			continue
		}
		if other, dup := b.tokens[id]; dup {
			errs.addf("model.vocab[%q]: id %d already used by %q", tok, id, other)
			continue
		}
		b.tokens[id] = tok
	}
	for i := range b.byteID {
		b.byteID[i] = -1
		if id, ok := vocab[byteCharUTF8[i]]; ok {
			b.byteID[i] = int32(id)
		}
	}
	for i, m := range merges {
		l, okl := vocab[m.Left]
		r, okr := vocab[m.Right]
		n, okn := vocab[m.Left+m.Right]
		switch {
		case !okl:
			errs.addf("model.merges[%d]: token %q out of vocabulary", i, m.Left)
		case !okr:
			errs.addf("model.merges[%d]: token %q out of vocabulary", i, m.Right)
		case !okn:
			errs.addf("model.merges[%d]: merged token %q out of vocabulary", i, m.Left+m.Right)
		default:
			// A repeated merge keeps its last rank, as HF's map does.
			b.ranks[pairKey(int32(l), int32(r))] = mergeRank{int32(i), int32(n)}
		}
	}
	b.setAdded(added)
	return b
}

// setAdded installs the added tokens. As in HF, a token whose content is
// in the model vocabulary takes the vocabulary's id.
func (b *BPE) setAdded(added []AddedToken) {
	b.added = make([]AddedToken, len(added))
	b.addedByID = make(map[int]*AddedToken, len(added))
	var raw, norm []string
	ids := map[string]int{}
	for i, t := range added {
		if id, ok := b.vocab[t.Content]; ok {
			t.ID = id
		}
		b.added[i] = t
		b.addedByID[t.ID] = &b.added[i]
		ids[t.Content] = t.ID
		if t.Normalized {
			norm = append(norm, t.Content)
		} else {
			raw = append(raw, t.Content)
		}
	}
	b.matchRaw = newTokenMatcher(raw, ids)
	b.matchNorm = newTokenMatcher(norm, ids)
}

// Vocab returns a copy of the model vocabulary (token -> id), added tokens
// included when they are part of it.
func (b *BPE) Vocab() map[string]int {
	out := make(map[string]int, len(b.vocab))
	for k, v := range b.vocab {
		out[k] = v
	}
	return out
}

// Merges returns a copy of the merges in rank order.
func (b *BPE) Merges() []Merge { return append([]Merge(nil), b.merges...) }

// AddedTokens returns a copy of the added tokens.
func (b *BPE) AddedTokens() []AddedToken { return append([]AddedToken(nil), b.added...) }

// VocabSize is the number of distinct ids: the model vocabulary plus added
// tokens that are not in it.
func (b *BPE) VocabSize() int {
	n := len(b.tokens)
	for _, t := range b.added {
		if _, ok := b.tokens[t.ID]; !ok {
			n++
		}
	}
	return n
}

// TokenToID returns the id of a token in byte-level spelling, or of an
// added token.
func (b *BPE) TokenToID(tok string) (int, bool) {
	for _, t := range b.added {
		if t.Content == tok {
			return t.ID, true
		}
	}
	id, ok := b.vocab[tok]
	return id, ok
}

// IDToToken returns the token of an id; added tokens come first, as in HF.
func (b *BPE) IDToToken(id int) (string, bool) {
	if t, ok := b.addedByID[id]; ok {
		return t.Content, true
	}
	tok, ok := b.tokens[id]
	return tok, ok
}

// The setters below must not run concurrently with encoding.

// SetPreTokenizer replaces the ByteLevel pre-tokenizer settings and clears
// the word cache.
func (b *BPE) SetPreTokenizer(o ByteLevelOptions) {
	b.cacheMu.Lock()
	b.preTok = o
	b.cache = make(map[string][]wordToken)
	b.cacheMu.Unlock()
}

// PreTokenizer returns the ByteLevel pre-tokenizer settings.
func (b *BPE) PreTokenizer() ByteLevelOptions { return b.preTok }

// SetPostProcessor sets the ByteLevel post-processor; nil removes it. It
// only matters for offsets, and only with TrimOffsets.
func (b *BPE) SetPostProcessor(o *ByteLevelOptions) { b.postProc = copyOpts(o) }

// SetDecoder sets the ByteLevel decoder; with nil, Decode joins tokens
// with spaces as HF does without a decoder.
func (b *BPE) SetDecoder(o *ByteLevelOptions) { b.decoder = copyOpts(o) }

func copyOpts(o *ByteLevelOptions) *ByteLevelOptions {
	if o == nil {
		return nil
	}
	c := *o
	return &c
}

// AddTokens adds tokens to be cut out of the text before pre-tokenizing,
// as HF's add_tokens / add_special_tokens do: a token already in the
// vocabulary keeps its id, a new one gets the next free id. Added tokens
// that already exist are skipped. Special tokens are matched on the raw
// text, the others after normalization (the same here). It returns the
// number of tokens added.
func (b *BPE) AddTokens(contents []string, special bool) int {
	next := 0
	for id := range b.tokens {
		next = max(next, id+1)
	}
	for _, t := range b.added {
		next = max(next, t.ID+1)
	}
	added := append([]AddedToken(nil), b.added...)
	have := map[string]bool{}
	for _, t := range added {
		have[t.Content] = true
	}
	n := 0
	for _, c := range contents {
		if c == "" || have[c] {
			continue
		}
		have[c] = true
		id, ok := b.vocab[c]
		if !ok {
			id = next
			next++
		}
		added = append(added, AddedToken{ID: id, Content: c, Special: special, Normalized: !special})
		n++
	}
	b.setAdded(added)
	return n
}

// problems collects the problems found in a file, to report them together.
type problems struct{ list []string }

func (p *problems) addf(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}
