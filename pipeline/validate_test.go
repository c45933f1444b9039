package pipeline

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestValidate checks each file in testdata/validate against the problems
// it is meant to produce, in testdata/validate/NAME.golden.
func TestValidate(t *testing.T) {
	files, err := filepath.Glob("testdata/validate/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			problems := loadAndResolve(f)
			if problems == nil {
				t.Fatalf("Load+Resolve(%s) = nil error, want problems", f)
			}
			got := problems.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems in %s:\n%s\nwant:\n%s", f, got, want)
			}
			// Every problem is positioned in the file it came from, and
			// the list is sorted.
			errs := SpecErrors(problems)
			if len(errs) == 0 {
				t.Fatalf("error %q holds no SpecError", problems)
			}
			for i, e := range errs {
				if e.Pos.File != f {
					t.Errorf("problem %q is placed in %q, want %q", e, e.Pos.File, f)
				}
				if i > 0 && compareSpecErrors(errs[i-1], e) > 0 {
					t.Errorf("problems out of order: %q before %q", errs[i-1], e)
				}
			}
		})
	}
}

func loadAndResolve(path string) error {
	s, err := Load(path)
	if s == nil {
		return err
	}
	_, err = Resolve(s, nil)
	return err
}

func TestValidSpec(t *testing.T) {
	src := `
name: ok
seed: 7
params: {v: 2.5, m: b}
stages:
  a: {uses: test/gen, with: {value: "${v}", mode: "${m}", tags: [x, y]}}
  b: {uses: test/gen, with: {value: 1}}
  s: {uses: test/sum, inputs: {b: b, a: a}}
  t: {uses: test/sum, inputs: [s]}
`
	s, err := Parse("ok.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Resolve(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, n := range g.Nodes {
		order = append(order, n.Name)
	}
	if got := strings.Join(order, " "); got != "a b s t" {
		t.Errorf("order = %q, want %q", got, "a b s t")
	}
	a := g.Node("a")
	if a.Params.Float("value") != 2.5 || a.Params.String("mode") != "b" || a.Params.Int("n") != 3 {
		t.Errorf("a's params = %v, want value 2.5, mode b, n 3 (default)", a.Params)
	}
	if s := g.Node("s"); len(s.Inputs) != 2 || s.Inputs[0].From.Name != "a" || s.Inputs[1].From.Name != "b" {
		t.Errorf("s's inputs = %v, want a then b", s.Inputs)
	}
}

func TestOverride(t *testing.T) {
	s, err := Parse("o.yaml", []byte("name: o\nparams: {v: 1}\nstages:\n  a: {uses: test/gen, with: {value: \"${v}\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg  string
		want float64
		err  string
	}{
		{arg: "v=2e-4", want: 0.0002},
		{arg: "v=7", want: 7},
		{arg: "w=7", err: `command line: params.w: no such parameter in o.yaml`},
		{arg: "v=abc", err: `o.yaml:4:37: stages.a.with.value: want a number, got "abc"`},
	} {
		o, err := ParseOverride(tc.arg)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Resolve(s, []Override{o})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve with -p %s: error %v, want %q", tc.arg, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Resolve with -p %s: %v", tc.arg, err)
		}
		if got := g.Node("a").Params.Float("value"); got != tc.want {
			t.Errorf("Resolve with -p %s: value = %v, want %v", tc.arg, got, tc.want)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the spec loader: it may reject them,
// but must not panic, and every problem it reports must be positioned.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/validate/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nstages: {a: {uses: test/gen, with: {value: 1}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if s != nil {
			_, err = Resolve(s, nil)
		}
		if err == nil {
			return
		}
		if len(SpecErrors(err)) == 0 {
			t.Fatalf("error without positions: %v", err)
		}
	})
}
