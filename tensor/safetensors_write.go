package tensor

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"unicode/utf8"
)

// safetensorsRank orders dtypes as the reference library's Dtype enum does
// (by alignment, then as listed there). Writing the highest rank first keeps
// every tensor's data aligned to its element size, since the header is
// padded to a multiple of 8.
var safetensorsRank = map[DType]int{Uint8: 1, Int32: 9, Float32: 11, Float64: 12, Int64: 13}

// WriteSafetensors writes ts and meta in the safetensors format. The output
// is deterministic and matches the reference library byte for byte: tensors
// sorted by descending dtype rank then by name, "__metadata__" first with
// sorted keys (omitted when meta is empty), compact JSON, the header padded
// with spaces to a multiple of 8.
func WriteSafetensors(w io.Writer, ts map[string]*Tensor, meta map[string]string) error {
	names := make([]string, 0, len(ts))
	for name, t := range ts {
		if err := checkSafetensorsEntry(name, t); err != nil {
			return err
		}
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(safetensorsRank[ts[b].DType], safetensorsRank[ts[a].DType]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})

	var hdr bytes.Buffer
	hdr.Write(make([]byte, 8)) // the length, filled in below
	hdr.WriteByte('{')
	if len(meta) > 0 {
		hdr.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if !utf8.ValidString(k) || !utf8.ValidString(meta[k]) {
				return fmt.Errorf("write safetensors: metadata %q is not valid UTF-8", k)
			}
			if i > 0 {
				hdr.WriteByte(',')
			}
			writeJSONString(&hdr, k)
			hdr.WriteByte(':')
			writeJSONString(&hdr, meta[k])
		}
		hdr.WriteByte('}')
	}
	var offset int64
	for i, name := range names {
		t := ts[name]
		if i > 0 || len(meta) > 0 {
			hdr.WriteByte(',')
		}
		writeJSONString(&hdr, name)
		fmt.Fprintf(&hdr, `:{"dtype":"%s","shape":[`, t.DType)
		for j, d := range t.Shape {
			if j > 0 {
				hdr.WriteByte(',')
			}
			hdr.WriteString(strconv.Itoa(d))
		}
		end := offset + int64(len(t.Data))
		fmt.Fprintf(&hdr, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	hdr.WriteByte('}')
	for (hdr.Len()-8)%8 != 0 {
		hdr.WriteByte(' ')
	}
	binary.LittleEndian.PutUint64(hdr.Bytes(), uint64(hdr.Len()-8))

	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("write safetensors header: %w", err)
	}
	for _, name := range names {
		if _, err := w.Write(ts[name].Data); err != nil {
			return fmt.Errorf("write safetensors tensor %q: %w", name, err)
		}
	}
	return nil
}

func checkSafetensorsEntry(name string, t *Tensor) error {
	switch {
	case t == nil:
		return fmt.Errorf("write safetensors: tensor %q is nil", name)
	case name == "__metadata__":
		return fmt.Errorf("write safetensors: %q is reserved and cannot name a tensor", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("write safetensors: tensor name %q is not valid UTF-8", name)
	}
	if err := t.Check(); err != nil {
		return fmt.Errorf("write safetensors: tensor %q: %w", name, err)
	}
	return nil
}

// writeJSONString quotes s as serde_json does: only '"', '\\' and control
// characters are escaped, the short forms where JSON has one, else \u00XX
// in lower-case hex. (encoding/json would also escape U+2028 and U+2029.)
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// ReadSafetensorsFile reads every tensor of a safetensors file, as
// ReadSafetensors does, allocating each tensor once at its exact size.
func ReadSafetensorsFile(path string) (map[string]*Tensor, map[string]string, error) {
	f, err := OpenSafetensors(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ts := make(map[string]*Tensor, len(f.h.names))
	for _, name := range f.h.names {
		if ts[name], err = f.Tensor(name); err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return ts, f.Metadata, nil
}

// SafetensorsFile is an open safetensors file: its index, with tensors read
// on demand. Close it when done.
type SafetensorsFile struct {
	*SafetensorsIndex
	f *os.File
}

// OpenSafetensors opens a safetensors file and validates its header.
func OpenSafetensors(path string) (*SafetensorsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	x, err := ReadSafetensorsIndex(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &SafetensorsFile{SafetensorsIndex: x, f: f}, nil
}

// Close closes the file.
func (f *SafetensorsFile) Close() error { return f.f.Close() }

// WriteSafetensorsFile writes ts and meta to path atomically: readers see
// either the old file or the whole new one.
func WriteSafetensorsFile(path string, ts map[string]*Tensor, meta map[string]string) error {
	return writeFileAtomic(path, func(w io.Writer) error { return WriteSafetensors(w, ts, meta) })
}

// writeFileAtomic writes through a temporary file renamed over path. The
// temporary file must sit in the same directory so the rename is atomic.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		// The temporary name means nothing to the caller: name the file.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
