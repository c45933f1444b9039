package pipeline

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

// Record is what a run leaves behind: enough to show, compare and
// reproduce it. It is written last, once every stage has finished, and its
// ID is the hash of its JSON.
type Record struct {
	Format     int            `json:"format"`
	Experiment string         `json:"experiment"`
	SpecFile   string         `json:"spec_file"`
	Spec       string         `json:"spec"`
	Overrides  []string       `json:"overrides,omitempty"`
	Params     map[string]any `json:"params"`
	Seed       int64          `json:"seed"`
	Sweep      *SweepPoint    `json:"sweep,omitempty"`
	Started    time.Time      `json:"started"`
	Seconds    float64        `json:"seconds"`
	Stages     []RecordStage  `json:"stages"`
	Env        Env            `json:"env"`
}

// SweepPoint places a run in a sweep.
type SweepPoint struct {
	ID    string         `json:"id"`
	Index int            `json:"index"`
	Point map[string]any `json:"point"`
}

// RecordStage is one stage of a recorded run.
type RecordStage struct {
	Name     string             `json:"name"`
	Kind     string             `json:"kind"`
	Version  int                `json:"version"`
	Key      cache.ID           `json:"key"`
	OutputID cache.ID           `json:"output_id"`
	Seed     int64              `json:"seed"`
	Params   map[string]any     `json:"params"`
	Inputs   map[string]string  `json:"inputs,omitempty"` // slot -> stage
	Outputs  []cache.Output     `json:"outputs"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
	Seconds  float64            `json:"seconds"`
	Cached   bool               `json:"cached"`
	Device   string             `json:"device"`
	// Deterministic is false for stages whose bytes may differ between
	// runs of the same key; Reproduce compares their metrics instead.
	Deterministic bool `json:"deterministic"`
}

// Env is the software and hardware a run used.
type Env struct {
	Pipe     string `json:"pipe"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Libtorch string `json:"libtorch,omitempty"`
	Device   string `json:"device,omitempty"`
	Threads  int    `json:"threads"`
	Jobs     int    `json:"jobs"`
}

// RecordFormat is the version of the record layout.
const RecordFormat = 1

// TorchInfo, when set (by the package that links libtorch), reports the
// libtorch version and the device `auto` resolves to, for run records.
var TorchInfo func() (version, device string)

// CurrentEnv describes this process.
func CurrentEnv(threads, jobs int) Env {
	e := Env{Pipe: Version(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Threads: threads, Jobs: jobs}
	if TorchInfo != nil {
		e.Libtorch, e.Device = TorchInfo()
	}
	return e
}

// Version is pipe's version: the module version when built from a tagged
// module, else the VCS revision the binary was built from.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel-" + rev
}

// NewRecord assembles the record of a finished run of g.
func NewRecord(g *Graph, overrides []string, results []*StageResult, started time.Time, env Env) *Record {
	// The absolute path, so that reproduce finds relative inputs from any
	// working directory.
	specFile, err := filepath.Abs(g.Spec.File)
	if err != nil {
		specFile = g.Spec.File
	}
	rec := &Record{Format: RecordFormat, Experiment: g.Spec.Name, SpecFile: specFile,
		Spec: string(g.Spec.Source), Overrides: overrides, Params: g.Params, Seed: g.Spec.Seed,
		Started: started.UTC(), Seconds: time.Since(started).Seconds(), Env: env}
	for i, n := range g.Nodes {
		r := results[i]
		_, nondet := n.Stage.(Nondeterministic)
		rs := RecordStage{Name: r.Name, Kind: r.Kind, Version: n.Stage.Version(), Key: r.Key,
			OutputID: r.OutputID, Seed: r.Seed, Params: r.Params, Outputs: r.Outputs,
			Metrics: r.Metrics, Seconds: r.Seconds, Cached: r.Cached, Device: n.Device,
			Deterministic: !nondet}
		if len(n.Inputs) > 0 {
			rs.Inputs = map[string]string{}
			for _, e := range n.Inputs {
				rs.Inputs[e.Slot] = e.From.Name
			}
		}
		rec.Stages = append(rec.Stages, rs)
	}
	return rec
}

// Save writes the record to the cache and returns its ID.
func (r *Record) Save(c *cache.Cache) (cache.ID, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return cache.ID{}, fmt.Errorf("encode run record: %w", err)
	}
	return c.PutRun(append(data, '\n'))
}

// LoadRecord reads the run whose ID starts with prefix.
func LoadRecord(c *cache.Cache, prefix string) (cache.ID, *Record, error) {
	id, data, err := c.ReadRun(prefix)
	if err != nil {
		return cache.ID{}, nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return id, nil, fmt.Errorf("run %s: %w: %v", id.Short(), cache.ErrCorrupt, err)
	}
	return id, &r, nil
}
