package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

// Stage is one kind of work an experiment can use, such as "dataset/idx" or
// "train/gan". Implementations live outside this package and register
// themselves with Register.
//
// Run writes its outputs as files under rc.Out and reports metrics through
// rc.Metric. It must honour ctx: when ctx is done it returns promptly, and
// whatever it wrote is discarded. It must not write anywhere else but rc.Out
// and rc.Work.
type Stage interface {
	// Kind is the name experiments use in `uses:`.
	Kind() string
	// Version changes whenever the stage would produce different outputs
	// from the same inputs and parameters; it is part of every key, so
	// bumping it invalidates what the cache holds for this kind.
	Version() int
	// Schema declares the parameters and input slots.
	Schema() Schema
	Run(ctx context.Context, rc *RunContext) error
}

// Nondeterministic is implemented by stages whose outputs may differ from
// one run to the next with the same key (threads racing in a reduction,
// for example). `pipe reproduce` compares their metrics instead of their
// bytes.
type Nondeterministic interface {
	Nondeterministic() string // why, for people
}

// Schema is what a stage accepts.
type Schema struct {
	Doc    string
	Params []Param
	Inputs []Input

	// Produces names what the stage's output is ("images", "features",
	// "model/gan", ...), so that validation can refuse a connection to an
	// input that Accepts something else. Empty: unchecked.
	Produces string

	// Unseeded says the stage draws no random numbers. Its seed then stays
	// out of its key (and RunContext.Seed is 0), so the same inputs and
	// parameters hit the same cache entry from any experiment: loading a
	// dataset in two experiments is done once.
	Unseeded bool
}

// Input is a named input slot. An experiment fills slots positionally
// (`inputs: [a, b]`) or by name (`inputs: {real: a, generated: b}`).
type Input struct {
	Name     string
	Optional bool
	Doc      string
	// Accepts lists what the slot takes, as upstream kinds' Produces
	// names it. Empty, or an upstream kind that declares nothing: unchecked.
	Accepts []string
}

// RunContext is what a running stage gets besides its context.
type RunContext struct {
	Name     string // the stage's name in the experiment
	Kind     string
	Params   Values
	Inputs   map[string]*Artifact // by slot name; optional slots may be absent
	Out      string               // every file written here becomes an output
	Work     string               // kept across failed attempts of the same key (checkpoints)
	Seed     int64
	Device   string // "auto", "cpu" or "cuda"
	Threads  int    // compute threads this stage may use
	Log      *slog.Logger
	Progress *Progress

	mu      sync.Mutex
	metrics map[string]float64
}

// Metric records a named scalar result, such as "fid_fashion_cnn".
func (rc *RunContext) Metric(name string, v float64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.metrics == nil {
		rc.metrics = map[string]float64{}
	}
	rc.metrics[name] = v
}

// Metrics returns a copy of the metrics recorded so far.
func (rc *RunContext) Metrics() map[string]float64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return maps.Clone(rc.metrics)
}

// Input returns the artifact in slot name, or an error naming the slot.
func (rc *RunContext) Input(name string) (*Artifact, error) {
	a, ok := rc.Inputs[name]
	if !ok {
		return nil, fmt.Errorf("input %q is not connected", name)
	}
	return a, nil
}

// Artifact is the committed output of an upstream stage, materialised as a
// read-only directory.
type Artifact struct {
	Stage   string
	Kind    string
	Dir     string
	Files   []string // names relative to Dir, sorted
	Metrics map[string]float64

	key     cache.ID       // the upstream stage's key, whose outputs Dir lays out
	outputs []cache.Output // what the cache committed, to check Dir against
}

// Path joins name to the artifact's directory.
func (a *Artifact) Path(name string) string { return filepath.Join(a.Dir, name) }

// Has reports whether the artifact holds a file called name.
func (a *Artifact) Has(name string) bool {
	_, ok := slices.BinarySearch(a.Files, name)
	return ok
}

var registry = struct {
	sync.RWMutex
	kinds map[string]Stage
}{kinds: map[string]Stage{}}

// Register makes a stage kind available to experiments. It panics on a
// duplicate kind or a schema that contradicts itself, both programming
// errors found at start-up.
func Register(s Stage) {
	registry.Lock()
	defer registry.Unlock()
	k := s.Kind()
	if _, dup := registry.kinds[k]; dup {
		panic("pipeline: stage kind registered twice: " + k)
	}
	if err := s.Schema().check(); err != nil {
		panic(fmt.Sprintf("pipeline: stage kind %s: %v", k, err))
	}
	registry.kinds[k] = s
}

// Lookup returns the registered stage kind.
func Lookup(kind string) (Stage, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.kinds[kind]
	return s, ok
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.kinds))
	for k := range registry.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
