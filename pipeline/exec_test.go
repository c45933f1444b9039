package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

func mustGraph(t testing.TB, src string, overrides ...string) *Graph {
	t.Helper()
	s, err := Parse(t.TempDir()+"/exp.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ovs []Override
	for _, o := range overrides {
		ov, err := ParseOverride(o)
		if err != nil {
			t.Fatal(err)
		}
		ovs = append(ovs, ov)
	}
	g, err := Resolve(s, ovs)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func openCache(t testing.TB) *cache.Cache {
	t.Helper()
	c, err := cache.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keysOf(t *testing.T, g *Graph) map[string]cache.ID {
	t.Helper()
	plan, err := Plan(g, openCache(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cache.ID{}
	for _, p := range plan {
		out[p.Name] = p.Key
	}
	return out
}

// Numbers are keyed by value, not by spelling; defaults key like the same
// value written out.
func TestKeyCanonical(t *testing.T) {
	const tmpl = "name: k\nstages:\n  a: {uses: test/gen, with: {value: %s%s}}\n"
	base := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, "0.0002", "")))["a"]
	for _, spelling := range []string{"2e-4", "2.0e-4", "0.00020", "2E-4"} {
		if got := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, spelling, "")))["a"]; got != base {
			t.Errorf("key with value %s = %s, want %s (as 0.0002)", spelling, got.Short(), base.Short())
		}
	}
	if got := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, "0.0002", ", n: 3")))["a"]; got != base {
		t.Errorf("key with n: 3 written out differs from the default n")
	}
	for _, extra := range []string{", n: 4", ", mode: b", ", tags: [x]"} {
		if got := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, "0.0002", extra)))["a"]; got == base {
			t.Errorf("key with%s equals the key without", extra)
		}
	}
	// A parameter override on the command line keys like the same value in the file.
	g := mustGraph(
		t,
		"name: k\nparams: {v: 1}\nstages:\n  a: {uses: test/gen, with: {value: \"${v}\"}}\n",
		"v=2e-4",
	)
	if got := keysOf(t, g)["a"]; got != base {
		t.Errorf("key with -p v=2e-4 = %s, want %s", got.Short(), base.Short())
	}
}

// TestKeySeed: a seeded stage's key follows the experiment's seed and the
// stage's name; an Unseeded one's does not, so experiments share it.
func TestKeySeed(t *testing.T) {
	const tmpl = "name: %s\nseed: %d\nstages:\n  %s: {uses: %s, with: {value: 1}}\n"
	for _, tc := range []struct {
		kind  string
		share bool
	}{{"test/gen", false}, {"test/fixed", true}} {
		base := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, "x", 1, "a", tc.kind)))["a"]
		other := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, "y", 2, "a", tc.kind)))["a"]
		renamed := keysOf(t, mustGraph(t, fmt.Sprintf(tmpl, "x", 1, "b", tc.kind)))["b"]
		if (base == other) != tc.share || (base == renamed) != tc.share {
			t.Errorf("%s: keys %s (seed 1), %s (seed 2), %s (renamed); want them equal: %v",
				tc.kind, base.Short(), other.Short(), renamed.Short(), tc.share)
		}
	}
}

const chain = `
name: chain
seed: 3
stages:
  a: {uses: test/gen, with: {value: 1}}
  b: {uses: test/gen, with: {value: 2}}
  s: {uses: test/sum, inputs: [a, b]}
  bad: {uses: test/fail, inputs: [a]}
  after: {uses: test/sum, inputs: [bad]}
`

func TestRunTwice(t *testing.T) {
	c := openCache(t)
	g := mustGraph(
		t,
		strings.Replace(
			chain,
			"  bad: {uses: test/fail, inputs: [a]}\n  after: {uses: test/sum, inputs: [bad]}\n",
			"",
			1,
		),
	)
	x := NewExecutor(c, 2, nil)
	res, err := x.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Cached {
			t.Errorf("first run: stage %s cached, want run", r.Name)
		}
	}
	if s := res[2]; s.Metrics["value"] != 3 {
		t.Errorf("s computed %v, want 3", s.Metrics["value"])
	}
	res2, err := NewExecutor(c, 2, nil).Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res2 {
		if !r.Cached {
			t.Errorf("second run: stage %s ran, want cached", r.Name)
		}
		if r.Key != res[i].Key || r.OutputID != res[i].OutputID {
			t.Errorf("second run: stage %s key/output changed", r.Name)
		}
	}
}

// A failing stage stops its dependents; independent stages finish and are
// cached; the error names the stage and its kind.
func TestRunFailure(t *testing.T) {
	c := openCache(t)
	res, err := NewExecutor(c, 2, nil).Run(context.Background(), mustGraph(t, chain))
	if err == nil {
		t.Fatal("Run = nil error, want the failure of bad")
	}
	var se *StageError
	if !errors.As(err, &se) || se.Stage != "bad" {
		t.Fatalf("Run error = %v, want a StageError for bad", err)
	}
	if want := `stage "bad" (test/fail): deliberate failure`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	byName := map[string]*StageResult{}
	for _, r := range res {
		byName[r.Name] = r
	}
	if !byName["after"].Skipped {
		t.Errorf("after: not skipped, want skipped (its input failed)")
	}
	for _, n := range []string{"a", "b", "s"} {
		if r := byName[n]; r.Err != nil || r.Skipped || r.Dir == "" {
			t.Errorf("%s: err %v skipped %v, want completed", n, r.Err, r.Skipped)
		}
		if _, err := c.Get(byName[n].Key); err != nil {
			t.Errorf("%s: not in cache after the run: %v", n, err)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewExecutor(openCache(t), 1, nil).Run(ctx, mustGraph(t, chain))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v, want context.Canceled", err)
	}
}

// A sweep's graphs run together share the stages whose keys are equal.
func TestRunShared(t *testing.T) {
	src := "name: sh\nparams: {v: 1}\nstages:\n  a: {uses: test/gen, with: {value: 1}}\n" +
		"  b: {uses: test/gen, with: {value: \"${v}\"}}\n  s: {uses: test/sum, inputs: [a, b]}\n"
	x := NewExecutor(openCache(t), 2, nil)
	var all [][]*StageResult
	done := make(chan []*StageResult)
	for _, v := range []string{"v=1", "v=2", "v=3"} {
		g := mustGraph(t, src, v)
		go func() {
			res, err := x.Run(context.Background(), g)
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
	}
	for range 3 {
		all = append(all, <-done)
	}
	ran, shared := 0, 0
	for _, res := range all {
		for _, r := range res {
			switch {
			case r.Shared:
				shared++
			case !r.Cached:
				ran++
			}
		}
	}
	// a runs once and is shared twice; b and s run once per point.
	if ran != 7 || shared != 2 {
		t.Errorf("ran %d stages, shared %d; want 7 and 2", ran, shared)
	}
}

// TestAlteredInput: a laid-out output changed in place (same size) is
// caught before a stage reads it, laid out again from its object, and the
// stage computes from the committed bytes.
func TestAlteredInput(t *testing.T) {
	c := openCache(t)
	g := mustGraph(
		t,
		strings.Replace(
			chain,
			"  bad: {uses: test/fail, inputs: [a]}\n  after: {uses: test/sum, inputs: [bad]}\n",
			"",
			1,
		),
	)
	res, err := NewExecutor(c, 1, nil).Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(res[0].Dir, "value.txt")
	if err := os.WriteFile(path, []byte("9"), 0o644); err != nil { // was "1"
		t.Fatal(err)
	}
	var logs strings.Builder
	x := NewExecutor(c, 1, slog.New(slog.NewTextHandler(&logs, nil)))
	x.Force = map[string]bool{"s": true}
	res, err = x.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[2].Metrics["value"]; got != 3 {
		t.Errorf("s computed %v from an altered input, want 3", got)
	}
	if b, _ := os.ReadFile(path); string(b) != "1" {
		t.Errorf("value.txt is %q after the run, want the committed %q", b, "1")
	}
	if !strings.Contains(logs.String(), "differs from what the cache committed") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}
