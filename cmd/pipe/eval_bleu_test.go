package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEvalBLEU runs `pipe eval bleu` on the sacreBLEU reference cases that
// the command line can express (files of lines, no effective order, no
// missing references) and compares score, statistics and signature.
func TestEvalBLEU(t *testing.T) {
	b, err := os.ReadFile("../../metrics/testdata/bleu/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name     string
			Hyps     []string
			Refs     [][]*string
			Options  map[string]any
			Expected struct {
				Score      float64
				Signature  string
				Precisions []float64
				SysLen     int `json:"sys_len"`
				RefLen     int `json:"ref_len"`
			}
		}
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range file.Cases {
		if c.Options["effective_order"] == true || hasNil(c.Refs) {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			hyp := writeLines(t, dir, "hyp.txt", c.Hyps)
			args := []string{"eval", "bleu", hyp, "--width", "4", "--json"}
			for i, stream := range c.Refs {
				lines := make([]string, len(stream))
				for j, s := range stream {
					lines[j] = *s
				}
				args = append(args, "-r", writeLines(t, dir, fmt.Sprintf("ref%d.txt", i), lines))
			}
			for k, v := range c.Options {
				switch k {
				case "tokenize", "smooth_method":
					args = append(args, "--"+strings.ReplaceAll(k, "_", "-"), v.(string))
				case "smooth_value":
					args = append(args, "--smooth-value", strconv.FormatFloat(v.(float64), 'g', -1, 64))
				case "lowercase":
					if v == true {
						args = append(args, "--lowercase")
					}
				default:
					t.Skipf("option %s has no command-line form here", k)
				}
			}
			r := mustPipe(t, args...)
			var got struct {
				Score        float64
				Signature    string
				VerboseScore string `json:"verbose_score"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("--json output: %v\n%s", err, r.stdout)
			}
			if want, _ := strconv.ParseFloat(strconv.FormatFloat(c.Expected.Score, 'f', 4, 64),
				64); got.Score != want {
				t.Errorf("score %v, want %v", got.Score, want)
			}
			if got.Signature != c.Expected.Signature {
				t.Errorf("signature %q, want %q", got.Signature, c.Expected.Signature)
			}
			want := fmt.Sprintf("hyp_len = %d ref_len = %d)", c.Expected.SysLen, c.Expected.RefLen)
			if !strings.HasSuffix(got.VerboseScore, want) {
				t.Errorf("verbose score %q, want it to end %q", got.VerboseScore, want)
			}
		})
		ran++
	}
	if ran < 10 {
		t.Errorf("only %d cases ran", ran)
	}

	// The text line, as sacreBLEU prints it with -f text.
	dir := t.TempDir()
	hyp := writeLines(t, dir, "h.txt", []string{"The cat sat on the mat."})
	ref := writeLines(t, dir, "r.txt", []string{"The cat sat on the mat."})
	r := mustPipe(t, "eval", "bleu", hyp, "-r", ref)
	want := "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = " +
		"100.0 100.0/100.0/100.0/100.0 " +
		"(BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)\n"
	if r.stdout != want {
		t.Errorf("text output %q, want %q", r.stdout, want)
	}

	// Mismatched line counts are an input error naming both files.
	short := writeLines(t, dir, "short.txt", nil)
	if r := pipe(t, "eval", "bleu", hyp, "-r", short); r.code != exitUsage ||
		!strings.Contains(r.stderr, "short.txt has 0 lines") {
		t.Errorf("exit %d, stderr %q: want 2 naming short.txt", r.code, r.stderr)
	}
}

func hasNil(refs [][]*string) bool {
	for _, s := range refs {
		for _, r := range s {
			if r == nil {
				return true
			}
		}
	}
	return false
}

func writeLines(t *testing.T, dir, name string, lines []string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
