package tensor

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// FormatError reports input that does not follow its file format: bad data,
// not a bug in pipe. Err, when set, is the underlying cause; a file that ends
// too early wraps io.ErrUnexpectedEOF.
type FormatError struct {
	Format string // "safetensors", "npy" or "idx"
	Msg    string
	Err    error
}

func (e *FormatError) Error() string {
	if e.Err != nil && e.Err != io.ErrUnexpectedEOF {
		return e.Format + ": " + e.Msg + ": " + e.Err.Error()
	}
	return e.Format + ": " + e.Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(format, msg string, args ...any) error {
	return &FormatError{Format: format, Msg: fmt.Sprintf(msg, args...)}
}

// truncatedErr says how many bytes a part of a file needed and how many
// were there, so a cut download is told apart from a bad header.
func truncatedErr(format, what string, want, got int64) error {
	return &FormatError{
		Format: format,
		Msg:    fmt.Sprintf("truncated %s: want %d bytes, found %d", what, want, got),
		Err:    io.ErrUnexpectedEOF,
	}
}

// encoding is how one element is stored in a file: kind 'b' (bool), 'u',
// 'i', 'f' or 'h' (bfloat16), its width in bytes and its byte order.
type encoding struct {
	kind byte
	size int
	big  bool
}

// target is the pipe type an encoding is read into. Narrow types widen
// without loss (I8, I16, U16 to I32; U32 to I64; F16 and BF16 to F32) and
// bools become U8 0 or 1; U64 has no lossless home and is refused.
func (e encoding) target() (DType, bool) {
	switch {
	case e.kind == 'b' && e.size == 1, e.kind == 'u' && e.size == 1:
		return Uint8, true
	case e.kind == 'i' && (e.size == 1 || e.size == 2 || e.size == 4),
		e.kind == 'u' && e.size == 2:
		return Int32, true
	case e.kind == 'i' && e.size == 8, e.kind == 'u' && e.size == 4:
		return Int64, true
	case e.kind == 'f' && (e.size == 2 || e.size == 4), e.kind == 'h' && e.size == 2:
		return Float32, true
	case e.kind == 'f' && e.size == 8:
		return Float64, true
	}
	return "", false
}

// native reports whether the stored bytes already are the target's bytes.
func (e encoding) native(dt DType) bool {
	if e.size != dt.Size() || e.kind == 'b' || e.kind == 'h' {
		return false
	}
	return e.size == 1 || !e.big
}

// decode turns raw stored elements into a tensor of the target type. It
// reuses raw as the tensor's data when no conversion is needed.
func decode(raw []byte, e encoding, shape []int) *Tensor {
	dt, ok := e.target()
	if !ok {
		panic(fmt.Sprintf("tensor: decode of unsupported encoding %+v", e))
	}
	t := &Tensor{DType: dt, Shape: shape}
	if e.native(dt) {
		t.Data = raw
		return t
	}

	n := len(raw) / e.size
	if e.size == dt.Size() && e.kind != 'b' {
		// Same width, other byte order: swap in place.
		swapBytes(raw, e.size)
		t.Data = raw
		return t
	}
	t.Data = make([]byte, n*dt.Size())
	var order binary.ByteOrder = binary.LittleEndian
	if e.big {
		order = binary.BigEndian
	}
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		src := raw[i*e.size:]
		switch {
		case e.kind == 'b':
			if src[0] != 0 {
				t.Data[i] = 1
			}
		case e.kind == 'i' && e.size == 1:
			le.PutUint32(t.Data[4*i:], uint32(int32(int8(src[0]))))
		case e.kind == 'i' && e.size == 2:
			le.PutUint32(t.Data[4*i:], uint32(int32(int16(order.Uint16(src)))))
		case e.kind == 'u' && e.size == 2:
			le.PutUint32(t.Data[4*i:], uint32(order.Uint16(src)))
		case e.kind == 'u' && e.size == 4:
			le.PutUint64(t.Data[8*i:], uint64(order.Uint32(src)))
		case e.kind == 'f' && e.size == 2:
			le.PutUint32(t.Data[4*i:], math.Float32bits(halfToFloat32(order.Uint16(src))))
		case e.kind == 'h':
			le.PutUint32(t.Data[4*i:], uint32(order.Uint16(src))<<16)
		}
	}
	return t
}

func swapBytes(b []byte, size int) {
	for i := 0; i+size <= len(b); i += size {
		for j, k := i, i+size-1; j < k; j, k = j+1, k-1 {
			b[j], b[k] = b[k], b[j]
		}
	}
}

// halfToFloat32 widens an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN; keep the payload's top bits.
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: every one is a normal float32, so scale exactly.
	v := float32(frac) / (1 << 24)
	if sign != 0 {
		v = -v
	}
	return v
}

// elementCount multiplies a shape, failing on a negative dimension or when
// the byte size would pass limit, so a corrupt header cannot overflow int.
func elementCount(shape []int, elemSize int, limit int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d == 0 {
			n = 0
		}
	}
	if n == 0 {
		return 0, nil
	}
	for _, d := range shape {
		if n > limit/int64(d) {
			return 0, fmt.Errorf("shape %v is larger than the %d-byte limit", shape, limit)
		}
		n *= int64(d)
	}
	if n > limit/int64(elemSize) {
		return 0, fmt.Errorf("shape %v of %d-byte elements is larger than the %d-byte limit",
			shape, elemSize, limit)
	}
	return n, nil
}

// directRead is the largest buffer allocated before the bytes are seen when
// the input's length is unknown. Past it the buffer grows as data arrives,
// so a header that lies about a huge size costs no more memory than the
// file really holds.
const directRead = 16 << 20

// readData reads exactly n bytes. It returns the bytes it found with
// io.ErrUnexpectedEOF when the input ends early.
func readData(r io.Reader, n int64) ([]byte, error) {
	rem := knownRemaining(r)
	if rem >= 0 && rem < n {
		// Too short, known up front: read what is there for the count.
		n = rem + 1
	}
	if n <= directRead || rem >= n {
		buf := make([]byte, n)
		got, err := io.ReadFull(r, buf)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf[:got], err
	}

	buf := make([]byte, 0, directRead)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		got, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+got]
		if err == io.EOF {
			if int64(len(buf)) < n {
				return buf, io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// knownRemaining is how many bytes r still holds when r can tell without
// reading (an in-memory reader or a regular file), else -1.
func knownRemaining(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case *os.File:
		st, err := r.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		pos, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return st.Size() - pos
	}
	return -1
}

// atEOF reports whether r has no byte left, reading at most one.
func atEOF(r io.Reader) (bool, error) {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return false, nil
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}
