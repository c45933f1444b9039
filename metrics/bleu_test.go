package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// bleuCase is one entry of testdata/bleu/cases.json (copied from the
// shared refcases; expected values from a model of sacreBLEU 2.6.0).
type bleuCase struct {
	Name    string      `json:"name"`
	Hyps    []string    `json:"hyps"`
	Refs    [][]*string `json:"refs"`
	Options struct {
		Tokenize       string   `json:"tokenize"`
		Smooth         string   `json:"smooth_method"`
		SmoothValue    *float64 `json:"smooth_value"`
		Lowercase      bool     `json:"lowercase"`
		EffectiveOrder bool     `json:"effective_order"`
	} `json:"options"`
	TokHyps  []string    `json:"tokenized_hyps"`
	TokRefs  [][]*string `json:"tokenized_refs"`
	Expected struct {
		Score          float64   `json:"score"`
		Score2dp       string    `json:"score_2dp"`
		Counts         []float64 `json:"counts"`
		Totals         []float64 `json:"totals"`
		Precisions     []float64 `json:"precisions"`
		BP             float64   `json:"bp"`
		SysLen         int       `json:"sys_len"`
		RefLen         int       `json:"ref_len"`
		Signature      string    `json:"signature"`
		SignatureShort string    `json:"signature_short"`
		Formatted      string    `json:"formatted"`
		SegmentStats   [][]int   `json:"segment_stats"`
	} `json:"expected"`
}

func (c bleuCase) options() BLEUOptions {
	o := BLEUOptions{
		Tokenize:       c.Options.Tokenize,
		Smooth:         c.Options.Smooth,
		Lowercase:      c.Options.Lowercase,
		EffectiveOrder: c.Options.EffectiveOrder,
	}
	if c.Options.SmoothValue != nil {
		o.SmoothValue = *c.Options.SmoothValue
	}
	return o
}

// perSegment regroups reference streams by segment, dropping nulls.
func perSegment(streams [][]*string, n int) [][]string {
	out := make([][]string, n)
	for _, stream := range streams {
		for i, r := range stream {
			if r != nil {
				out[i] = append(out[i], *r)
			}
		}
	}
	return out
}

// loadBLEUCases reads the shared cases and the extra ones made by
// testdata/bleu/gen_extra.py (the kinds the shared folder keeps back).
func loadBLEUCases(t *testing.T) []bleuCase {
	t.Helper()
	return append(readBLEUCases(t, "cases.json"), readBLEUCases(t, "extra_cases.json")...)
}

func readBLEUCases(t *testing.T, name string) []bleuCase {
	t.Helper()
	file := filepath.Join("testdata", "bleu", name)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []bleuCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return doc.Cases
}

func TestCorpusBLEURefcases(t *testing.T) {
	for _, c := range loadBLEUCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			opts := c.options()
			got, err := CorpusBLEUPerSegment(c.Hyps, perSegment(c.Refs, len(c.Hyps)), opts)
			if err != nil {
				t.Fatal(err)
			}
			e := c.Expected
			if math.Abs(got.Score-e.Score) > 1e-9 {
				t.Errorf("score = %.15g, want %.15g", got.Score, e.Score)
			}
			for n := range BLEUOrder {
				if got.Counts[n] != e.Counts[n] || got.Totals[n] != e.Totals[n] {
					t.Errorf("counts/totals = %v/%v, want %v/%v", got.Counts, got.Totals, e.Counts, e.Totals)
					break
				}
				if math.Abs(got.Precisions[n]-e.Precisions[n]) > 1e-9 {
					t.Errorf("precisions = %v, want %v", got.Precisions, e.Precisions)
					break
				}
			}
			if math.Abs(got.BP-e.BP) > 1e-12 || got.SysLen != e.SysLen || got.RefLen != e.RefLen {
				t.Errorf(
					"bp, sys_len, ref_len = %v %d %d, want %v %d %d",
					got.BP,
					got.SysLen,
					got.RefLen,
					e.BP,
					e.SysLen,
					e.RefLen,
				)
			}
			if s := got.Signature(); s != e.Signature {
				t.Errorf("Signature() = %q, want %q", s, e.Signature)
			}
			if s := got.ShortSignature(); s != e.SignatureShort {
				t.Errorf("ShortSignature() = %q, want %q", s, e.SignatureShort)
			}
			if s := got.FormatWithSignature(); s != e.Formatted {
				t.Errorf("FormatWithSignature() = %q, want %q", s, e.Formatted)
			}

			segs, err := BLEUSegmentStats(c.Hyps, perSegment(c.Refs, len(c.Hyps)), opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range segs {
				flat := []int{s.HypLen, s.RefLen, s.Correct[0], s.Correct[1], s.Correct[2], s.Correct[3],
					s.Total[0], s.Total[1], s.Total[2], s.Total[3]}
				for k := range flat {
					if flat[k] != e.SegmentStats[i][k] {
						t.Errorf("segment %d stats = %v, want %v", i, flat, e.SegmentStats[i])
						break
					}
				}
			}

			for i, h := range c.Hyps {
				if tok, _ := TokenizeForBLEU(h, opts); tok != c.TokHyps[i] {
					t.Errorf("TokenizeForBLEU(%q) = %q, want %q", h, tok, c.TokHyps[i])
				}
			}
			for k, stream := range c.Refs {
				for i, r := range stream {
					if r == nil {
						continue
					}
					if tok, _ := TokenizeForBLEU(*r, opts); tok != *c.TokRefs[k][i] {
						t.Errorf("TokenizeForBLEU(%q) = %q, want %q", *r, tok, *c.TokRefs[k][i])
					}
				}
			}
		})
	}
}

func TestSentenceBLEUUsesEffectiveOrder(t *testing.T) {
	got, err := SentenceBLEU("Thank you", []string{"Thank you"}, BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Score-100) > 1e-9 ||
		got.Signature() != "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0" {
		t.Errorf(
			"SentenceBLEU(%q) = %v %q, want 100 with eff:yes",
			"Thank you",
			got.Score,
			got.Signature(),
		)
	}
	corpus, err := CorpusBLEU([]string{"Thank you"}, [][]string{{"Thank you"}}, BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if corpus.Score != 0 {
		t.Errorf("CorpusBLEU(%q) without effective order = %v, want 0", "Thank you", corpus.Score)
	}
}

func TestBLEUClosestReferenceLength(t *testing.T) {
	for _, tc := range []struct {
		hyp  int
		refs []int
		want int
	}{
		{5, []int{4, 6}, 4},
		{5, []int{6, 4}, 4},
		{5, []int{7, 5, 3}, 5},
		{1, []int{4, 0}, 0},
		{0, []int{2, 3}, 2},
	} {
		if got := closestRefLen(tc.hyp, tc.refs); got != tc.want {
			t.Errorf("closestRefLen(%d, %v) = %d, want %d", tc.hyp, tc.refs, got, tc.want)
		}
	}
}

func TestBLEUErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hyps []string
		refs [][]string
		opts BLEUOptions
	}{
		{"no streams", []string{"a"}, nil, BLEUOptions{}},
		{"short stream", []string{"a", "b"}, [][]string{{"a"}}, BLEUOptions{}},
		{"bad tokenizer", []string{"a"}, [][]string{{"a"}}, BLEUOptions{Tokenize: "zh"}},
		{"bad smoothing", []string{"a"}, [][]string{{"a"}}, BLEUOptions{Smooth: "add-one"}},
		{"negative value", []string{"a"}, [][]string{{"a"}}, BLEUOptions{Smooth: "floor",
			SmoothValue: -1}},
	} {
		if _, err := CorpusBLEU(tc.hyps, tc.refs, tc.opts); err == nil {
			t.Errorf("CorpusBLEU(%s) error = nil, want an error", tc.name)
		}
	}
	if _, err := CorpusBLEUPerSegment([]string{"a"}, [][]string{{}}, BLEUOptions{}); err == nil {
		t.Errorf("CorpusBLEUPerSegment(segment without references) error = nil, want an error")
	}
}

func TestBLEUFormat(t *testing.T) {
	got, err := CorpusBLEU(
		[]string{"the cat sat on the mat"},
		[][]string{{"the cat sat on a mat"}},
		BLEUOptions{},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := "BLEU = 53.73 83.3/60.0/50.0/33.3 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)"
	if s := got.Format(); s != want {
		t.Errorf("Format() = %q, want %q", s, want)
	}
}
