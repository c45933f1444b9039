// Package pipelinetest runs experiments in tests: through the real loader,
// resolver and executor, with a cache in a temporary directory, as
// `pipe run` would, so that a stage's test covers its schema, its keys and
// its artifacts, not just its Run method.
package pipelinetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

// Options adjust Try. The zero value runs one stage at a time with the
// executor's default thread count.
type Options struct {
	Jobs    int // stages at once (-j); 0 means 1
	Threads int // compute threads per stage (--threads); 0 leaves the default
}

// Run writes spec to dir/exp.yaml, runs it with one stage at a time and a
// cache in dir/cache, and returns the results by stage name. Any error
// fails the test; a failed stage shows in its result's Err.
func Run(t testing.TB, dir, spec string) map[string]*pipeline.StageResult {
	t.Helper()
	res, err := Try(t, dir, spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Try is Run for tests that expect an error: a spec that does not load or
// resolve, or a stage that fails, is returned rather than fatal.
func Try(t testing.TB, dir, spec string, o Options) (map[string]*pipeline.StageResult, error) {
	t.Helper()
	path := filepath.Join(dir, "exp.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := pipeline.Load(path)
	if err != nil {
		return nil, err
	}
	g, err := pipeline.Resolve(s, nil)
	if err != nil {
		return nil, err
	}
	c, err := cache.Open(filepath.Join(dir, "cache"), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := pipeline.NewExecutor(c, max(o.Jobs, 1), nil)
	x.Threads = o.Threads
	res, err := x.Run(context.Background(), g)
	out := map[string]*pipeline.StageResult{}
	for _, r := range res {
		out[r.Name] = r
	}
	return out, err
}
