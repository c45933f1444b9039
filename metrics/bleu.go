package metrics

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// BLEUOrder is the largest n-gram order BLEU counts (sacreBLEU's
// max_ngram_order default; its CLI offers no other).
const BLEUOrder = 4

// sacreBLEUVersion is the sacreBLEU release whose corpus BLEU this file
// reproduces; it is part of the signature.
const sacreBLEUVersion = "2.6.0"

// Smoothing method names, as sacreBLEU spells them.
const (
	SmoothExp   = "exp"
	SmoothFloor = "floor"
	SmoothAddK  = "add-k"
	SmoothNone  = "none"
)

// BLEUOptions are sacreBLEU's BLEU options. The zero value is sacreBLEU's
// corpus_bleu default: 13a tokenizer, exp smoothing, case-sensitive, no
// effective order.
type BLEUOptions struct {
	Tokenize string // "13a" (default when empty), "intl", "char" or "none"
	Smooth   string // "exp" (default when empty), "floor", "add-k" or "none"
	// SmoothValue is floor's epsilon or add-k's k; 0 selects sacreBLEU's
	// defaults, 0.1 and 1. (A value of 0 would make either method behave
	// like "none", which is available by name.)
	SmoothValue float64
	Lowercase   bool
	// EffectiveOrder averages only the orders for which the hypotheses
	// have any n-grams, so short segments are not scored 0 for lacking
	// 4-grams. SentenceBLEU always uses it.
	EffectiveOrder bool
}

// resolve fills in defaults and checks the names.
func (o BLEUOptions) resolve() (BLEUOptions, error) {
	if o.Tokenize == "" {
		o.Tokenize = Tokenize13a
	}
	if _, err := tokenizerFor(o.Tokenize); err != nil {
		return o, err
	}
	switch o.Smooth {
	case "":
		o.Smooth = SmoothExp
	case SmoothExp, SmoothNone, SmoothFloor, SmoothAddK:
	default:
		return o, fmt.Errorf("unknown BLEU smoothing %q (want exp, floor, add-k or none)", o.Smooth)
	}
	if o.SmoothValue < 0 || math.IsNaN(o.SmoothValue) || math.IsInf(o.SmoothValue, 0) {
		return o, fmt.Errorf("invalid BLEU smoothing value %v", o.SmoothValue)
	}
	switch {
	case o.Smooth == SmoothFloor && o.SmoothValue == 0:
		o.SmoothValue = 0.1
	case o.Smooth == SmoothAddK && o.SmoothValue == 0:
		o.SmoothValue = 1
	case o.Smooth == SmoothExp || o.Smooth == SmoothNone:
		o.SmoothValue = 0
	}
	return o, nil
}

// BLEUStats are the sufficient statistics of BLEU for one segment or,
// summed with Add, for a corpus.
type BLEUStats struct {
	HypLen  int            // hypothesis tokens
	RefLen  int            // tokens of the reference closest in length (ties: the shorter)
	Correct [BLEUOrder]int // clipped n-gram matches, order 1..4
	Total   [BLEUOrder]int // hypothesis n-grams, order 1..4
}

// Add accumulates o into s.
func (s *BLEUStats) Add(o BLEUStats) {
	s.HypLen += o.HypLen
	s.RefLen += o.RefLen
	for n := range BLEUOrder {
		s.Correct[n] += o.Correct[n]
		s.Total[n] += o.Total[n]
	}
}

// BLEUScore is a BLEU score with the statistics behind it, as sacreBLEU's
// BLEUScore holds them.
type BLEUScore struct {
	Score float64 // 0-100
	// Counts and Totals are the corpus n-gram matches and n-grams per
	// order. With add-k smoothing they include the +k of orders 2-4, as
	// sacreBLEU reports them (and may then be fractional).
	Counts     [BLEUOrder]float64
	Totals     [BLEUOrder]float64
	Precisions [BLEUOrder]float64 // percent, after smoothing
	BP         float64            // brevity penalty
	SysLen     int
	RefLen     int
	// NRefs is the number of references per segment, or -1 when it
	// varies between segments.
	NRefs   int
	Options BLEUOptions // with defaults filled in
}

// Ratio is SysLen / RefLen, 0 when RefLen is 0.
func (s BLEUScore) Ratio() float64 {
	if s.RefLen == 0 {
		return 0
	}
	return float64(s.SysLen) / float64(s.RefLen)
}

// Signature is sacreBLEU's long BLEU signature, for example
// "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0".
func (s BLEUScore) Signature() string { return s.signature(false) }

// ShortSignature is the abbreviated form, "#:1|c:mixed|e:no|tok:13a|s:exp|v:2.6.0".
func (s BLEUScore) ShortSignature() string { return s.signature(true) }

func (s BLEUScore) signature(short bool) string {
	nrefs := fmt.Sprint(s.NRefs)
	if s.NRefs < 0 {
		nrefs = "var"
	}
	kase, eff := "mixed", "no"
	if s.Options.Lowercase {
		kase = "lc"
	}
	if s.Options.EffectiveOrder {
		eff = "yes"
	}
	smooth := s.Options.Smooth
	if smooth == SmoothFloor || smooth == SmoothAddK {
		smooth += fmt.Sprintf("[%.2f]", s.Options.SmoothValue)
	}
	keys := [...]string{"nrefs", "case", "eff", "tok", "smooth", "version"}
	if short {
		keys = [...]string{"#", "c", "e", "tok", "s", "v"}
	}
	vals := [...]string{nrefs, kase, eff, s.Options.Tokenize, smooth, sacreBLEUVersion}
	parts := make([]string, len(keys))
	for i := range keys {
		parts[i] = keys[i] + ":" + vals[i]
	}
	return strings.Join(parts, "|")
}

// Format prints the score as sacreBLEU's text output does, e.g.
// "BLEU = 34.12 61.5/41.0/29.4/21.2 (BP = 0.987 ratio = 0.987 hyp_len = 1234 ref_len = 1250)".
func (s BLEUScore) Format() string { return s.format("BLEU") }

// FormatWithSignature is Format with the signature after the name, the
// "verbose" line: "BLEU|nrefs:1|...|version:2.6.0 = 34.12 ...".
func (s BLEUScore) FormatWithSignature() string { return s.format("BLEU|" + s.Signature()) }

func (s BLEUScore) format(name string) string {
	prec := make([]string, BLEUOrder)
	for n, p := range s.Precisions {
		prec[n] = fmt.Sprintf("%.1f", p)
	}
	return fmt.Sprintf("%s = %.2f %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		name, s.Score, strings.Join(prec, "/"), s.BP, s.Ratio(), s.SysLen, s.RefLen)
}

// CorpusBLEU scores hypotheses against reference streams the way
// sacreBLEU's corpus_bleu does: refs[k][i] is the k-th reference of
// segment i, so one reference per segment is refs = [][]string{refs1}.
// Every stream must have one entry per hypothesis (sacreBLEU silently
// truncates to the shortest list; this reports an error instead).
// An empty string is a real, empty reference; for segments with fewer
// references use CorpusBLEUPerSegment.
func CorpusBLEU(hyps []string, refs [][]string, opts BLEUOptions) (BLEUScore, error) {
	if len(refs) == 0 {
		return BLEUScore{}, errors.New("corpus BLEU: no reference streams")
	}
	for k, stream := range refs {
		if len(stream) != len(hyps) {
			return BLEUScore{}, fmt.Errorf("corpus BLEU: reference stream %d has %d lines for %d hypotheses",
				k+1, len(stream), len(hyps))
		}
	}
	perSeg := make([][]string, len(hyps))
	for i := range hyps {
		perSeg[i] = make([]string, len(refs))
		for k := range refs {
			perSeg[i][k] = refs[k][i]
		}
	}
	return CorpusBLEUPerSegment(hyps, perSeg, opts)
}

// CorpusBLEUPerSegment is CorpusBLEU with the references grouped by
// segment: refs[i] lists the references of segment i, and their number may
// differ between segments (sacreBLEU's None references; the signature then
// says nrefs:var). Every segment needs at least one reference.
func CorpusBLEUPerSegment(hyps []string, refs [][]string, opts BLEUOptions) (BLEUScore, error) {
	opts, err := opts.resolve()
	if err != nil {
		return BLEUScore{}, fmt.Errorf("corpus BLEU: %w", err)
	}
	segs, nrefs, err := segmentStats(hyps, refs, opts)
	if err != nil {
		return BLEUScore{}, fmt.Errorf("corpus BLEU: %w", err)
	}
	var total BLEUStats
	for _, s := range segs {
		total.Add(s)
	}
	return scoreBLEU(total, nrefs, opts), nil
}

// SentenceBLEU scores one hypothesis against its references as
// sacreBLEU's sentence_bleu does: with effective order, whatever
// opts.EffectiveOrder says (score a single sentence without it through
// CorpusBLEU).
func SentenceBLEU(hyp string, refs []string, opts BLEUOptions) (BLEUScore, error) {
	opts.EffectiveOrder = true
	opts, err := opts.resolve()
	if err != nil {
		return BLEUScore{}, fmt.Errorf("sentence BLEU: %w", err)
	}
	segs, nrefs, err := segmentStats([]string{hyp}, [][]string{refs}, opts)
	if err != nil {
		return BLEUScore{}, fmt.Errorf("sentence BLEU: %w", err)
	}
	return scoreBLEU(segs[0], nrefs, opts), nil
}

// BLEUSegmentStats returns the statistics of every segment (references
// grouped by segment, as for CorpusBLEUPerSegment). Summed with
// BLEUStats.Add they give the corpus statistics; resampling them is how
// bootstrap confidence intervals are made.
func BLEUSegmentStats(hyps []string, refs [][]string, opts BLEUOptions) ([]BLEUStats, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("BLEU statistics: %w", err)
	}
	segs, _, err := segmentStats(hyps, refs, opts)
	if err != nil {
		return nil, fmt.Errorf("BLEU statistics: %w", err)
	}
	return segs, nil
}

// segmentStats computes per-segment statistics with resolved options and
// the reference count for the signature (-1 when it varies).
func segmentStats(hyps []string, refs [][]string, opts BLEUOptions) ([]BLEUStats, int, error) {
	if len(refs) != len(hyps) {
		return nil, 0, fmt.Errorf("%d reference groups for %d hypotheses", len(refs), len(hyps))
	}
	tok, _ := tokenizerFor(opts.Tokenize)
	prep := func(s string) []string {
		if opts.Lowercase {
			s = pyLower(s)
		}
		return pySplit(tok(pyRstrip(s)))
	}

	nrefs := -2
	segs := make([]BLEUStats, len(hyps))
	for i, hyp := range hyps {
		if len(refs[i]) == 0 {
			return nil, 0, fmt.Errorf("segment %d has no reference", i+1)
		}
		switch {
		case nrefs == -2:
			nrefs = len(refs[i])
		case nrefs != len(refs[i]):
			nrefs = -1
		}

		// Clip counts: the most times any one reference has each n-gram.
		maxRef := make(map[string]int)
		refLens := make([]int, len(refs[i]))
		for k, ref := range refs[i] {
			toks := prep(ref)
			refLens[k] = len(toks)
			for g, c := range ngramCounts(toks) {
				if c > maxRef[g] {
					maxRef[g] = c
				}
			}
		}

		toks := prep(hyp)
		s := &segs[i]
		s.HypLen = len(toks)
		s.RefLen = closestRefLen(s.HypLen, refLens)
		for g, c := range ngramCounts(toks) {
			n := strings.Count(g, " ")
			s.Correct[n] += min(c, maxRef[g])
		}
		for n := range BLEUOrder {
			s.Total[n] = max(0, len(toks)-n)
		}
	}
	if nrefs == -2 {
		nrefs = 0
	}
	return segs, nrefs, nil
}

// ngramCounts counts the n-grams of orders 1..BLEUOrder, each keyed by its
// tokens joined with single spaces (tokens never contain spaces, so the
// key's space count is the order minus one).
func ngramCounts(toks []string) map[string]int {
	counts := make(map[string]int, BLEUOrder*len(toks))
	for n := 1; n <= BLEUOrder; n++ {
		for i := 0; i+n <= len(toks); i++ {
			counts[strings.Join(toks[i:i+n], " ")]++
		}
	}
	return counts
}

// closestRefLen is the reference length closest to hypLen, the shorter one
// on ties.
func closestRefLen(hypLen int, refLens []int) int {
	best, bestDiff := -1, -1
	for _, l := range refLens {
		diff := l - hypLen
		if diff < 0 {
			diff = -diff
		}
		if bestDiff < 0 || diff < bestDiff || (diff == bestDiff && l < best) {
			best, bestDiff = l, diff
		}
	}
	return best
}

// logZero stands for log(0) in the geometric mean, as sacreBLEU's my_log
// does, so a zero precision drives the score to 0 without a -Inf.
const logZero = -9999999999

// scoreBLEU is sacreBLEU's compute_bleu on corpus statistics.
func scoreBLEU(st BLEUStats, nrefs int, opts BLEUOptions) BLEUScore {
	res := BLEUScore{SysLen: st.HypLen, RefLen: st.RefLen, NRefs: nrefs, Options: opts}
	for n := range BLEUOrder {
		res.Counts[n] = float64(st.Correct[n])
		res.Totals[n] = float64(st.Total[n])
	}

	switch {
	case st.HypLen >= st.RefLen:
		res.BP = 1
	case st.HypLen > 0:
		res.BP = math.Exp(1 - float64(st.RefLen)/float64(st.HypLen))
	}

	anyMatch := false
	for _, c := range st.Correct {
		anyMatch = anyMatch || c > 0
	}
	if !anyMatch {
		return res
	}

	order := BLEUOrder
	halve := 1.0
	for n := range BLEUOrder {
		if opts.Smooth == SmoothAddK && n > 0 {
			res.Counts[n] += opts.SmoothValue
			res.Totals[n] += opts.SmoothValue
		}
		if res.Totals[n] == 0 {
			break
		}
		if opts.EffectiveOrder {
			order = n + 1
		}
		switch {
		case res.Counts[n] > 0:
			res.Precisions[n] = 100 * res.Counts[n] / res.Totals[n]
		case opts.Smooth == SmoothExp:
			halve *= 2
			res.Precisions[n] = 100 / (halve * res.Totals[n])
		case opts.Smooth == SmoothFloor:
			res.Precisions[n] = 100 * opts.SmoothValue / res.Totals[n]
		}
	}

	var sum float64
	for _, p := range res.Precisions[:order] {
		if p == 0 {
			sum += logZero
		} else {
			sum += math.Log(p)
		}
	}
	res.Score = res.BP * math.Exp(sum/float64(order))
	return res
}
