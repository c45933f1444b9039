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

// Run writes spec to dir/exp.yaml, runs it with one stage at a time and a
// cache in dir/cache, and returns the results by stage name. Any error
// fails the test; a failed stage shows in its result's Err.
func Run(t testing.TB, dir, spec string) map[string]*pipeline.StageResult {
	t.Helper()
	path := filepath.Join(dir, "exp.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := pipeline.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.Resolve(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.Open(filepath.Join(dir, "cache"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.NewExecutor(c, 1, nil).Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*pipeline.StageResult{}
	for _, r := range res {
		out[r.Name] = r
	}
	return out
}
