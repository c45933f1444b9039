package cache

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var (
	// ErrNotFound: no entry, object or run with that ID.
	ErrNotFound = errors.New("not in cache")

	// ErrCorrupt: an object, manifest or record failed its hash or
	// did not parse. The caller logs a warning and recomputes; the bad
	// file has been removed where this package could tell it was bad.
	ErrCorrupt = errors.New("corrupt cache data")
)

// Cache is a cache directory opened for use. Its methods are safe for
// concurrent use by goroutines, and several processes may share one
// directory: writes are atomic renames and Lock serialises work per key.
type Cache struct {
	dir string
	log *slog.Logger

	locks keyLocks

	// hashFile hashes external inputs; tests replace it to count reads.
	hashFile func(path string) (ID, int64, error)
	// racyWindow is the constant of that name; tests shorten it.
	racyWindow time.Duration
}

// Subdirectories of the cache directory.
const (
	objectsDir = "objects"
	entriesDir = "entries"
	runsDir    = "runs"
	statDir    = "stat"
	locksDir   = "locks"
)

// tmpPrefix starts the name of every temporary file. Temporary files sit
// in the directory of the file they become, so the final rename is
// atomic; GC removes old ones left by killed processes.
const tmpPrefix = ".tmp-"

// Open opens the cache at dir, creating it and its layout if needed.
// A nil logger discards log output.
func Open(dir string, log *slog.Logger) (*Cache, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, sub := range []string{objectsDir, entriesDir, runsDir, statDir, locksDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("open cache: %w", err)
		}
	}
	c := &Cache{
		dir:        dir,
		log:        log.With("component", "cache"),
		hashFile:   HashFile,
		racyWindow: racyWindow,
	}

	// CACHEDIR.TAG makes backup tools skip the directory (see
	// https://bford.info/cachedir/); the .gitignore keeps it out of git
	// when it sits inside a repository, as .pipe usually does.
	marks := []struct{ name, text string }{
		{"CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n" +
			"# This directory is pipe's cache; see `pipe cache du`.\n"},
		{".gitignore", "*\n"},
	}
	for _, m := range marks {
		if _, err := os.Stat(filepath.Join(dir, m.name)); err == nil {
			continue
		}
		err := writeFileAtomic(filepath.Join(dir, m.name), []byte(m.text), 0o644)
		if err != nil {
			return nil, fmt.Errorf("open cache: %w", err)
		}
	}
	return c, nil
}

// Dir returns the cache directory as given to Open.
func (c *Cache) Dir() string { return c.dir }

// shardPath returns dir/sub/ab/<hex><ext>, where ab are the first two hex
// digits: 256 shards keep directories small.
func (c *Cache) shardPath(sub string, id ID, ext string) string {
	h := id.String()
	return filepath.Join(c.dir, sub, h[:2], h+ext)
}

// createTemp creates a temporary file in dir, creating dir if needed.
func createTemp(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		f, err = os.CreateTemp(dir, tmpPrefix+"*")
	}
	return f, err
}

// commitTemp makes f durable and renames it to dst: fsync the data,
// close, set perm, rename, fsync the directory so the rename itself
// survives a crash. On error the temporary file is removed.
func commitTemp(f *os.File, dst string, perm os.FileMode) error {
	tmp := f.Name()
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit %s: %w", dst, err)
	}
	return syncDir(filepath.Dir(dst))
}

// discardTemp closes and removes a temporary file after a failed write.
func discardTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// syncDir fsyncs a directory so a rename into it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// writeFileAtomic writes data to path through a synced temporary file in
// the same directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := createTemp(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		discardTemp(f)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return commitTemp(f, path, perm)
}

// isTemp reports whether a file name is one of our temporary files.
func isTemp(name string) bool { return strings.HasPrefix(name, tmpPrefix) }

// countingWriter counts bytes on their way to w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
