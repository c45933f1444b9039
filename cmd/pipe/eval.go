package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/metrics"
	"github.com/pipe-ml/pipe/tensor"
)

const evalUsage = `
Usage: pipe eval fid [--json] [--tensor NAME] [--allow-rank-deficient] A B
       pipe eval bleu HYP -r REF [-r REF]... [--tokenize T] [--smooth-method M]
                      [--smooth-value V] [--lowercase] [--width N] [--json]

fid prints the Fréchet distance between two sets of feature vectors, the
arithmetic of FID: A and B are N x D matrices (one sample per row) in .npy
or .safetensors files, float32 or float64 (pytorch-fid's saved activations,
or any extractor's; other numeric types are converted to float32).
Statistics are taken in float64 with a two-pass covariance; the trace of
the matrix square root comes from a symmetric eigenvalue problem, so it is
always real and needs no eps fallback.

The number is "FID" only when the features are pool3 of the 2015 Inception
network with pytorch-fid's preprocessing; otherwise name it after your
extractor (fid_fashion_cnn, say). Compare values only at equal sample counts.

A set with no more samples than features has a singular covariance and a
value that is mostly estimation bias: it is refused unless
--allow-rank-deficient is given, which computes it with a warning.

bleu scores a file of hypotheses, one segment a line, against one or more
reference files of as many lines, exactly as sacreBLEU 2 does (its option
names, tokenizers 13a, intl, char and none, smoothing exp, floor, add-k and
none). It prints sacreBLEU's text line, signature first; --json prints the
JSON object sacreBLEU prints by default.

Examples:
  pipe eval bleu hyp.txt -r ref.txt
  pipe eval bleu hyp.txt -r ref1.txt -r ref2.txt --tokenize intl --json
  pipe eval fid real_feats.npy fake_feats.npy
  pipe eval fid --json real.safetensors fake.safetensors | jq .value
  pipe eval fid --tensor pool3 --allow-rank-deficient a.safetensors b.npy
`

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, strings.TrimLeft(evalUsage, "\n"))
		return usagef("eval takes a metric: fid or bleu")
	}
	switch args[0] {
	case "fid":
		return runEvalFID(ctx, args[1:], stdout, stderr)
	case "bleu":
		return runEvalBLEU(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, strings.TrimLeft(evalUsage, "\n"))
		return nil
	}
	return usagef("eval %s: unknown metric; want fid or bleu", args[0])
}

// evalFIDOptions are the flags of `pipe eval fid`.
type evalFIDOptions struct {
	json         bool
	tensor       string
	allowRankDef bool
	a, b         string
}

func runEvalFID(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o evalFIDOptions
	fs := newFlagSet("eval fid", evalUsage, stderr)
	fs.BoolVar(&o.json, "json", false, "print the distance and its terms as JSON")
	fs.StringVar(
		&o.tensor,
		"tensor",
		"",
		"tensor to read from a .safetensors file (default: its only tensor)",
	)
	fs.BoolVar(&o.allowRankDef, "allow-rank-deficient", false,
		"compute the distance even when a set has no more samples than features")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 2 {
		return usagef("eval fid takes two feature files, got %d", len(pos))
	}
	o.a, o.b = pos[0], pos[1]
	isST := func(p string) bool { return strings.EqualFold(filepath.Ext(p), ".safetensors") }
	if o.tensor != "" && !isST(o.a) && !isST(o.b) {
		return usagef("eval fid: --tensor names a tensor of a .safetensors file; %s and %s are not",
			o.a, o.b)
	}
	return o.run(ctx, stdout, stderr)
}

// fidResult is the --json output of `pipe eval fid`.
type fidResult struct {
	Metric      string   `json:"metric"`
	Value       float64  `json:"value"`
	A           string   `json:"a"`
	B           string   `json:"b"`
	N1          int      `json:"n1"`
	N2          int      `json:"n2"`
	D           int      `json:"d"`
	MeanTerm    float64  `json:"mean_term"`
	Trace1      float64  `json:"trace1"`
	Trace2      float64  `json:"trace2"`
	TraceSqrt   float64  `json:"trace_sqrt"`
	Rank1       int      `json:"rank1"`
	Rank2       int      `json:"rank2"`
	Formulation string   `json:"formulation"`
	Warnings    []string `json:"warnings"`
}

func (o *evalFIDOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	// B is read and decoded (one core, mostly I/O) while A's covariance
	// runs on every core.
	type loaded struct {
		f   features
		err error
	}
	bc := make(chan loaded, 1)
	go func() {
		f, err := loadFeatures(o.b, o.tensor)
		bc <- loaded{f, err}
	}()
	fa, err := loadFeatures(o.a, o.tensor)
	if err != nil {
		return err
	}
	s1, err := fa.stats()
	if err != nil {
		return err
	}
	lb := <-bc
	if lb.err != nil {
		return lb.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s2, err := lb.f.stats()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	fd, err := metrics.FrechetDistance(s1, s2, metrics.FDOptions{AllowRankDeficient: o.allowRankDef})
	switch {
	case errors.Is(err, metrics.ErrRankDeficient):
		return invalidf("eval fid %s %s: %w; --allow-rank-deficient computes it anyway", o.a, o.b, err)
	case err != nil:
		// Mismatched dimensions or statistics that cannot be covariances:
		// the input is wrong, not pipe.
		return invalidf("eval fid %s %s: %w", o.a, o.b, err)
	}
	for _, w := range fd.Warnings {
		fmt.Fprintf(stderr, "pipe eval fid: warning: %s\n", w)
	}

	if o.json {
		res := fidResult{
			Metric: "frechet_distance", Value: fd.Value, A: o.a, B: o.b,
			N1: s1.N, N2: s2.N, D: s1.Dim(),
			MeanTerm: fd.MeanTerm, Trace1: fd.Trace1, Trace2: fd.Trace2, TraceSqrt: fd.TraceSqrt,
			Rank1: fd.Rank1, Rank2: fd.Rank2,
			Formulation: "symmetric_psd",
			Warnings:    fd.Warnings,
		}
		if res.Warnings == nil {
			res.Warnings = []string{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	// Six decimals: pytorch-fid prints the full float, but digits past
	// about 1e-9 of tr S1 + tr S2 are rounding (SPEC-numeric.md A.5).
	// A distance within rounding of zero (identical sets) is printed as
	// 0.000000, not -0.000000; --json keeps the raw value.
	v := fd.Value
	if math.Abs(v) < 5e-7 {
		v = 0
	}
	fmt.Fprintf(stdout, "FD: %.6f\n", v)
	fmt.Fprintf(stdout, "  %d vs %d samples, %d features\n", s1.N, s2.N, s1.Dim())
	fmt.Fprintf(stdout, "  |mu1 - mu2|^2 %.6f, tr S1 %.6f, tr S2 %.6f, tr sqrt(S1 S2) %.6f\n",
		fd.MeanTerm, fd.Trace1, fd.Trace2, fd.TraceSqrt)
	return nil
}

// features is an N x D feature matrix read from a file: float64 files
// keep their precision (f64), every other element type is read as
// float32 (integers exactly, up to 2^24).
type features struct {
	path string
	n, d int
	f32  []float32
	f64  []float64
}

// loadFeatures reads the feature matrix of a .npy or .safetensors file.
func loadFeatures(path, name string) (features, error) {
	t, err := readFeatures(path, name)
	if err != nil {
		return features{}, err
	}
	if len(t.Shape) != 2 {
		return features{}, invalidf(
			"read features %s: want a 2-D matrix (samples x features), got shape %v",
			path,
			t.Shape,
		)
	}
	f := features{path: path, n: t.Shape[0], d: t.Shape[1]}
	if t.DType == tensor.Float64 {
		f.f64 = t.Float64s()
	} else {
		f.f32 = t.Float32s()
	}
	return f, nil
}

// stats returns the matrix's mean and covariance.
func (f features) stats() (metrics.Stats, error) {
	var s metrics.Stats
	var err error
	if f.f64 != nil {
		s, err = metrics.ComputeStats(f.f64, f.n, f.d)
	} else {
		s, err = metrics.ComputeStats(f.f32, f.n, f.d)
	}
	if err != nil {
		return s, invalidf("features %s: %w", f.path, err)
	}
	return s, nil
}

// readFeatures reads the feature tensor of a file, chosen by extension.
func readFeatures(path, name string) (*tensor.Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		t, err := tensor.ReadNPYFile(path)
		if err != nil {
			return nil, invalidf("read features: %w", err)
		}
		return t, nil
	case ".safetensors":
		f, err := tensor.OpenSafetensors(path)
		if err != nil {
			return nil, invalidf("read features: %w", err)
		}
		defer f.Close()
		names := f.Names()
		switch {
		case name != "":
			// f.Tensor reports a missing name itself.
		case len(names) == 1:
			name = names[0]
		default:
			return nil, invalidf("read features %s: %d tensors (%s); choose one with --tensor",
				path, len(names), strings.Join(names, ", "))
		}
		t, err := f.Tensor(name)
		if err != nil {
			return nil, invalidf("read features %s: %w", path, err)
		}
		return t, nil
	}
	return nil, invalidf("read features %s: want a .npy or .safetensors file", path)
}
