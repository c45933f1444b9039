package tokenize

// trainer runs BpeTrainer's merge loop (tokenizers/src/models/bpe/
// trainer.rs) over the distinct pre-tokens ("words"). Pair counts are
// updated incrementally from the changes each merge makes, and a max-heap
// of (count, pair) picks the next merge. The quirks that decide which
// merges come out are kept on purpose:
//   - ties in count go to the smaller (left id, right id);
//   - a heap entry carries the words where its pair was seen when it was
//     pushed, and a merge is applied only to those words;
//   - the merged pair's own count is never decremented;
//   - a stale entry is pushed back with the current count.
type trainer struct {
	// Word w's symbols are syms[start[w] : start[w]+length[w]].
	syms   []int32
	start  []int32
	length []int32
	count  []int64
	tokens []string

	pairIdx   map[uint64]int32
	pairKeys  []uint64
	pairCount []int64

	// Pairs that gained occurrences during the current merge, with the
	// words where they did (HF's where_to_update).
	step        int32
	touchedStep []int32
	touchedPos  [][]int32
	touched     []int32

	heap    mergeHeap
	threads int
}

func newTrainer(wc *wordCounts, byteID [256]int32, tokens []string, threads int) *trainer {
	total := 0
	for _, w := range wc.words {
		total += len(w)
	}
	t := &trainer{
		syms:    make([]int32, 0, total),
		start:   make([]int32, len(wc.words)),
		length:  make([]int32, len(wc.words)),
		count:   wc.counts,
		tokens:  tokens,
		pairIdx: make(map[uint64]int32),
		threads: threads,
	}
	for w, word := range wc.words {
		t.start[w] = int32(len(t.syms))
		t.length[w] = int32(len(word))
		for i := 0; i < len(word); i++ {
			t.syms = append(t.syms, byteID[word[i]])
		}
	}

	// Count every adjacent pair (overlaps included: "aaa" has two) and
	// remember the words it occurs in.
	var where [][]int32
	for w := range t.start {
		s := t.word(int32(w))
		for i := 0; i+1 < len(s); i++ {
			p := t.pair(s[i], s[i+1])
			t.pairCount[p] += t.count[w]
			for int(p) >= len(where) {
				where = append(where, nil)
			}
			if l := where[p]; len(l) == 0 || l[len(l)-1] != int32(w) {
				where[p] = append(l, int32(w))
			}
		}
	}
	t.heap = make(mergeHeap, 0, len(t.pairKeys))
	for p, pos := range where {
		if t.pairCount[p] > 0 {
			t.heap = append(t.heap, heapEntry{t.pairCount[p], t.pairKeys[p], int32(p), pos})
		}
	}
	t.heap.init()
	return t
}

func (t *trainer) word(w int32) []int32 {
	return t.syms[t.start[w] : t.start[w]+t.length[w]]
}

// pair returns the index of pair (l, r), creating it with count 0.
func (t *trainer) pair(l, r int32) int32 {
	k := pairKey(l, r)
	if p, ok := t.pairIdx[k]; ok {
		return p
	}
	p := int32(len(t.pairKeys))
	t.pairIdx[k] = p
	t.pairKeys = append(t.pairKeys, k)
	t.pairCount = append(t.pairCount, 0)
	t.touchedStep = append(t.touchedStep, -1)
	t.touchedPos = append(t.touchedPos, nil)
	return p
}

// run merges until the vocabulary reaches opts.VocabSize, the heap is
// empty or the best count falls below opts.MinFrequency (or 1).
func (t *trainer) run(vocab map[string]int, opts TrainOptions) []Merge {
	var merges []Merge
	limit := opts.VocabSize - len(t.tokens)
	for len(t.tokens) < opts.VocabSize && len(t.heap) > 0 {
		top := t.heap.pop()
		if cur := t.pairCount[top.pair]; top.count != cur {
			top.count = cur
			t.heap.push(top)
			continue
		}
		if top.count < 1 || opts.MinFrequency > top.count {
			break
		}

		l, r := int32(top.key>>32), int32(uint32(top.key))
		merged := t.tokens[l] + t.tokens[r]
		// The merged string may already be a token (made by another pair,
		// or a special token): then the vocabulary does not grow.
		id, ok := vocab[merged]
		if !ok {
			id = len(t.tokens)
			vocab[merged] = id
			t.tokens = append(t.tokens, merged)
		}
		merges = append(merges, Merge{t.tokens[l], t.tokens[r]})

		t.step++
		for _, w := range top.pos {
			t.mergeWord(w, l, r, int32(id))
		}
		for _, p := range t.touched {
			if c := t.pairCount[p]; c > 0 {
				t.heap.push(heapEntry{c, t.pairKeys[p], p, t.touchedPos[p]})
			}
			t.touchedPos[p] = nil
		}
		t.touched = t.touched[:0]

		if opts.Progress != nil && len(merges)%1000 == 0 {
			opts.Progress(len(merges), limit)
		}
	}
	if opts.Progress != nil {
		opts.Progress(len(merges), limit)
	}
	return merges
}

// mergeWord replaces every non-overlapping (a, b) in word w, left to
// right, by id and records the pair changes as HF's Word::merge does: the
// symbol before a match may be the result of the previous match.
func (t *trainer) mergeWord(w, a, b, id int32) {
	s := t.word(w)
	c := t.count[w]
	out := 0
	for i := 0; i < len(s); {
		if s[i] != a || i+1 >= len(s) || s[i+1] != b {
			s[out] = s[i]
			out++
			i++
			continue
		}
		if out > 0 {
			prev := s[out-1]
			t.change(prev, a, -c, w)
			t.change(prev, id, c, w)
		}
		s[out] = id
		out++
		if i+2 < len(s) {
			next := s[i+2]
			t.change(b, next, -c, w)
			t.change(id, next, c, w)
		}
		i += 2
	}
	t.length[w] = int32(out)
}

func (t *trainer) change(l, r int32, delta int64, w int32) {
	p := t.pair(l, r)
	t.pairCount[p] += delta
	if delta <= 0 {
		return
	}
	if t.touchedStep[p] != t.step {
		t.touchedStep[p] = t.step
		t.touched = append(t.touched, p)
	}
	if l := t.touchedPos[p]; len(l) == 0 || l[len(l)-1] != w {
		t.touchedPos[p] = append(l, w)
	}
}

// heapEntry is one candidate merge: a pair, its count when pushed and the
// words to apply it to.
type heapEntry struct {
	count int64
	key   uint64 // left id << 32 | right id
	pair  int32
	pos   []int32
}

// mergeHeap is a binary max-heap: higher count first, then smaller key.
type mergeHeap []heapEntry

func (h mergeHeap) before(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].key < h[j].key
}

func (h mergeHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *mergeHeap) push(e heapEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.before(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *mergeHeap) pop() heapEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = heapEntry{}
	*h = s[:last]
	if last > 0 {
		h.down(0)
	}
	return top
}

func (h mergeHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.before(r, l) {
			m = r
		}
		if !h.before(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
