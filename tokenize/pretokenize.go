package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// Character classes of the GPT-2 split pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// which Go's regexp cannot run (it has no lookahead), so the split is
// written out by hand below.
const (
	classSpace  = iota // \s: the Unicode White_Space property
	classLetter        // \p{L}
	classNumber        // \p{N}
	classOther         // everything else, invalid UTF-8 bytes included
)

var asciiClass [utf8.RuneSelf]uint8

func init() {
	for c := range asciiClass {
		r := rune(c)
		asciiClass[c] = classOfRune(r)
	}
}

// classOfRune uses unicode.IsSpace, which is exactly White_Space (the
// ASCII-only \s of package regexp would be wrong here).
func classOfRune(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r):
		return classSpace
	}
	return classOther
}

// classAt returns the class of the character starting at s[i] and its
// length in bytes. An invalid byte is one character of class other.
func classAt(s string, i int) (uint8, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return classOther, 1
	}
	return classOfRune(r), size
}

// contraction returns the length of the contraction suffix that rest (the
// text after an apostrophe) starts with, or 0. The alternatives are tried
// in the pattern's order; matching is case-sensitive and needs no word
// boundary, so "'sup" gives "'s".
func contraction(rest string) int {
	if len(rest) == 0 {
		return 0
	}
	switch rest[0] {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if len(rest) > 1 && rest[1] == 'e' {
			return 2
		}
	case 'l':
		if len(rest) > 1 && rest[1] == 'l' {
			return 2
		}
	}
	return 0
}

// appendPreTokens appends to dst the [start, end) byte ranges of the
// pre-tokens of s, which tile s without gaps.
func appendPreTokens(dst [][2]int, s string) [][2]int {
	n := len(s)
	for i := 0; i < n; {
		if s[i] == '\'' {
			if l := contraction(s[i+1:]); l > 0 {
				dst = append(dst, [2]int{i, i + 1 + l})
				i += 1 + l
				continue
			}
		}

		// " ?\p{L}+", " ?\p{N}+" and " ?[^\s\p{L}\p{N}]+": an optional
		// space, then a maximal run of one class.
		cls, size := classAt(s, i)
		j := i
		if s[i] == ' ' && i+1 < n {
			if c2, size2 := classAt(s, i+1); c2 != classSpace {
				cls, size, j = c2, size2, i+1
			}
		}
		if cls != classSpace {
			k := j + size
			for k < n {
				c, sz := classAt(s, k)
				if c != cls {
					break
				}
				k += sz
			}
			dst = append(dst, [2]int{i, k})
			i = k
			continue
		}

		// "\s+(?!\S)|\s+": a whitespace run up to the end of the text, or
		// all of it but its last character when more text follows (that
		// character then starts the next pre-token), or a single character.
		k, last := i+size, i
		for k < n {
			c, sz := classAt(s, k)
			if c != classSpace {
				break
			}
			last = k
			k += sz
		}
		end := k
		if k < n && last > i {
			end = last
		}
		dst = append(dst, [2]int{i, end})
		i = end
	}
	return dst
}

// PreTokenize splits s as HF's ByteLevel pre-tokenizer does (with
// use_regex true) and returns the pieces in byte-level spelling. With
// addPrefixSpace, a space is put before s when s is not empty and does not
// start with one.
func PreTokenize(s string, addPrefixSpace bool) []string {
	if addPrefixSpace && s != "" && s[0] != ' ' {
		s = " " + s
	}
	var out []string
	for _, sp := range appendPreTokens(nil, s) {
		out = append(out, ByteLevel(s[sp[0]:sp[1]]))
	}
	return out
}
