package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// statKey is what must not change for a recorded hash to stand: a write
// changes size or mtime (and ctime); restoring an old mtime, as tar and
// touch -d do, still changes ctime; replacing the file changes the inode.
type statKey struct {
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	CtimeNs int64  `json:"ctime_ns"`
	Ino     uint64 `json:"ino"`
	Dev     uint64 `json:"dev"`
}

// statRecord is one file's entry in the stat cache.
type statRecord struct {
	Path string  `json:"path"`
	Stat statKey `json:"stat"`
	ID   ID      `json:"id"`
}

// racyWindow: a file modified this recently is hashed but not recorded.
// Filesystems stamp mtime and ctime from a coarse clock (a few ms on
// Linux, a second on ext3, two on FAT), so a file written again within
// that tick can keep its whole stat while its content changes. Once
// both times are older than the window, any later write shows in them.
const racyWindow = 2 * time.Second

// HashExternal returns the content hash of a file outside the cache, such
// as a dataset, without re-reading it when it has not changed since it
// was last hashed. Files are recognised by absolute path, size, mtime,
// ctime, inode and device, recorded under stat/; any difference means
// the file is hashed again. A file that keeps changing while it is
// hashed is an error.
//
// A directory's ID is the hash of a listing of its files (relative
// path, size and ID of each, sorted by path), so a folder of images
// enters a key as one ID and is not re-read when nothing in it changed.
func (c *Cache) HashExternal(path string) (ID, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ID{}, fmt.Errorf("hash %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return ID{}, fmt.Errorf("hash %s: %w", path, err)
	}
	if fi.IsDir() {
		return c.hashExternalTree(abs)
	}
	if !fi.Mode().IsRegular() {
		return ID{}, fmt.Errorf("hash %s: not a regular file", path)
	}
	st := statOf(fi)

	recPath := c.shardPath(statDir, HashBytes([]byte("stat\x00"+abs)), ".json")
	if rec, err := readStatRecord(recPath); err == nil && rec.Path == abs && rec.Stat == st {
		return rec.ID, nil
	}

	for attempt := 0; ; attempt++ {
		start := time.Now()
		id, n, err := c.hashFile(abs)
		if err != nil {
			return ID{}, err
		}
		fi2, err := os.Stat(abs)
		if err != nil {
			return ID{}, fmt.Errorf("hash %s: %w", path, err)
		}
		st2 := statOf(fi2)
		if st2 != st || n != st.Size {
			if attempt == 2 {
				return ID{}, fmt.Errorf("hash %s: file kept changing while being hashed", path)
			}
			st = st2
			continue
		}

		since := start.Add(-c.racyWindow)
		if time.Unix(0, st.MtimeNs).After(since) || time.Unix(0, st.CtimeNs).After(since) {
			c.log.Debug("stat cache: not recording a file modified just now", "path", abs)
			return id, nil
		}
		rec, err := encodeStatRecord(statRecord{Path: abs, Stat: st, ID: id})
		if err != nil {
			return ID{}, fmt.Errorf("hash %s: %w", path, err)
		}
		if err := writeFileAtomic(recPath, rec, 0o644); err != nil {
			return ID{}, fmt.Errorf("hash %s: record stat: %w", path, err)
		}
		c.log.Debug("hashed external file", "path", abs, "bytes", n, "id", id.Short())
		return id, nil
	}
}

func statOf(fi os.FileInfo) statKey {
	k := statKey{Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano()}
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.CtimeNs = s.Ctim.Sec*1e9 + s.Ctim.Nsec
		k.Ino = s.Ino
		k.Dev = uint64(s.Dev)
	}
	return k
}

// A stat record is a line of JSON followed by a line with its SHA-256:
// a flipped bit in a record would otherwise hand out a wrong hash with
// nothing to catch it.
func encodeStatRecord(rec statRecord) ([]byte, error) {
	line, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(line, "\n%s\n", HashBytes(line)), nil
}

// readStatRecord reads one stat record; any failure is a miss.
func readStatRecord(path string) (statRecord, error) {
	var rec statRecord
	data, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	line, sum, ok := bytes.Cut(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if !ok || string(sum) != HashBytes(line).String() {
		return rec, errors.New("stat record fails its checksum")
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return rec, err
	}
	if rec.Path == "" {
		return rec, errors.New("stat record without path")
	}
	return rec, nil
}
