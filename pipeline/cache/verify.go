package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// VerifyResult says what Verify checked and what it found bad.
type VerifyResult struct {
	Objects int   // objects re-hashed
	Bytes   int64 // uncompressed bytes re-hashed
	Entries int   // manifests checked
	// Corrupt lists the objects and entries found bad, by path. Bad
	// objects have been removed; entries that name them now fail Get
	// with ErrCorrupt and are recomputed when next needed.
	Corrupt []string
}

// Verify re-hashes every object and checks every manifest, as `pipe
// cache verify` would: the cache's own fsck, for after a crash or a disk
// scare. Objects that fail are removed, as a read would remove them;
// manifests that do not parse are removed. It reads the whole cache, so
// it takes as long as hashing all of it.
func (c *Cache) Verify() (VerifyResult, error) {
	var res VerifyResult
	err := c.walkSub(objectsDir, func(path string, fi fs.FileInfo) error {
		id, ok := parseHexName(filepath.Base(path), "")
		if !ok {
			return nil
		}
		res.Objects++
		cw := &countingWriter{w: io.Discard}
		err := c.copyObject(id, cw)
		res.Bytes += cw.n
		switch {
		case errors.Is(err, ErrCorrupt):
			c.log.Warn("removed corrupt object", "path", path, "err", err)
			res.Corrupt = append(res.Corrupt, path)
		case errors.Is(err, ErrNotFound):
			res.Objects-- // removed by someone else since the walk
		case err != nil:
			return err
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("verify objects: %w", err)
	}

	err = c.walkSub(entriesDir, func(path string, fi fs.FileInfo) error {
		if _, ok := parseHexName(filepath.Base(path), ".json"); !ok {
			return nil
		}
		res.Entries++
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := decodeEntry(data); err != nil {
			c.log.Warn("removed corrupt entry", "path", path, "err", err)
			res.Corrupt = append(res.Corrupt, path)
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("verify entries: %w", err)
	}
	return res, nil
}
