package tokenize

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Encoding is the result of encoding one text.
type Encoding struct {
	IDs    []int
	Tokens []string // byte-level spelling; added tokens as written
	// Offsets are [start, end) positions in the input counted in Unicode
	// scalar values (an invalid UTF-8 byte counts as one), as HF's Python
	// and Node bindings report them. A token holding part of a multi-byte
	// character spans the whole character.
	Offsets [][2]int
}

// wordToken is one token of an encoded pre-token, with the length HF's
// model gives it: the UTF-8 length of the byte-level characters it
// covers. Offsets are sums of these lengths, so characters dropped for
// lack of a vocabulary entry shift later offsets left, as in HF.
type wordToken struct {
	id   int32
	nlen int32
}

// Encode encodes s the way HF's Tokenizer.encode(s) does with
// add_special_tokens left on (a ByteLevel post-processor adds none).
func (b *BPE) Encode(s string) Encoding {
	var enc Encoding
	var offs [][2]int // byte offsets
	var spans [][2]int
	for _, p := range b.splitAdded(s) {
		if p.id >= 0 {
			tok, _ := b.IDToToken(p.id)
			enc.IDs = append(enc.IDs, p.id)
			enc.Tokens = append(enc.Tokens, tok)
			offs = append(offs, [2]int{p.start, p.end})
			continue
		}
		spans = b.encodeSegment(&enc, &offs, s[p.start:p.end], p.start, spans[:0])
	}
	// HF converts offsets to characters before post-processing, so the
	// trimming below counts characters, not bytes.
	enc.Offsets = runeOffsets(s, offs)
	if b.postProc != nil && b.postProc.TrimOffsets {
		trimOffsets(enc.Tokens, enc.Offsets, b.postProc.AddPrefixSpace)
	}
	return enc
}

// encodeSegment encodes text found between added tokens; base is its byte
// offset in the input.
func (b *BPE) encodeSegment(
	enc *Encoding,
	offs *[][2]int,
	seg string,
	base int,
	spans [][2]int,
) [][2]int {
	if seg == "" {
		return spans
	}

	// The prefix space is aligned with the segment's first character, as
	// HF's NormalizedString.prepend aligns it.
	norm, shift := seg, 0
	if b.preTok.AddPrefixSpace && seg[0] != ' ' {
		norm, shift = " "+seg, 1
	}
	if b.preTok.UseRegex {
		spans = appendPreTokens(spans, norm)
	} else {
		spans = append(spans, [2]int{0, len(norm)})
	}

	cur := runeCursor{s: seg}
	for _, sp := range spans {
		word := norm[sp[0]:sp[1]]
		wc := byteCursor{word: word}
		pos := 0
		for _, t := range b.wordTokens(word) {
			start, end := pos, pos+int(t.nlen)
			pos = end
			first := sp[0] + wc.rawIndex(start) - shift
			last := sp[0] + wc.rawIndex(end-1) - shift
			lo, _ := cur.runeAt(max(first, 0))
			_, hi := cur.runeAt(max(last, 0))
			tok, _ := b.IDToToken(int(t.id))
			enc.IDs = append(enc.IDs, int(t.id))
			enc.Tokens = append(enc.Tokens, tok)
			*offs = append(*offs, [2]int{base + lo, base + hi})
		}
	}
	return spans
}

// byteCursor maps positions in the byte-level spelling of word (measured
// in UTF-8 bytes) to indexes of word's bytes. Queries must not decrease.
type byteCursor struct {
	word      string
	raw, norm int // word[raw] starts at position norm
}

func (c *byteCursor) rawIndex(p int) int {
	for c.raw < len(c.word)-1 && c.norm+byteCharLen[c.word[c.raw]] <= p {
		c.norm += byteCharLen[c.word[c.raw]]
		c.raw++
	}
	return c.raw
}

// runeCursor returns the byte range of the character holding a byte of s.
// Queries must not decrease.
type runeCursor struct {
	s          string
	start, end int
}

func (c *runeCursor) runeAt(i int) (int, int) {
	for c.end <= i && c.end < len(c.s) {
		c.start = c.end
		_, size := utf8.DecodeRuneInString(c.s[c.end:])
		c.end += size
	}
	return c.start, c.end
}

// wordTokens encodes one pre-token, through the cache.
func (b *BPE) wordTokens(word string) []wordToken {
	b.cacheMu.RLock()
	toks, ok := b.cache[word]
	b.cacheMu.RUnlock()
	if ok {
		return toks
	}
	toks = b.encodeWord(word)
	b.cacheMu.Lock()
	if len(b.cache) < b.cacheLimit {
		b.cache[word] = toks
	}
	b.cacheMu.Unlock()
	return toks
}

// encodeWord runs the BPE model on one pre-token given in raw bytes.
func (b *BPE) encodeWord(word string) []wordToken {
	if b.model.ignoreMerges {
		if id, ok := b.vocab[ByteLevel(word)]; ok {
			n := 0
			for i := 0; i < len(word); i++ {
				n += byteCharLen[word[i]]
			}
			return []wordToken{{int32(id), int32(n)}}
		}
	}

	syms := b.initialSymbols(word)
	if len(syms) < 2 {
		return syms
	}

	// Repeatedly merge the adjacent pair of lowest rank, leftmost first.
	// This is what HF's heap of (rank, position) does; a linear scan is
	// cheaper for words of ordinary length, and results are cached.
	ranks := make([]int32, len(syms)-1)
	newIDs := make([]int32, len(syms)-1)
	for i := range ranks {
		ranks[i], newIDs[i] = b.rankOf(syms[i].id, syms[i+1].id)
	}
	for {
		best, bestRank := -1, int32(math.MaxInt32)
		for i, r := range ranks {
			if r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		syms[best] = wordToken{newIDs[best], syms[best].nlen + syms[best+1].nlen}
		syms = append(syms[:best+1], syms[best+2:]...)
		ranks = append(ranks[:best], ranks[best+1:]...)
		newIDs = append(newIDs[:best], newIDs[best+1:]...)
		if best > 0 {
			ranks[best-1], newIDs[best-1] = b.rankOf(syms[best-1].id, syms[best].id)
		}
		if best < len(ranks) {
			ranks[best], newIDs[best] = b.rankOf(syms[best].id, syms[best+1].id)
		}
	}
	return syms
}

func (b *BPE) rankOf(l, r int32) (int32, int32) {
	if m, ok := b.ranks[pairKey(l, r)]; ok {
		return m.rank, m.id
	}
	return math.MaxInt32, -1
}

// initialSymbols gives one symbol per byte-level character of word. A
// character missing from the vocabulary becomes <0xXX> tokens (with
// byte_fallback), else the unknown token (fused with its neighbours when
// fuse_unk), else it is dropped before merging, as HF does.
func (b *BPE) initialSymbols(word string) []wordToken {
	syms := make([]wordToken, 0, len(word))
	var unk *wordToken
	for i := 0; i < len(word); i++ {
		c := word[i]
		blen := int32(byteCharLen[c])
		if id := b.byteID[c]; id >= 0 {
			if unk != nil {
				syms = append(syms, *unk)
				unk = nil
			}
			syms = append(syms, wordToken{id, blen})
			continue
		}
		if b.model.byteFallback {
			if fb, ok := b.fallbackIDs(c); ok {
				for _, id := range fb {
					syms = append(syms, wordToken{id, 1})
				}
				continue
			}
		}
		if b.model.unkToken == nil {
			continue
		}
		unkID := int32(b.vocab[*b.model.unkToken])
		switch {
		case unk != nil && b.model.fuseUnk:
			unk.nlen += blen
		case unk != nil:
			syms = append(syms, *unk)
			unk = &wordToken{unkID, blen}
		default:
			unk = &wordToken{unkID, blen}
		}
	}
	if unk != nil {
		syms = append(syms, *unk)
	}
	return syms
}

// fallbackIDs returns the ids of the <0xXX> tokens for the UTF-8 bytes of
// the byte-level character of c, if all exist.
func (b *BPE) fallbackIDs(c byte) ([]int32, bool) {
	var ids []int32
	for _, x := range []byte(byteCharUTF8[c]) {
		id, ok := b.vocab[fallbackToken(x)]
		if !ok {
			return nil, false
		}
		ids = append(ids, int32(id))
	}
	return ids, true
}

func fallbackToken(x byte) string {
	const hex = "0123456789ABCDEF"
	return string([]byte{'<', '0', 'x', hex[x>>4], hex[x&15], '>'})
}

// trimOffsets is HF's ByteLevel post-processor with trim_offsets: offsets
// (in characters) lose the leading and trailing spaces of their token, except
// the one space added as prefix to the first token.
func trimOffsets(tokens []string, offs [][2]int, addPrefixSpace bool) {
	isSpace := func(r rune) bool { return r == byteChar[' '] || unicode.IsSpace(r) }
	for i, tok := range tokens {
		lead, trail := 0, 0
		for _, r := range tok {
			if !isSpace(r) {
				break
			}
			lead++
		}
		for j := len(tok); j > 0; {
			r, size := utf8.DecodeLastRuneInString(tok[:j])
			if !isSpace(r) {
				break
			}
			trail++
			j -= size
		}
		o := &offs[i]
		if lead > 0 {
			if (i == 0 || o[0] == 0) && addPrefixSpace && lead == 1 {
				lead = 0
			}
			o[0] = min(o[0]+lead, o[1])
		}
		if trail > 0 && o[1] >= trail {
			o[1] = max(o[1]-trail, o[0])
		}
	}
}

// runeOffsets converts byte offsets in s to rune offsets.
func runeOffsets(s string, offs [][2]int) [][2]int {
	out := make([][2]int, len(offs))
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		copy(out, offs)
		return out
	}
	index := make([]int32, len(s)+1) // byte offset -> rune offset
	n := int32(0)
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		for k := 0; k < size; k++ {
			index[i+k] = n
		}
		i += size
		n++
	}
	index[len(s)] = n
	for i, o := range offs {
		out[i] = [2]int{int(index[o[0]]), int(index[o[1]])}
	}
	return out
}

// EncodeBatch encodes texts on up to threads goroutines (0 means
// GOMAXPROCS), as HF's encode_batch does on its thread pool. Results are in
// input order.
func (b *BPE) EncodeBatch(texts []string, threads int) []Encoding {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	out := make([]Encoding, len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, len(texts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(texts) {
					return
				}
				out[i] = b.Encode(texts[i])
			}
		}()
	}
	wg.Wait()
	return out
}
