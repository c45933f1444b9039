package metrics

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BLEU tokenizer names, as sacreBLEU spells them in its signature.
const (
	Tokenize13a  = "13a"
	TokenizeIntl = "intl"
	TokenizeChar = "char"
	TokenizeNone = "none"
)

// TokenizeForBLEU returns line as sacreBLEU sees it before counting
// n-grams: lowercased (Python's str.lower) when opts.Lowercase, stripped of
// trailing Python whitespace, then tokenized, tokens joined by single
// spaces. (For "none" the line comes back unsplit, as sacreBLEU keeps it.)
func TokenizeForBLEU(line string, opts BLEUOptions) (string, error) {
	tok, err := tokenizerFor(opts.Tokenize)
	if err != nil {
		return "", err
	}
	if opts.Lowercase {
		line = pyLower(line)
	}
	return tok(pyRstrip(line)), nil
}

// tokenizerFor returns the tokenizer named by name ("" means 13a).
func tokenizerFor(name string) (func(string) string, error) {
	switch name {
	case "", Tokenize13a:
		return tokenize13a, nil
	case TokenizeIntl:
		return tokenizeIntl, nil
	case TokenizeChar:
		return tokenizeChar, nil
	case TokenizeNone:
		return func(s string) string { return s }, nil
	}
	return nil, fmt.Errorf("unknown BLEU tokenizer %q (want 13a, intl, char or none)", name)
}

// tokenize13a is sacreBLEU's default tokenizer, mteval-v13a's rules.
//
// Its four regular-expression passes only ever look at ASCII characters,
// so they run here on bytes: a multi-byte character is never punctuation
// or a digit, and the bytes of a character are always copied together.
// That also keeps invalid UTF-8 intact.
func tokenize13a(line string) string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	if strings.Contains(line, "&") {
		// The order matters: "&amp;lt;" ends as "<".
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	b := []byte(" " + line + " ")

	// ([{-~[-` -&(-+:-@/]) -> " \1 "
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		if is13aPunct(c) {
			out = append(out, ' ', c, ' ')
		} else {
			out = append(out, c)
		}
	}

	// ([^0-9])([.,]) -> "\1 \2 "
	b, out = out, make([]byte, 0, len(out)+len(out)/4)
	for i := 0; i < len(b); i++ {
		if !isDigit(b[i]) && i+1 < len(b) && isPeriodComma(b[i+1]) {
			out = append(out, b[i], ' ', b[i+1], ' ')
			i++
			continue
		}
		out = append(out, b[i])
	}

	// ([.,])([^0-9]) -> " \1 \2"
	b, out = out, make([]byte, 0, len(out)+len(out)/4)
	for i := 0; i < len(b); i++ {
		if isPeriodComma(b[i]) && i+1 < len(b) && !isDigit(b[i+1]) {
			out = append(out, ' ', b[i], ' ', b[i+1])
			i++
			continue
		}
		out = append(out, b[i])
	}

	// ([0-9])(-) -> "\1 \2 "
	b, out = out, make([]byte, 0, len(out)+len(out)/4)
	for i := 0; i < len(b); i++ {
		if isDigit(b[i]) && i+1 < len(b) && b[i+1] == '-' {
			out = append(out, b[i], ' ', '-', ' ')
			i++
			continue
		}
		out = append(out, b[i])
	}

	return strings.Join(pySplit(string(out)), " ")
}

// is13aPunct reports membership in 13a's first character class: the
// space and the ASCII punctuation other than ' , - and . (the digit and
// letter ranges are not in it).
func is13aPunct(c byte) bool {
	switch {
	case c >= '{' && c <= '~', c >= '[' && c <= '`', c >= ' ' && c <= '&',
		c >= '(' && c <= '+', c >= ':' && c <= '@', c == '/':
		return true
	}
	return false
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isPeriodComma(c byte) bool { return c == '.' || c == ',' }

// The international tokenizer (mteval-v14 --international-tokenization)
// as sacreBLEU writes it with the regex module's Unicode classes. Go's
// \pP, \pS and \PN are the same general categories.
var intlRules = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(\PN)(\pP)`), "${1} ${2} "},
	{regexp.MustCompile(`(\pP)(\PN)`), " ${1} ${2}"},
	{regexp.MustCompile(`(\pS)`), " ${1} "},
}

func tokenizeIntl(line string) string {
	for _, r := range intlRules {
		line = r.re.ReplaceAllString(line, r.repl)
	}
	return strings.Join(pySplit(line), " ")
}

// tokenizeChar puts a space between all characters; whitespace characters
// then vanish in the split.
func tokenizeChar(line string) string {
	var b strings.Builder
	for _, r := range line {
		if pySpace(r) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pySpace reports whether Python's str.isspace holds for r: Unicode
// White_Space (Go's unicode.IsSpace) plus the separators U+001C-U+001F,
// which Python counts and Go does not.
func pySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pySplit is Python's str.split() with no arguments.
func pySplit(s string) []string {
	return strings.FieldsFunc(s, pySpace)
}

// pyRstrip is Python's str.rstrip() with no arguments.
func pyRstrip(s string) string {
	return strings.TrimRightFunc(s, pySpace)
}

// pyLower is Python's str.lower(): full Unicode lowercasing. It differs
// from strings.ToLower in the two places SpecialCasing.txt applies
// without a language: capital sigma becomes final sigma (ς) at the end of
// a word, and İ (U+0130) becomes "i" + U+0307. Other characters use their
// simple lowercase mapping, as in both languages.
func pyLower(s string) string {
	var b bytes.Buffer
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(s[i]) // keep invalid bytes as they are
		case r == 'Σ':
			if finalSigma(s, i, i+size) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		case r == 'İ':
			b.WriteString("i\u0307")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += size
	}
	return b.String()
}

// finalSigma applies Unicode's Final_Sigma condition to the capital sigma
// at s[start:end]: a cased letter before it (skipping case-ignorable
// characters) and none after it.
func finalSigma(s string, start, end int) bool {
	before := false
	for j := start; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := end; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

// cased is Unicode's Cased property: Lowercase, Uppercase or Lt.
func cased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is Unicode's Case_Ignorable property: categories Mn, Me,
// Cf, Lm and Sk, plus the Word_Break classes MidLetter, MidNumLet and
// Single_Quote, which Go's tables lack and are listed here (Unicode 14).
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2018, 0x2019, 0x2024,
		0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
