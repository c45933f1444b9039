package pipeline

import (
	"fmt"
	"strings"
)

// suggest returns ` (did you mean "x"?)` for the closest of the candidates
// within two edits of s, or "" when none is close. Typos in keys are the most
// common mistake in experiment files; naming the fix saves a trip to docs.
func suggest(s string, candidates ...string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unknownKey says a key is not allowed, with the likely fix or the list of
// keys that are.
func unknownKey(key string, known ...string) string {
	if s := suggest(key, known...); s != "" {
		return "unknown key" + s
	}
	return "unknown key (known: " + strings.Join(known, ", ") + ")"
}
