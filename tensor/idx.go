package tensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// maxIDXData bounds the data an IDX header may declare: 4 GiB, some five
// times the largest IDX data set in use (EMNIST). A corrupt header claiming
// more is refused before anything is allocated.
const maxIDXData = 4 << 30

// maxIDXDims is the most dimensions an IDX header may declare; real files
// have one to three.
const maxIDXDims = 16

// idxTypes are the element types of the IDX format, all big-endian.
var idxTypes = map[byte]struct {
	enc  encoding
	name string
}{
	0x08: {encoding{'u', 1, true}, "ubyte"},
	0x09: {encoding{'i', 1, true}, "sbyte"},
	0x0B: {encoding{'i', 2, true}, "short"},
	0x0C: {encoding{'i', 4, true}, "int"},
	0x0D: {encoding{'f', 4, true}, "float"},
	0x0E: {encoding{'f', 8, true}, "double"},
}

// ReadIDX reads an array in the IDX format of the MNIST files: a magic
// number 0x00 0x00 type ndim, ndim big-endian uint32 dimensions, then the
// big-endian elements. ubyte becomes U8, sbyte, short and int become I32,
// float F32 and double F64. The input must end right after the data.
func ReadIDX(r io.Reader) (*Tensor, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, truncatedErr("idx", "magic number", 4, int64(n))
		}
		return nil, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, formatErr("idx", "bad magic number % x: the first two bytes must be zero", magic)
	}
	typ, ok := idxTypes[magic[2]]
	if !ok {
		return nil, formatErr("idx", "unknown element type 0x%02x (want 0x08, 0x09, 0x0b-0x0e)", magic[2])
	}
	ndim := int(magic[3])
	if ndim == 0 || ndim > maxIDXDims {
		return nil, formatErr("idx", "%d dimensions, want 1 to %d", ndim, maxIDXDims)
	}

	dims := make([]byte, 4*ndim)
	if n, err := io.ReadFull(r, dims); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, truncatedErr("idx", "dimensions", int64(len(dims)), int64(n))
		}
		return nil, err
	}
	shape := make([]int, ndim)
	for i := range shape {
		shape[i] = int(binary.BigEndian.Uint32(dims[4*i:]))
	}
	what := "data of " + idxShape(shape) + " " + typ.name
	n, err := elementCount(shape, typ.enc.size, maxIDXData)
	if err != nil {
		return nil, formatErr("idx", "%s: %v", what, err)
	}
	want := n * int64(typ.enc.size)

	// Where the length is known, check it before allocating.
	if rem := knownRemaining(r); rem >= 0 && rem < want {
		return nil, truncatedErr("idx", what, want, rem)
	} else if rem > want {
		return nil, formatErr("idx", "%s is %d bytes but %d follow the header", what, want, rem)
	}
	raw, err := readData(r, want)
	if err == io.ErrUnexpectedEOF {
		return nil, truncatedErr("idx", what, want, int64(len(raw)))
	} else if err != nil {
		return nil, err
	}
	if eof, err := atEOF(r); err != nil {
		return nil, err
	} else if !eof {
		return nil, formatErr("idx", "%s: more than its %d bytes follow the header", what, want)
	}
	return decode(raw, typ.enc, shape), nil
}

func idxShape(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, "x")
}

// ReadIDXFile reads an IDX file, gunzipping it first when it starts with
// the gzip magic bytes, whatever its name.
func ReadIDXFile(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	var r io.Reader = f
	var head [2]byte
	if n, _ := f.ReadAt(head[:], 0); n == 2 && head == [2]byte{0x1f, 0x8b} {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: gzip: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	t, err := ReadIDX(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return t, nil
}

// idxCodes is the IDX type written for each pipe type; I64 has none.
var idxCodes = map[DType]byte{Uint8: 0x08, Int32: 0x0C, Float32: 0x0D, Float64: 0x0E}

// WriteIDX writes t in the IDX format. I64 tensors, scalars and dimensions
// past 2^32-1 cannot be written.
func WriteIDX(w io.Writer, t *Tensor) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("write idx: %w", err)
	}
	code, ok := idxCodes[t.DType]
	if !ok {
		return fmt.Errorf("write idx: the format has no %s type", t.DType)
	}
	if len(t.Shape) == 0 || len(t.Shape) > maxIDXDims {
		return fmt.Errorf("write idx: %d dimensions, want 1 to %d", len(t.Shape), maxIDXDims)
	}
	var hdr bytes.Buffer
	hdr.Write([]byte{0, 0, code, byte(len(t.Shape))})
	for _, d := range t.Shape {
		if d > 1<<32-1 {
			return fmt.Errorf("write idx: dimension %d does not fit 32 bits", d)
		}
		hdr.Write(binary.BigEndian.AppendUint32(nil, uint32(d)))
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("write idx header: %w", err)
	}

	data := t.Data
	if size := t.DType.Size(); size > 1 {
		data = bytes.Clone(data)
		swapBytes(data, size)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write idx data: %w", err)
	}
	return nil
}
