package tokenize

import (
	"strings"
	"unicode/utf8"
)

// Decode turns ids back into text as HF's decode(ids, false) does. With a
// ByteLevel decoder, the tokens' bytes are joined and invalid UTF-8 is
// replaced by U+FFFD the way Rust's String::from_utf8_lossy does (one
// U+FFFD per maximal invalid subsequence). Without a decoder, the tokens
// are joined with spaces. Unknown ids are skipped, as in HF. The prefix
// space the pre-tokenizer may have added is kept.
func (b *BPE) Decode(ids []int) string {
	if b.decoder == nil {
		return strings.Join(b.idTokens(ids, false), " ")
	}
	return lossyUTF8(b.appendDecoded(nil, ids, false))
}

// DecodeSkipSpecial is Decode with special added tokens left out, HF's
// decode(ids, true).
func (b *BPE) DecodeSkipSpecial(ids []int) string {
	if b.decoder == nil {
		return strings.Join(b.idTokens(ids, true), " ")
	}
	return lossyUTF8(b.appendDecoded(nil, ids, true))
}

// DecodeBytes returns the bytes the ids stand for, without replacing
// invalid UTF-8, so that any byte string survives Encode then DecodeBytes
// (less the prefix space, if the pre-tokenizer adds one). It ignores the
// decoder setting.
func (b *BPE) DecodeBytes(ids []int) []byte {
	return b.appendDecoded(nil, ids, false)
}

func (b *BPE) idTokens(ids []int, skipSpecial bool) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if t, ok := b.addedByID[id]; ok && t.Special && skipSpecial {
			continue
		}
		if tok, ok := b.IDToToken(id); ok {
			out = append(out, tok)
		}
	}
	return out
}

// appendDecoded is HF's ByteLevel decoder: a token whose characters all
// stand for bytes becomes those bytes; any other token (an added token
// with a space, say) contributes its own UTF-8 bytes unchanged.
func (b *BPE) appendDecoded(dst []byte, ids []int, skipSpecial bool) []byte {
	for _, tok := range b.idTokens(ids, skipSpecial) {
		mark := len(dst)
		ok := true
		for _, r := range tok {
			if r >= rune(len(charByte)) || charByte[r] < 0 {
				ok = false
				break
			}
			dst = append(dst, byte(charByte[r]))
		}
		if !ok {
			dst = append(dst[:mark], tok...)
		}
	}
	return dst
}

// lossyUTF8 converts b to a string, replacing each maximal prefix of a
// valid UTF-8 sequence that is cut short, and each byte that cannot start
// one, with U+FFFD. Go's strings.ToValidUTF8 would replace whole runs at
// once, and utf8.DecodeRune every byte: neither matches Rust.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			sb.WriteByte(b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			sb.Write(b[i : i+size])
			i += size
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += invalidPrefixLen(b[i:])
	}
	return sb.String()
}

// invalidPrefixLen returns how many bytes at the start of b form the
// longest prefix of some valid UTF-8 sequence (at least 1); b does not
// start with a complete valid sequence.
func invalidPrefixLen(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xbf) // allowed range of the second byte
	switch {
	case c >= 0xc2 && c <= 0xdf:
		need = 2
	case c == 0xe0:
		need, lo = 3, 0xa0
	case c >= 0xe1 && c <= 0xec, c == 0xee, c == 0xef:
		need = 3
	case c == 0xed:
		need, hi = 3, 0x9f
	case c == 0xf0:
		need, lo = 4, 0x90
	case c >= 0xf1 && c <= 0xf3:
		need = 4
	case c == 0xf4:
		need, hi = 4, 0x8f
	default:
		return 1
	}
	n := 1
	for n < need && n < len(b) {
		x := b[n]
		if n == 1 && (x < lo || x > hi) || n > 1 && (x < 0x80 || x > 0xbf) {
			break
		}
		n++
	}
	return n
}
