package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkCachedRerun20 measures what `pipe run` costs on a 20-stage
// experiment that is entirely cached: loading and resolving the spec,
// computing every key, finding every entry and its laid-out outputs, and
// writing the run record. Process start is not included. Target: < 50 ms.
func BenchmarkCachedRerun20(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("name: bench\nparams: {v: 0.5}\nstages:\n  s0: {uses: test/gen, with: {value: \"${v}\"}}\n")
	for i := 1; i < 20; i++ {
		if i%2 == 1 {
			fmt.Fprintf(&sb, "  s%d: {uses: test/sum, inputs: [s%d]}\n", i, i-1)
		} else {
			fmt.Fprintf(&sb, "  s%d: {uses: test/sum, inputs: [s%d, s%d]}\n", i, i-1, i-2)
		}
	}
	src := []byte(sb.String())
	file := b.TempDir() + "/bench.yaml"
	c := openCache(b)
	run := func() []*StageResult {
		s, err := Parse(file, src)
		if err != nil {
			b.Fatal(err)
		}
		g, err := Resolve(s, nil)
		if err != nil {
			b.Fatal(err)
		}
		started := time.Now()
		res, err := NewExecutor(c, 2, nil).Run(context.Background(), g)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewRecord(g, nil, res, started, CurrentEnv(2, 2)).Save(c); err != nil {
			b.Fatal(err)
		}
		return res
	}
	run()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := run()
		if !res[19].Cached {
			b.Fatal("stage s19 not cached on a rerun")
		}
	}
}
