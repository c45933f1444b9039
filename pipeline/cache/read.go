package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// Materialize writes the object's content to dst, creating dst's
// directory if needed. The content is hashed while it is written and
// dst appears (by rename) only if the hash and length match.
//
// A missing object is an error wrapping ErrNotFound. A truncated or
// altered object, or a zstd stream that does not decode, is an error
// wrapping ErrCorrupt that names the object file; the object is removed
// so that recomputing the stage stores it afresh. Callers treat both as
// a cache miss; any other error (say, dst's disk is full) is real.
//
// dst is not fsynced: it is a working copy the cache can produce again.
func (c *Cache) Materialize(id ID, dst string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("materialize %s: %w", dst, err)
	}
	f, err := createTemp(dir)
	if err != nil {
		return fmt.Errorf("materialize %s: %w", dst, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = c.copyObject(id, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("materialize %s: %w", dst, err)
	}
	return nil
}

// ReadObject returns the object's content, verified as in Materialize.
// It holds the whole content in memory: use it for small objects.
func (c *Cache) ReadObject(id ID) ([]byte, error) {
	var buf bytes.Buffer
	if h, err := c.statObject(id); err == nil && h.raw < 1<<30 {
		buf.Grow(int(h.raw))
	}
	if err := c.copyObject(id, &buf); err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	return buf.Bytes(), nil
}

// copyObject writes the object's verified content to w. Corruption
// found on the way removes the object and returns ErrCorrupt; a failure
// of w itself is returned as it is.
func (c *Cache) copyObject(id ID, w io.Writer) error {
	path := c.objectPath(id)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("object %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}

	h, err := readHeader(f)
	if err != nil {
		return c.corrupt(path, fi, err.Error())
	}
	if fi.Size() != headerSize+h.stored {
		return c.corrupt(path, fi, fmt.Sprintf("truncated or extended: %d bytes, header says %d",
			fi.Size(), headerSize+h.stored))
	}

	cw := &checkWriter{w: w, sum: sha256.New(), limit: h.raw}
	payload := io.LimitReader(f, h.stored)
	if h.format == formatZstd {
		dec := decoderPool.Get().(*zstd.Decoder)
		if err = dec.Reset(bufio.NewReaderSize(payload, 256<<10)); err == nil {
			_, err = dec.WriteTo(cw)
		}
		dec.Reset(nil)
		decoderPool.Put(dec)
	} else {
		_, err = io.CopyBuffer(cw, onlyReader{payload}, make([]byte, hashBufSize))
	}
	if cw.werr != nil {
		return cw.werr
	}
	if err != nil {
		return c.corrupt(path, fi, err.Error())
	}

	if cw.n != h.raw {
		return c.corrupt(path, fi, fmt.Sprintf("content is %d bytes, header says %d",
			cw.n, h.raw))
	}
	var got ID
	cw.sum.Sum(got[:0])
	if got != id {
		return c.corrupt(path, fi, "content hashes to "+got.Short())
	}
	return nil
}

// corrupt removes a bad object and returns the ErrCorrupt that reports
// it. The file is removed only if the path still names the file that was
// read: another process may have just renamed a good copy into place.
func (c *Cache) corrupt(path string, read os.FileInfo, reason string) error {
	err := fmt.Errorf("%w: object %s: %s", ErrCorrupt, path, reason)
	if cur, serr := os.Lstat(path); serr == nil && os.SameFile(cur, read) {
		if rerr := os.Remove(path); rerr != nil {
			c.log.Warn("remove corrupt object", "path", path, "err", rerr)
		} else {
			c.log.Debug("removed corrupt object", "path", path, "reason", reason)
		}
	}
	return err
}

// errTooLong stops a decode that produces more than the header's size.
var errTooLong = errors.New("content longer than its header says")

// checkWriter hashes and counts what passes to w, refuses to pass more
// than limit bytes, and keeps w's own error apart from the source's.
type checkWriter struct {
	w     io.Writer
	sum   hash.Hash
	n     int64
	limit int64
	werr  error
}

func (cw *checkWriter) Write(p []byte) (int, error) {
	if cw.n+int64(len(p)) > cw.limit {
		return 0, errTooLong
	}
	cw.sum.Write(p)
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err != nil {
		cw.werr = err
	}
	return n, err
}
