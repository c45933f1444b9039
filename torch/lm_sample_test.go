package torch

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSampleToken(t *testing.T) {
	logits := []float32{1, 3, 2, 0.5, 3}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		o    SampleOptions
		want []int // every allowed result
	}{
		{"greedy takes the first maximum", SampleOptions{}, []int{1}},
		{"top-k 1", SampleOptions{Temperature: 1, TopK: 1}, []int{1}},
		{"top-k 2 keeps the tied pair", SampleOptions{Temperature: 1, TopK: 2}, []int{1, 4}},
		{"top-p small keeps one", SampleOptions{Temperature: 1, TopP: 0.01}, []int{1}},
		{"top-p 0.9", SampleOptions{Temperature: 1, TopP: 0.9}, []int{1, 4, 2}},
	} {
		seen := map[int]bool{}
		for range 2000 {
			tok := sampleToken(logits, tc.o, r)
			if !slices.Contains(tc.want, tok) {
				t.Errorf("%s: sampleToken = %d, want one of %v", tc.name, tok, tc.want)
				break
			}
			seen[tok] = true
		}
		if len(seen) != len(tc.want) {
			t.Errorf("%s: drew %v in 2000 draws, want every one of %v", tc.name, seen, tc.want)
		}
	}
}

// TestSampleTokenDistribution draws 100,000 tokens at temperature 2 and
// compares the frequencies with softmax(logits/2).
func TestSampleTokenDistribution(t *testing.T) {
	logits := []float32{0, 1, 2, 3}
	r := rand.New(rand.NewPCG(3, 4))
	const n = 100000
	counts := make([]int, len(logits))
	for range n {
		counts[sampleToken(logits, SampleOptions{Temperature: 2}, r)]++
	}
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l) / 2)
	}
	for i, l := range logits {
		p := math.Exp(float64(l)/2) / z
		got := float64(counts[i]) / n
		// Five standard errors of a binomial proportion.
		if se := math.Sqrt(p * (1 - p) / n); math.Abs(got-p) > 5*se {
			t.Errorf("token %d drawn with frequency %.4f, want %.4f ± %.4f", i, got, p, 5*se)
		}
	}
}

// TestGenerate trains the 7-cycle model and expects greedy decoding to
// continue the cycle, the stop token to end samples, and seeded sampling
// to repeat itself.
func TestGenerate(t *testing.T) {
	cfg := smallLM()
	cfg.Epochs = 8
	lm, err := TrainLM(context.Background(), patternTokens(16*40+1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()

	long := make([]int, 30) // longer than the context of 16
	for i := range long {
		long[i] = i % 7
	}
	prompts := [][]int{{0, 1, 2}, {5}, long}
	got, err := lm.Generate(prompts, SampleOptions{MaxTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range prompts {
		want := make([]int, 20)
		for j := range want {
			want[j] = (p[len(p)-1] + 1 + j) % 7
		}
		if !slices.Equal(got[i], want) {
			t.Errorf("greedy continuation of %v = %v, want %v", p, got[i], want)
		}
	}

	stopped, err := lm.Generate([][]int{{0, 1, 2}}, SampleOptions{MaxTokens: 20, Stop: []int{6}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 4, 5}; !slices.Equal(stopped[0], want) {
		t.Errorf("continuation with stop token 6 = %v, want %v", stopped[0], want)
	}

	o := SampleOptions{MaxTokens: 10, Temperature: 1.5, TopK: 5, TopP: 0.95, Seed: 9}
	a, err := lm.Generate(prompts[:2], o)
	if err != nil {
		t.Fatal(err)
	}
	c, err := lm.Generate(prompts[:2], o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a[0], c[0]) || !slices.Equal(a[1], c[1]) {
		t.Errorf("same seed, different samples: %v and %v", a, c)
	}

	if _, err := lm.Generate([][]int{{}}, o); err == nil {
		t.Error("Generate with an empty prompt: no error")
	}
	if _, err := lm.Generate([][]int{{10}}, o); err == nil {
		t.Error("Generate with a token outside the vocabulary: no error")
	}
}
