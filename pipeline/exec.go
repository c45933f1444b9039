package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

// Executor runs graphs against a cache. One executor may run several graphs
// at once (the points of a sweep): stages with equal keys then run once and
// are shared, and -j bounds the stages running across all of them.
type Executor struct {
	Cache   *cache.Cache
	Log     *slog.Logger
	Board   *ProgressBoard // nil: no progress display
	Threads int            // compute threads a stage may use; 0: the number of cores
	// Force names stages to run even when their key is cached.
	Force map[string]bool
	// DebugHash, when set, receives every field of every key.
	DebugHash io.Writer

	jobs chan struct{}
	mu   sync.Mutex
	// inflight holds the stages being computed in this process, by key, so
	// that a sweep's equal stages run once.
	inflight map[cache.ID]*flight
}

type flight struct {
	done  chan struct{}
	res   *StageResult
	users int
}

// NewExecutor returns an executor running at most jobs stages at a time
// (0: the number of cores).
func NewExecutor(c *cache.Cache, jobs int, log *slog.Logger) *Executor {
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Executor{
		Cache:    c,
		Log:      log,
		jobs:     make(chan struct{}, jobs),
		inflight: map[cache.ID]*flight{},
	}
}

// StageResult is what one stage of a run did.
type StageResult struct {
	Name     string
	Kind     string
	Key      cache.ID
	OutputID cache.ID
	Seed     int64
	Params   Values  // resolved: external paths absolute, globs expanded
	Cached   bool    // found in the cache: nothing ran
	Shared   bool    // computed once for several graphs run together
	Seconds  float64 // how long it ran; for a cached stage, when it ran
	Outputs  []cache.Output
	Metrics  map[string]float64
	Dir      string // the outputs, materialised read-only
	Err      error  // the stage failed, or could not start
	Skipped  bool   // not run because an input failed
}

// StageError is a stage's failure, naming the stage and its kind.
type StageError struct {
	Stage, Kind string
	Err         error
}

func (e *StageError) Error() string {
	return fmt.Sprintf("stage %q (%s): %v", e.Stage, e.Kind, e.Err)
}
func (e *StageError) Unwrap() error { return e.Err }

// Run executes g: stages in topological order, independent ones in
// parallel, each either found in the cache or run and committed. A failing
// stage stops the stages that depend on it; the others go on. The returned
// results are in graph order; err joins the stages' errors.
func (x *Executor) Run(ctx context.Context, g *Graph) ([]*StageResult, error) {
	// Pinned, a concurrent gc keeps the entries of finished stages until
	// the caller has written the run record that refers to them.
	unpin, err := x.Cache.Pin(ctx)
	if err != nil {
		return nil, err
	}
	defer unpin()

	results := make(map[*Node]*StageResult, len(g.Nodes))
	done := make(map[*Node]chan struct{}, len(g.Nodes))
	for _, n := range g.Nodes {
		results[n] = &StageResult{Name: n.Name, Kind: n.Stage.Kind()}
		done[n] = make(chan struct{})
	}
	baseDir := filepath.Dir(g.Spec.File)

	var wg sync.WaitGroup
	for _, n := range g.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[n])
			r := results[n]
			inputs := map[string]*Artifact{}
			ids := map[string]cache.ID{}
			for _, e := range n.Inputs {
				select {
				case <-done[e.From]:
				case <-ctx.Done():
				}
				in := results[e.From]
				if in.Err != nil || in.Skipped || in.Dir == "" {
					r.Skipped = true
					return
				}
				inputs[e.Slot] = &Artifact{Stage: in.Name, Kind: in.Kind, Dir: in.Dir,
					Files: outputNames(in.Outputs), Metrics: in.Metrics, key: in.Key, outputs: in.Outputs}
				ids[e.From.Name] = in.OutputID
			}
			if ctx.Err() != nil {
				r.Skipped = true
				return
			}
			x.stage(ctx, g, n, baseDir, inputs, ids, r)
		}()
	}
	wg.Wait()

	out := make([]*StageResult, len(g.Nodes))
	var errs []error
	for i, n := range g.Nodes {
		out[i] = results[n]
		if out[i].Err != nil {
			errs = append(errs, out[i].Err)
		}
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, errors.Join(errs...)
}

func outputNames(outs []cache.Output) []string {
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.Name
	}
	return names
}

// stage computes the key of one stage and either reuses or runs it.
func (x *Executor) stage(ctx context.Context, g *Graph, n *Node, baseDir string,
	inputs map[string]*Artifact, ids map[string]cache.ID, r *StageResult) {
	fail := func(err error) {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			err = ctx.Err()
		}
		r.Err = &StageError{Stage: n.Name, Kind: r.Kind, Err: err}
	}
	if !n.Stage.Schema().Unseeded {
		r.Seed = DeriveSeed(g.Spec.Seed, n.Name)
	}
	key, params, err := StageKey(n, r.Seed, ids, baseDir, x.Cache, x.DebugHash)
	if err != nil {
		fail(err)
		return
	}
	r.Key, r.Params = key, params
	log := x.Log.With("stage", n.Name, "kind", r.Kind)

	// Within this process, equal keys are computed once.
	x.mu.Lock()
	f, running := x.inflight[key]
	if !running {
		f = &flight{done: make(chan struct{})}
		x.inflight[key] = f
	}
	f.users++
	x.mu.Unlock()
	if running {
		select {
		case <-f.done:
		case <-ctx.Done():
			fail(ctx.Err())
			return
		}
		*r = *f.res
		r.Name, r.Shared = n.Name, true
		return
	}
	defer func() {
		f.res = r
		close(f.done)
	}()

	if !x.Force[n.Name] && x.reuse(key, r, log) {
		return
	}

	// Across processes, the per-key lock makes a second pipe wait for the
	// first one's result instead of training the same model twice.
	unlock, err := x.Cache.Lock(ctx, key)
	if err != nil {
		fail(err)
		return
	}
	defer unlock()
	if !x.Force[n.Name] && x.reuse(key, r, log) {
		return
	}

	select {
	case x.jobs <- struct{}{}:
	case <-ctx.Done():
		fail(ctx.Err())
		return
	}
	defer func() { <-x.jobs }()

	log.Info("stage start", "key", key.Short())
	start := time.Now()
	if err := x.execute(ctx, n, params, inputs, r, log); err != nil {
		if ctx.Err() != nil {
			// Interrupted, not failed: its checkpoints stay for the next run.
			log.Warn("stage interrupted", "seconds", round(time.Since(start).Seconds()))
		} else {
			log.Error("stage failed", "seconds", round(time.Since(start).Seconds()), "err", err)
		}
		fail(err)
		return
	}
	r.Seconds = time.Since(start).Seconds()
	log.Info("stage done", "seconds", round(r.Seconds), "outputs", len(r.Outputs))
}

func round(s float64) float64 { return float64(int64(s*1000+0.5)) / 1000 }

// reuse fills r from the cache when key has an intact entry whose outputs
// can be materialised. A corrupt entry or object is a warning and a miss.
func (x *Executor) reuse(key cache.ID, r *StageResult, log *slog.Logger) bool {
	e, err := x.Cache.Get(key)
	if errors.Is(err, cache.ErrNotFound) {
		return false
	}
	if err != nil {
		log.Warn("cache entry unusable, recomputing", "key", key.Short(), "err", err)
		return false
	}
	dir, err := x.materialize(key, e.Outputs)
	if err != nil {
		log.Warn("cache entry unusable, recomputing", "key", key.Short(), "err", err)
		return false
	}
	r.Cached = true
	r.Outputs, r.Metrics, r.Dir = e.Outputs, e.Metrics, dir
	r.OutputID = OutputID(e.Outputs)
	r.Seconds = e.Seconds
	log.Info("cache hit", "key", key.Short())
	return true
}

// outDir is where a key's outputs are laid out for stages and people.
func (x *Executor) outDir(key cache.ID) string {
	return filepath.Join(x.Cache.Dir(), "out", key.String())
}

// materialize makes sure the outputs of key are laid out under outDir,
// writing them from the objects when they are not (verifying every object's
// hash on the way). The directory appears complete or not at all.
func (x *Executor) materialize(key cache.ID, outs []cache.Output) (string, error) {
	dir := x.outDir(key)
	if outputsPresent(dir, outs) {
		return dir, nil
	}
	tmp, err := tempDir(filepath.Dir(dir), key)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, o := range outs {
		dst := filepath.Join(tmp, filepath.FromSlash(o.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := x.Cache.Materialize(o.ID, dst); err != nil {
			return "", err
		}
	}
	if err := replaceDir(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// checkInputs makes sure each input's laid-out files are the bytes the
// cache committed before a stage reads them. A file changed under
// .pipe/out (by a person, a script, a failing disk) is caught by its hash,
// through the stat cache so that an untouched file is not read again, and
// laid out afresh from its object, which is checked in turn.
func (x *Executor) checkInputs(inputs map[string]*Artifact, log *slog.Logger) error {
	slots := slices.Sorted(maps.Keys(inputs))
	for _, slot := range slots {
		a := inputs[slot]
		for _, o := range a.outputs {
			path := filepath.Join(a.Dir, filepath.FromSlash(o.Name))
			id, err := x.Cache.HashExternal(path)
			if err == nil && id == o.ID {
				continue
			}
			log.Warn("an input's file differs from what the cache committed; laying it out again",
				"input", slot, "file", path)
			if err := os.RemoveAll(a.Dir); err != nil {
				return fmt.Errorf("input %s: %w", slot, err)
			}
			if _, err := x.materialize(a.key, a.outputs); err != nil {
				return fmt.Errorf(
					"input %s from stage %q: %w (run again with --force %s)",
					slot,
					a.Stage,
					err,
					a.Stage,
				)
			}
			break
		}
	}
	return nil
}

// outputsPresent checks, by size, that dir holds the outputs. Contents are
// trusted: they were verified when written.
func outputsPresent(dir string, outs []cache.Output) bool {
	for _, o := range outs {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(o.Name)))
		if err != nil || fi.Size() != o.Size {
			return false
		}
	}
	_, err := os.Stat(dir)
	return err == nil
}

func tempDir(parent string, key cache.ID) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	var b [6]byte
	rand.Read(b[:])
	dir := filepath.Join(parent, ".tmp-"+key.Short()+"-"+hex.EncodeToString(b[:]))
	return dir, os.Mkdir(dir, 0o755)
}

// replaceDir moves the complete directory tmp to dst, replacing an older,
// incomplete dst. If another process placed dst first, that one stays.
func replaceDir(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err == nil {
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", dst, err)
	}
	defer os.RemoveAll(old)
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("replace %s: %w", dst, err)
	}
	return nil
}

// execute runs the stage in a fresh output directory and commits what it
// wrote: objects first, the entry last, so an interrupted commit leaves no
// entry that looks complete.
func (x *Executor) execute(ctx context.Context, n *Node, params Values, inputs map[string]*Artifact,
	r *StageResult, log *slog.Logger) error {
	work := filepath.Join(x.Cache.Dir(), "work", r.Key.String())
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	out, err := tempDir(filepath.Join(x.Cache.Dir(), "out"), r.Key)
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)

	if err := x.checkInputs(inputs, log); err != nil {
		return err
	}

	threads := x.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	rc := &RunContext{Name: n.Name, Kind: r.Kind, Params: params, Inputs: inputs, Out: out, Work: work,
		Seed: r.Seed, Device: n.Device, Threads: threads, Log: log}
	if x.Board != nil {
		rc.Progress = x.Board.For(n.Name)
	}
	start := time.Now()
	err = runStage(ctx, n.Stage, rc)
	seconds := time.Since(start).Seconds()
	if x.Board != nil {
		x.Board.Clear()
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	outs, err := x.commitOutputs(ctx, out)
	if err != nil {
		return fmt.Errorf("commit outputs: %w", err)
	}
	rc.mu.Lock()
	metrics := rc.metrics
	rc.mu.Unlock()
	e := &cache.Entry{Key: r.Key, Kind: r.Kind, Outputs: outs, Metrics: metrics,
		Seconds: seconds, Created: time.Now().UTC()}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := x.Cache.Put(e); err != nil {
		return fmt.Errorf("commit entry: %w", err)
	}
	if err := replaceDir(out, x.outDir(r.Key)); err != nil {
		return err
	}
	os.RemoveAll(work)
	r.Outputs, r.Metrics, r.Dir = outs, metrics, x.outDir(r.Key)
	r.OutputID = OutputID(outs)
	return nil
}

// runStage calls the stage, turning a panic into an error so one broken
// stage does not take down the stages running beside it.
func runStage(ctx context.Context, s Stage, rc *RunContext) (err error) {
	defer func() {
		if p := recover(); p != nil {
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			err = fmt.Errorf("panic: %v\n%s", p, buf)
		}
	}()
	return s.Run(ctx, rc)
}

// commitOutputs stores every regular file under dir as an object.
func (x *Executor) commitOutputs(ctx context.Context, dir string) ([]cache.Output, error) {
	var outs []cache.Output
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: only regular files can be outputs", path)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		id, size, err := x.Cache.PutFile(path)
		if err != nil {
			return err
		}
		outs = append(outs, cache.Output{Name: filepath.ToSlash(rel), ID: id, Size: size})
		return nil
	})
	slices.SortFunc(outs, func(a, b cache.Output) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return outs, err
}
