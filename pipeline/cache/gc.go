package cache

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Usage is what the cache holds, as `pipe cache du` reports it.
type Usage struct {
	Objects     int
	ObjectBytes int64 // on disk, headers included
	RawBytes    int64 // uncompressed content
	Entries     int
	Runs        int
	MetaBytes   int64 // entries, runs and stat records on disk
	Temp        int   // leftover temporary files (killed writers)
	TempBytes   int64
}

// Usage walks the cache and adds up what it holds. Objects whose header
// does not read add their stored size to ObjectBytes and nothing to
// RawBytes.
func (c *Cache) Usage() (Usage, error) {
	var u Usage
	err := c.walk(func(sub, path string, fi fs.FileInfo) error {
		name := filepath.Base(path)
		switch {
		case isTemp(name):
			u.Temp++
			u.TempBytes += fi.Size()
		case sub == objectsDir:
			id, ok := parseHexName(name, "")
			if !ok {
				return nil
			}
			u.Objects++
			u.ObjectBytes += fi.Size()
			if h, err := c.statObject(id); err == nil {
				u.RawBytes += h.raw
			}
		case sub == entriesDir:
			u.Entries++
			u.MetaBytes += fi.Size()
		case sub == runsDir:
			u.Runs++
			u.MetaBytes += fi.Size()
		case sub == statDir:
			u.MetaBytes += fi.Size()
		}
		return nil
	})
	if err != nil {
		return Usage{}, fmt.Errorf("cache usage: %w", err)
	}
	return u, nil
}

// GCOptions says what GC keeps.
type GCOptions struct {
	// Keep lists the entry keys to keep, typically every stage key of
	// the recorded runs that are kept. Objects those entries refer to
	// are kept; other entries and unreferenced objects are removed.
	Keep map[ID]bool
	// KeepAll keeps every entry, removing only unreferenced objects,
	// stale temporary files and outdated stat records.
	KeepAll bool
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
}

// GCResult says what GC removed (or, in a dry run, would remove).
type GCResult struct {
	EntriesRemoved int
	ObjectsRemoved int
	TempRemoved    int
	StatRemoved    int
	BytesFreed     int64

	// Removed lists the keys of the removed entries (with DryRun, of
	// those that would be), so callers can free what hangs off them.
	Removed []ID

	EntriesKept int
	ObjectsKept int
	BytesKept   int64 // objects and entries kept, on disk

	// Busy: another process held the cache (Lock or Pin), so entries
	// and objects changed within busyGrace were kept regardless.
	Busy bool
}

// busyGrace protects recent work when GC runs beside a busy cache: a
// stage may have stored its objects and not yet written its entry, or a
// run may have written entries and not yet its record. It is also the
// age past which a temporary file is taken for a killed writer's.
const busyGrace = time.Hour

// GC removes entries not in opt.Keep, objects no kept entry refers to,
// temporary files older than an hour, and stat records of files that
// have changed or gone. Run records are left alone (see RemoveRun).
//
// GC takes locks/gc.lock exclusively if it can. If another process holds
// it shared (a run in progress), GC still collects but keeps everything
// modified in the last hour, and reports Busy.
func (c *Cache) GC(opt GCOptions) (GCResult, error) {
	var res GCResult
	lock, full, err := c.tryFlock(gcLockName, syscall.LOCK_EX)
	if err != nil {
		return res, fmt.Errorf("gc: %w", err)
	}
	if full {
		defer lock.Close()
	} else {
		res.Busy = true
		c.log.Info("cache in use by another process; keeping everything from the last hour")
	}
	now := time.Now()
	recent := func(fi fs.FileInfo) bool {
		return res.Busy && now.Sub(fi.ModTime()) < busyGrace
	}
	remove := func(path string) error {
		if opt.DryRun {
			return nil
		}
		err := os.Remove(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}

	// Entries first: what survives decides which objects are referenced.
	referenced := make(map[ID]bool)
	err = c.walkSub(entriesDir, func(path string, fi fs.FileInfo) error {
		key, ok := parseHexName(filepath.Base(path), ".json")
		if !ok {
			return nil
		}
		if opt.KeepAll || opt.Keep[key] || recent(fi) {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if e, err := decodeEntry(data); err == nil {
				for _, o := range e.Outputs {
					referenced[o.ID] = true
				}
				res.EntriesKept++
				res.BytesKept += fi.Size()
				return nil
			}
			c.log.Warn("removing corrupt entry", "path", path)
		}
		res.EntriesRemoved++
		res.Removed = append(res.Removed, key)
		res.BytesFreed += fi.Size()
		return remove(path)
	})
	if err != nil {
		return res, fmt.Errorf("gc entries: %w", err)
	}

	err = c.walkSub(objectsDir, func(path string, fi fs.FileInfo) error {
		id, ok := parseHexName(filepath.Base(path), "")
		if !ok {
			return nil
		}
		if !referenced[id] && res.Busy && !recent(fi) {
			// A writer may have touched it since the walk read its
			// time: PutFile touches an object it finds already stored.
			if cur, err := os.Lstat(path); err == nil {
				fi = cur
			}
		}
		if referenced[id] || recent(fi) {
			res.ObjectsKept++
			res.BytesKept += fi.Size()
			return nil
		}
		res.ObjectsRemoved++
		res.BytesFreed += fi.Size()
		return remove(path)
	})
	if err != nil {
		return res, fmt.Errorf("gc objects: %w", err)
	}

	err = c.walk(func(sub, path string, fi fs.FileInfo) error {
		if !isTemp(filepath.Base(path)) || now.Sub(fi.ModTime()) < busyGrace {
			return nil
		}
		res.TempRemoved++
		res.BytesFreed += fi.Size()
		return remove(path)
	})
	if err != nil {
		return res, fmt.Errorf("gc temporary files: %w", err)
	}

	err = c.walkSub(statDir, func(path string, fi fs.FileInfo) error {
		if isTemp(filepath.Base(path)) {
			return nil
		}
		rec, err := readStatRecord(path)
		if err == nil {
			if cur, err := os.Stat(rec.Path); err == nil && statOf(cur) == rec.Stat {
				return nil
			}
		}
		res.StatRemoved++
		res.BytesFreed += fi.Size()
		return remove(path)
	})
	if err != nil {
		return res, fmt.Errorf("gc stat records: %w", err)
	}

	if full && !opt.DryRun {
		if err := c.removeIdleLocks(); err != nil {
			return res, fmt.Errorf("gc locks: %w", err)
		}
	}
	return res, nil
}

// removeIdleLocks removes the lock files of keys that have no entry. It
// runs only while GC holds gc.lock exclusively: then no process holds a
// key lock, and Lock re-checks the inode after locking in case a waiter
// opened a file removed here.
func (c *Cache) removeIdleLocks() error {
	des, err := os.ReadDir(filepath.Join(c.dir, locksDir))
	if err != nil {
		return err
	}
	for _, de := range des {
		key, ok := parseHexName(de.Name(), ".lock")
		if !ok {
			continue
		}
		if _, err := os.Stat(c.entryPath(key)); err == nil {
			continue
		}
		err := os.Remove(filepath.Join(c.dir, locksDir, de.Name()))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// RemoveRun deletes a run record. GC never does; the caller decides
// which runs to forget (for example all but the last N) and then
// collects with the keys of the remaining runs.
func (c *Cache) RemoveRun(id ID) error {
	err := os.Remove(c.runPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove run %s: %w", id.Short(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("remove run: %w", err)
	}
	return nil
}

// walk calls fn for every regular file under the cache's subdirectories,
// with the subdirectory's name.
func (c *Cache) walk(fn func(sub, path string, fi fs.FileInfo) error) error {
	for _, sub := range []string{objectsDir, entriesDir, runsDir, statDir} {
		err := c.walkSub(sub, func(path string, fi fs.FileInfo) error {
			return fn(sub, path, fi)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// walkSub calls fn for every regular file under dir/sub. Files removed
// by another process during the walk are skipped.
func (c *Cache) walkSub(sub string, fn func(path string, fi fs.FileInfo) error) error {
	root := filepath.Join(c.dir, sub)
	return filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && path != root {
				return nil
			}
			return err
		}
		if !de.Type().IsRegular() {
			return nil
		}
		fi, err := de.Info()
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(path, fi)
	})
}

// parseHexName parses "<64 hex digits><ext>".
func parseHexName(name, ext string) (ID, bool) {
	h, ok := strings.CutSuffix(name, ext)
	if !ok || len(h) != 64 {
		return ID{}, false
	}
	var id ID
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return ID{}, false
	}
	return id, true
}
