package tokenize

import (
	"sort"
	"strings"
)

// tokenMatcher finds added tokens in text: leftmost match first and, at
// one position, the longest (HF uses Aho-Corasick with LeftmostLongest).
// Added tokens are few, so candidates are kept per first byte.
type tokenMatcher struct {
	byFirst [256][]string
	ids     map[string]int
	any     bool
}

func newTokenMatcher(contents []string, ids map[string]int) *tokenMatcher {
	m := &tokenMatcher{ids: ids}
	for _, c := range contents {
		if c == "" {
			continue // HF never matches an empty token
		}
		m.byFirst[c[0]] = append(m.byFirst[c[0]], c)
		m.any = true
	}
	for i := range m.byFirst {
		l := m.byFirst[i]
		sort.SliceStable(l, func(a, b int) bool { return len(l[a]) > len(l[b]) })
	}
	return m
}

// find returns the first match in s at or after from.
func (m *tokenMatcher) find(s string, from int) (start, end, id int, ok bool) {
	if !m.any {
		return 0, 0, 0, false
	}
	for i := from; i < len(s); i++ {
		for _, c := range m.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], c) {
				return i, i + len(c), m.ids[c], true
			}
		}
	}
	return 0, 0, 0, false
}

// piece is a part of the input: an added token (id >= 0) or text to be
// pre-tokenized (id < 0), at byte offsets [start, end).
type piece struct {
	start, end int
	id         int
}

// splitAdded cuts the added tokens out of s: first the non-normalized ones
// on the raw text, then the normalized ones in what is left between them,
// the order HF follows.
func (b *BPE) splitAdded(s string) []piece {
	if !b.matchRaw.any && !b.matchNorm.any {
		return []piece{{0, len(s), -1}}
	}
	var out []piece
	for _, p := range splitWith(b.matchRaw, s, piece{0, len(s), -1}) {
		if p.id >= 0 {
			out = append(out, p)
			continue
		}
		out = append(out, splitWith(b.matchNorm, s, p)...)
	}
	return out
}

func splitWith(m *tokenMatcher, s string, p piece) []piece {
	var out []piece
	at := p.start
	text := s[:p.end]
	for {
		start, end, id, ok := m.find(text, at)
		if !ok {
			break
		}
		if start > at {
			out = append(out, piece{at, start, -1})
		}
		out = append(out, piece{start, end, id})
		at = end
	}
	if at < p.end || len(out) == 0 {
		out = append(out, piece{at, p.end, -1})
	}
	return out
}
