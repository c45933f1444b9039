package tokenize

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// wordCounts holds the distinct pre-tokens (raw bytes) and their numbers
// of occurrences.
type wordCounts struct {
	index  map[string]int32
	words  []string
	counts []int64
}

func newWordCounts() *wordCounts { return &wordCounts{index: make(map[string]int32)} }

// add counts n more occurrences of w. w may alias a reused buffer: it is
// copied when first seen.
func (wc *wordCounts) add(w string, n int64) {
	if i, ok := wc.index[w]; ok {
		wc.counts[i] += n
		return
	}
	w = strings.Clone(w)
	wc.index[w] = int32(len(wc.words))
	wc.words = append(wc.words, w)
	wc.counts = append(wc.counts, n)
}

// chunkSize is the unit of work for parallel counting: large enough that
// per-chunk overhead vanishes, small enough to balance a few cores.
const chunkSize = 1 << 20

type chunk struct {
	text  []byte
	src   int // index of the text it comes from
	start int // byte offset in that text
}

// countWords pre-tokenizes texts line by line, as HF's train(files) reads
// them (every line keeps its "\n"; a pre-token never spans two lines), and
// counts the pre-tokens on all cores. names label the texts in errors.
func countWords(texts [][]byte, names []string, prefix bool, threads int) (*wordCounts, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	chunks := make(chan chunk, threads*2)
	go func() {
		defer close(chunks)
		for src, t := range texts {
			for start := 0; start < len(t); {
				end := min(start+chunkSize, len(t))
				if end < len(t) {
					// Cut after a newline so no line is split.
					if nl := bytes.IndexByte(t[end:], '\n'); nl >= 0 {
						end += nl + 1
					} else {
						end = len(t)
					}
				}
				chunks <- chunk{t[start:end], src, start}
				start = end
			}
		}
	}()

	results := make([]*wordCounts, threads)
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			counts := newWordCounts()
			var spans [][2]int
			var scratch []byte
			for c := range chunks {
				if errs[w] != nil {
					continue // drain
				}
				if !utf8.Valid(c.text) {
					// HF reads lines into Rust Strings and fails the same way.
					off := c.start + validPrefix(c.text)
					t := texts[c.src]
					errs[w] = fmt.Errorf("%s:%d: invalid UTF-8 (byte 0x%02x at offset %d)",
						names[c.src], bytes.Count(t[:off], []byte("\n"))+1, t[off], off)
					continue
				}
				spans, scratch = countChunk(counts, c.text, prefix, spans, scratch)
			}
			results[w] = counts
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	// Merge into the largest map.
	big := 0
	for i, r := range results {
		if len(r.words) > len(results[big].words) {
			big = i
		}
	}
	total := results[big]
	for i, r := range results {
		if i == big {
			continue
		}
		for j, w := range r.words {
			total.add(w, r.counts[j])
		}
	}
	return total, nil
}

func countChunk(
	counts *wordCounts,
	text []byte,
	prefix bool,
	spans [][2]int,
	scratch []byte,
) ([][2]int, []byte) {
	for len(text) > 0 {
		n := bytes.IndexByte(text, '\n') + 1
		if n == 0 {
			n = len(text)
		}
		line := text[:n]
		text = text[n:]
		if prefix && line[0] != ' ' {
			scratch = append(append(scratch[:0], ' '), line...)
			line = scratch
		}
		// s is only read here; add copies the pre-tokens it keeps.
		s := unsafe.String(unsafe.SliceData(line), len(line))
		spans = appendPreTokens(spans[:0], s)
		for _, sp := range spans {
			counts.add(s[sp[0]:sp[1]], 1)
		}
	}
	return spans, scratch
}

func validPrefix(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
