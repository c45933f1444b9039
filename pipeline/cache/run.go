package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrAmbiguous: a run ID prefix matches more than one run.
var ErrAmbiguous = errors.New("ambiguous run id prefix")

// maxCandidates is how many matching runs an ambiguity error lists,
// newest first.
const maxCandidates = 10

// RunInfo describes one stored run record.
type RunInfo struct {
	ID      ID
	ModTime time.Time
	Size    int64
}

func (c *Cache) runPath(id ID) string {
	return filepath.Join(c.dir, runsDir, id.String()+".json")
}

// PutRun stores a run record and returns its ID, the hash of record.
// The bytes are stored as given (the executor defines their JSON), under
// runs/<id>.json, atomically. Storing the same record twice is harmless,
// and repairs a stored copy that was damaged.
func (c *Cache) PutRun(record []byte) (ID, error) {
	id := HashBytes(record)
	path := c.runPath(id)
	if old, err := os.ReadFile(path); err == nil && HashBytes(old) == id {
		return id, nil
	}
	if err := writeFileAtomic(path, record, 0o644); err != nil {
		return ID{}, fmt.Errorf("store run: %w", err)
	}
	return id, nil
}

// Runs lists the stored run records, newest first.
func (c *Cache) Runs() ([]RunInfo, error) {
	dir := filepath.Join(c.dir, runsDir)
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var runs []RunInfo
	for _, de := range des {
		id, ok := parseHexName(de.Name(), ".json")
		if !ok {
			continue
		}
		fi, err := de.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		runs = append(runs, RunInfo{ID: id, ModTime: fi.ModTime(), Size: fi.Size()})
	}
	slices.SortFunc(runs, func(a, b RunInfo) int {
		if c := b.ModTime.Compare(a.ModTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return runs, nil
}

// ReadRun returns the run whose ID starts with prefix (hex, any case).
// An unknown prefix is ErrNotFound; one matching several runs is
// ErrAmbiguous, and the message lists them. A record whose content no
// longer hashes to its ID is ErrCorrupt.
func (c *Cache) ReadRun(prefix string) (ID, []byte, error) {
	p := strings.ToLower(prefix)
	if p == "" || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
		return ID{}, nil, fmt.Errorf("run %q: not a hex run id or prefix", prefix)
	}
	runs, err := c.Runs()
	if err != nil {
		return ID{}, nil, err
	}
	var match []RunInfo
	for _, r := range runs {
		if strings.HasPrefix(r.ID.String(), p) {
			match = append(match, r)
		}
	}
	switch len(match) {
	case 0:
		return ID{}, nil, fmt.Errorf("run %s: %w (see `pipe runs`)", prefix, ErrNotFound)
	case 1:
	default:
		var b strings.Builder
		for i, r := range match {
			if i == maxCandidates {
				fmt.Fprintf(&b, "\n  ... and %d more", len(match)-i)
				break
			}
			fmt.Fprintf(&b, "\n  %s  %s", r.ID.String()[:16], r.ModTime.Format(time.DateTime))
		}
		return ID{}, nil, fmt.Errorf("run %s: %w: matches %d runs; give more digits:%s",
			prefix, ErrAmbiguous, len(match), b.String())
	}

	id := match[0].ID
	path := c.runPath(id)
	data, err := os.ReadFile(path)
	if err != nil {
		return ID{}, nil, fmt.Errorf("read run %s: %w", path, err)
	}
	if HashBytes(data) != id {
		return ID{}, nil, fmt.Errorf("%w: run %s: content does not hash to its name", ErrCorrupt, path)
	}
	return id, data, nil
}
