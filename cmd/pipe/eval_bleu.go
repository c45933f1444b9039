package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pipe-ml/pipe/metrics"
)

func runEvalBLEU(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		refs  stringList
		opts  metrics.BLEUOptions
		js    bool
		width int
	)
	fs := newFlagSet("eval bleu", evalUsage, stderr)
	fs.Var(&refs, "r", "a reference file, one segment a line (repeatable)")
	fs.StringVar(&opts.Tokenize, "tokenize", "13a", "tokenizer: 13a, intl, char or none")
	fs.StringVar(&opts.Smooth, "smooth-method", "exp", "smoothing: exp, floor, add-k or none")
	fs.Float64Var(&opts.SmoothValue, "smooth-value", 0, "floor's epsilon or add-k's k (0: 0.1 and 1)")
	fs.BoolVar(&opts.Lowercase, "lowercase", false, "lowercase before scoring")
	fs.IntVar(&width, "width", 1, "decimals of the score")
	fs.BoolVar(&js, "json", false, "print sacreBLEU's JSON object")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("eval bleu takes one hypothesis file, got %d", len(pos))
	}
	if len(refs) == 0 {
		return usagef("eval bleu needs at least one reference file: -r REF")
	}
	if width < 0 || width > 10 {
		return usagef("--width %d: want 0 to 10", width)
	}
	hyps, err := readSegments(pos[0])
	if err != nil {
		return err
	}
	streams := make([][]string, len(refs))
	for i, r := range refs {
		if streams[i], err = readSegments(r); err != nil {
			return err
		}
		if len(streams[i]) != len(hyps) {
			return invalidf("eval bleu: %s has %d lines, %s has %d: want one reference line a hypothesis",
				r, len(streams[i]), pos[0], len(hyps))
		}
	}
	score, err := metrics.CorpusBLEU(hyps, streams, opts)
	if err != nil {
		return invalidf("eval bleu: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return printBLEU(stdout, score, width, js)
}

// readSegments reads a file's lines, without their line ends, as sacreBLEU
// reads its inputs.
func readSegments(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, invalid(err)
	}
	defer f.Close()
	var lines []string
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			lines = append(lines, line)
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s, line %d: %w", path, n, err)
		}
	}
}

// printBLEU writes the score as sacreBLEU's command line does: its text
// line, or with js its JSON object.
func printBLEU(w io.Writer, s metrics.BLEUScore, width int, js bool) error {
	prec := make([]string, len(s.Precisions))
	for i, p := range s.Precisions {
		prec[i] = fmt.Sprintf("%.1f", p)
	}
	verbose := fmt.Sprintf("%s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		strings.Join(prec, "/"), s.BP, s.Ratio(), s.SysLen, s.RefLen)
	score := fmt.Sprintf("%.*f", width, s.Score)
	if !js {
		_, err := fmt.Fprintf(w, "BLEU|%s = %s %s\n", s.Signature(), score, verbose)
		return err
	}
	// sacreBLEU's key order: name, score, signature, verbose_score, then
	// the signature's fields.
	var b strings.Builder
	field := func(k string, v any) {
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(v)
		if b.Len() > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, " %s: %s", kj, vj)
	}
	field("name", "BLEU")
	b.WriteString(",\n \"score\": " + score)
	field("signature", s.Signature())
	field("verbose_score", verbose)
	for _, kv := range strings.Split(s.Signature(), "|") {
		k, v, _ := strings.Cut(kv, ":")
		field(k, v)
	}
	_, err := fmt.Fprintf(w, "{\n%s\n}\n", b.String())
	return err
}
