package cache

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PutTree stores every regular file under dir as an object and returns
// the outputs, named by their slash-separated paths relative to dir and
// sorted by name, ready for an Entry. Symbolic links and other special
// files are errors: a cached output must be content, not a pointer to
// something outside the cache. Empty directories are not recorded.
func (c *Cache) PutTree(dir string) ([]Output, error) {
	var outs []Output
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			return nil
		}
		if !de.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (%s)", path, de.Type())
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		id, size, err := c.PutFile(path)
		if err != nil {
			return err
		}
		outs = append(outs, Output{Name: filepath.ToSlash(rel), ID: id, Size: size})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store outputs of %s: %w", dir, err)
	}
	slices.SortFunc(outs, func(a, b Output) int { return strings.Compare(a.Name, b.Name) })
	return outs, nil
}

// MaterializeTree writes each output under dir, as Materialize does.
// The first failure stops it; errors wrap ErrCorrupt or ErrNotFound as
// Materialize's do, so a caller can tell a miss from a real failure.
func (c *Cache) MaterializeTree(outs []Output, dir string) error {
	if err := checkOutputs(outs); err != nil {
		return fmt.Errorf("materialize into %s: %w", dir, err)
	}
	for _, o := range outs {
		if err := c.Materialize(o.ID, filepath.Join(dir, filepath.FromSlash(o.Name))); err != nil {
			return err
		}
	}
	return nil
}

// treeHeader starts the listing whose hash is a directory's ID in
// HashExternal. Changing the listing's format changes every directory
// ID, so the version is part of it.
const treeHeader = "pipe tree v1\n"

// hashExternalTree hashes a directory of external inputs: the hash of a
// listing with one line "<id> <size> <path>\n" per regular file, sorted
// by slash-separated relative path, each file hashed through the stat
// cache. Symbolic links to files are followed; other special files and
// links to directories are errors. Names with a newline are refused, as
// they would make two listings read alike.
func (c *Cache) hashExternalTree(dir string) (ID, error) {
	type file struct {
		rel string
		id  ID
		n   int64
	}
	var files []file
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.ContainsRune(rel, '\n') {
			return fmt.Errorf("%q: file name with a newline", path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		id, err := c.HashExternal(path)
		if err != nil {
			return err
		}
		files = append(files, file{rel, id, fi.Size()})
		return nil
	})
	if err != nil {
		return ID{}, fmt.Errorf("hash %s: %w", dir, err)
	}

	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.rel, b.rel) })
	var b strings.Builder
	b.WriteString(treeHeader)
	for _, f := range files {
		fmt.Fprintf(&b, "%s %d %s\n", f.id, f.n, f.rel)
	}
	return HashBytes([]byte(b.String())), nil
}
