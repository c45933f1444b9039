package tokenize

import "unicode/utf8"

// byteChar maps a byte to the rune that stands for it in byte-level token
// strings (GPT-2's bytes_to_unicode): printable Latin-1 bytes keep their
// code point, the other 68 bytes are given U+0100.. in ascending order.
var byteChar [256]rune

// byteCharUTF8 holds the UTF-8 encoding of byteChar[b], and byteCharLen its
// length: 1 for 0x21-0x7E, 2 for everything else. HF measures the model's
// offsets in these bytes, which matters when characters are dropped.
var (
	byteCharUTF8 [256]string
	byteCharLen  [256]int
)

// charByte is the inverse of byteChar, indexed by rune; -1 marks runes
// that stand for no byte.
var charByte [0x144]int16

func init() {
	next := rune(0x100)
	for b := 0; b < 256; b++ {
		switch {
		case b >= 0x21 && b <= 0x7e, b >= 0xa1 && b <= 0xac, b >= 0xae:
			byteChar[b] = rune(b)
		default:
			byteChar[b] = next
			next++
		}
	}
	for i := range charByte {
		charByte[i] = -1
	}
	for b, r := range byteChar {
		byteCharUTF8[b] = string(r)
		byteCharLen[b] = utf8.RuneLen(r)
		charByte[r] = int16(b)
	}
}

// ByteLevel returns the byte-level spelling of s: every byte of s replaced
// by the rune that stands for it, as token strings in vocab and merges are
// written.
func ByteLevel(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		n += byteCharLen[s[i]]
	}
	buf := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		buf = append(buf, byteCharUTF8[s[i]]...)
	}
	return string(buf)
}

// appendUnByteLevel appends the bytes a byte-level token string stands for.
// A rune outside the byte alphabet contributes its own UTF-8 bytes, as HF's
// ByteLevel decoder does (this happens for added tokens).
func appendUnByteLevel(dst []byte, tok string) []byte {
	for i := 0; i < len(tok); {
		r, size := utf8.DecodeRuneInString(tok[i:])
		if r < rune(len(charByte)) && charByte[r] >= 0 {
			dst = append(dst, byte(charByte[r]))
		} else {
			dst = append(dst, tok[i:i+size]...)
		}
		i += size
	}
	return dst
}

// Alphabet returns the 256 byte-level runes in byte order.
func Alphabet() []rune {
	out := make([]rune, 256)
	copy(out, byteChar[:])
	return out
}
