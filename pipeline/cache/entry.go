package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Output is one file a stage produced.
type Output struct {
	// Name is the file's path relative to the stage's output directory,
	// with forward slashes: "model.safetensors", "samples/0001.png".
	Name string `json:"name"`
	ID   ID     `json:"id"`
	Size int64  `json:"size"` // uncompressed
}

// Entry is the manifest of one action: what a stage with this key
// produced. Entries are stored under entries/ab/<key>.json.
type Entry struct {
	Key     ID
	Kind    string
	Outputs []Output // sorted by Name
	Metrics map[string]float64
	Seconds float64 // how long the stage took when it ran
	Created time.Time
}

// entryJSON is the stored form of an Entry. Metrics go through metric so
// that NaN and infinities, which JSON numbers cannot hold, survive.
type entryJSON struct {
	Version int               `json:"version"`
	Key     ID                `json:"key"`
	Kind    string            `json:"kind"`
	Outputs []Output          `json:"outputs"`
	Metrics map[string]metric `json:"metrics,omitempty"`
	Seconds float64           `json:"seconds"`
	Created time.Time         `json:"created"`
}

const entryVersion = 1

func (c *Cache) entryPath(key ID) string { return c.shardPath(entriesDir, key, ".json") }

// Get returns the entry for key. An absent entry is ErrNotFound. A
// manifest that does not parse, belongs to another key, or names an
// object that is missing or truncated is ErrCorrupt. Get does not re-hash
// objects; Materialize does, as it copies them out.
func (c *Cache) Get(key ID) (*Entry, error) {
	path := c.entryPath(key)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("entry %s: %w", key.Short(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read entry %s: %w", path, err)
	}

	e, err := decodeEntry(data)
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %v", ErrCorrupt, path, err)
	}
	if e.Key != key {
		return nil, fmt.Errorf("%w: entry %s: holds key %s", ErrCorrupt, path, e.Key.Short())
	}
	for _, o := range e.Outputs {
		if _, err := c.statObject(o.ID); err != nil {
			return nil, fmt.Errorf("%w: entry %s: output %s: object %s: %v",
				ErrCorrupt, path, o.Name, c.objectPath(o.ID), err)
		}
	}
	return e, nil
}

// Put records e. Its objects must already be stored (PutFile, PutBytes);
// the manifest is written last, through a temporary file, fsync and
// rename, so a process killed at any point leaves either no entry or a
// complete one. Outputs are sorted by Name; a zero Created is set to now.
// The caller holds Lock(e.Key).
func (c *Cache) Put(e *Entry) error {
	if e.Key.IsZero() {
		return errors.New("put entry: zero key")
	}
	outs := slices.Clone(e.Outputs)
	slices.SortFunc(outs, func(a, b Output) int { return strings.Compare(a.Name, b.Name) })
	if err := checkOutputs(outs); err != nil {
		return fmt.Errorf("put entry %s: %w", e.Key.Short(), err)
	}
	for _, o := range outs {
		if !c.HasObject(o.ID) {
			return fmt.Errorf("put entry %s: output %s: object %s not stored",
				e.Key.Short(), o.Name, o.ID.Short())
		}
	}

	j := entryJSON{
		Version: entryVersion,
		Key:     e.Key,
		Kind:    e.Kind,
		Outputs: outs,
		Seconds: e.Seconds,
		Created: e.Created.UTC(),
	}
	if e.Created.IsZero() {
		j.Created = time.Now().UTC()
	}
	if j.Outputs == nil {
		j.Outputs = []Output{}
	}
	if len(e.Metrics) > 0 {
		j.Metrics = make(map[string]metric, len(e.Metrics))
		for k, v := range e.Metrics {
			j.Metrics[k] = metric(v)
		}
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("put entry %s: %w", e.Key.Short(), err)
	}
	if err := writeFileAtomic(c.entryPath(e.Key), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("put entry %s: %w", e.Key.Short(), err)
	}
	return nil
}

// decodeEntry parses and checks a stored manifest.
func decodeEntry(data []byte) (*Entry, error) {
	var j entryJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, err
	}
	if j.Version != entryVersion {
		return nil, fmt.Errorf("manifest version %d, want %d", j.Version, entryVersion)
	}
	if !slices.IsSortedFunc(j.Outputs, func(a, b Output) int {
		return strings.Compare(a.Name, b.Name)
	}) {
		return nil, errors.New("outputs not sorted by name")
	}
	if err := checkOutputs(j.Outputs); err != nil {
		return nil, err
	}
	e := &Entry{
		Key:     j.Key,
		Kind:    j.Kind,
		Outputs: j.Outputs,
		Seconds: j.Seconds,
		Created: j.Created,
	}
	if len(j.Metrics) > 0 {
		e.Metrics = make(map[string]float64, len(j.Metrics))
		for k, v := range j.Metrics {
			e.Metrics[k] = float64(v)
		}
	}
	return e, nil
}

// checkOutputs checks sorted outputs: each name a clean relative path
// inside the output directory, no name twice, sizes not negative.
func checkOutputs(outs []Output) error {
	for i, o := range outs {
		if !filepath.IsLocal(o.Name) || filepath.ToSlash(filepath.Clean(o.Name)) != o.Name {
			return fmt.Errorf("output name %q is not a clean relative path", o.Name)
		}
		if i > 0 && outs[i-1].Name == o.Name {
			return fmt.Errorf("output %q listed twice", o.Name)
		}
		if o.Size < 0 {
			return fmt.Errorf("output %q: negative size %d", o.Name, o.Size)
		}
	}
	return nil
}

// metric is a float64 that stores NaN and ±Inf as the JSON strings
// "NaN", "+Inf" and "-Inf": a diverged loss is still worth recording.
type metric float64

func (m metric) MarshalJSON() ([]byte, error) {
	v := float64(m)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (m *metric) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*m = metric(math.NaN())
		return nil
	case `"+Inf"`:
		*m = metric(math.Inf(1))
		return nil
	case `"-Inf"`:
		*m = metric(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("metric %s: not a number", b)
	}
	*m = metric(v)
	return nil
}
