package cache

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
)

// objectPath returns where the object with this ID lives.
func (c *Cache) objectPath(id ID) string { return c.shardPath(objectsDir, id, "") }

// PutFile stores the file's content as an object and returns its ID and
// uncompressed size. The file is hashed first; if an intact object with
// that ID exists nothing is written. Otherwise it is read a second time
// into a temporary file beside the object, compressed with zstd unless
// its content is already compressed, and renamed into place after an
// fsync. The second read is hashed too, so a file that changes while it
// is being stored is an error, never an object under the wrong ID.
func (c *Cache) PutFile(path string) (ID, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return ID{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ID{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return ID{}, 0, fmt.Errorf("store %s: not a regular file", path)
	}

	id, size, err := hashReader(f)
	if err != nil {
		return ID{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	if c.haveObject(id) {
		return id, size, nil
	}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ID{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	if err := c.writeObject(id, size, f); err != nil {
		return ID{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	return id, size, nil
}

// PutBytes stores b as an object and returns its ID.
func (c *Cache) PutBytes(b []byte) (ID, error) {
	id := HashBytes(b)
	if c.haveObject(id) {
		return id, nil
	}
	if err := c.writeObject(id, int64(len(b)), bytes.NewReader(b)); err != nil {
		return ID{}, fmt.Errorf("store %d bytes: %w", len(b), err)
	}
	return id, nil
}

// HasObject reports whether an object with this ID is stored and its
// length agrees with its header. It does not re-hash the content: that
// happens on every read.
func (c *Cache) HasObject(id ID) bool {
	_, err := c.statObject(id)
	return err == nil
}

// haveObject is HasObject for writers: an object already stored is
// touched, so a GC running beside a busy cache sees it as recent and
// keeps it until the entry that refers to it is written.
func (c *Cache) haveObject(id ID) bool {
	if !c.HasObject(id) {
		return false
	}
	now := time.Now()
	if err := os.Chtimes(c.objectPath(id), now, now); err != nil {
		c.log.Warn("touch object", "object", id.Short(), "err", err)
	}
	return true
}

// statObject reads an object's header and checks the file's length.
func (c *Cache) statObject(id ID) (header, error) {
	f, err := os.Open(c.objectPath(id))
	if err != nil {
		return header{}, err
	}
	defer f.Close()
	h, err := readHeader(f)
	if err != nil {
		return header{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return header{}, err
	}
	if fi.Size() != headerSize+h.stored {
		return header{}, fmt.Errorf("object is %d bytes, header says %d",
			fi.Size(), headerSize+h.stored)
	}
	return h, nil
}

// writeObject writes size bytes from r as object id: temporary file in
// the object's directory, header, payload, fsync, rename. r is hashed
// on the way and must match id.
func (c *Cache) writeObject(id ID, size int64, r io.Reader) error {
	dst := c.objectPath(id)

	// The leading bytes decide the format; they are read once and put
	// back in front of the stream.
	head := make([]byte, min(size, sniffLen))
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return err
	}
	head = head[:n]
	format := formatRaw
	if worthCompressing(head) {
		format = formatZstd
	}
	src := io.MultiReader(bytes.NewReader(head), r)

	f, err := createTemp(filepath.Dir(dst))
	if err != nil {
		return err
	}
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		discardTemp(f)
		return err
	}

	sum := sha256.New()
	out := &countingWriter{w: f}
	var raw int64
	if format == formatZstd {
		enc := encoderPool.Get().(*zstd.Encoder)
		enc.Reset(out)
		raw, err = enc.ReadFrom(io.TeeReader(src, sum))
		if cerr := enc.Close(); err == nil {
			err = cerr
		}
		enc.Reset(nil)
		encoderPool.Put(enc)
	} else {
		raw, err = io.CopyBuffer(out, io.TeeReader(src, sum), make([]byte, hashBufSize))
	}
	if err != nil {
		discardTemp(f)
		return err
	}

	var got ID
	sum.Sum(got[:0])
	if got != id || raw != size {
		discardTemp(f)
		return fmt.Errorf("content changed while being stored (%d bytes, hash %s; "+
			"first read %d bytes, hash %s)", raw, got.Short(), size, id.Short())
	}

	h := header{format: format, raw: raw, stored: out.n}
	if _, err := f.WriteAt(h.encode(), 0); err != nil {
		discardTemp(f)
		return err
	}
	// Objects are read-only: an editor or a stray script opening one
	// for writing fails instead of silently changing cached results.
	if err := commitTemp(f, dst, 0o444); err != nil {
		return err
	}
	c.log.Debug("stored object", "object", id.Short(), "bytes", raw,
		"stored_bytes", out.n, "zstd", format == formatZstd)
	return nil
}
