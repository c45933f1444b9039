package tensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header dictionary. NumPy itself refuses headers
// over 10000 bytes unless told to trust the file; ours are under 200.
const maxNPYHeader = 1 << 20

// maxNPYData guards the element count against overflow (1 TiB). Data is
// read as it arrives, so a header that lies costs no memory.
const maxNPYData = 1 << 40

// ReadNPY reads one array in NumPy's .npy format, versions 1.0, 2.0 and
// 3.0. Supported dtypes are bool, int8-int64, uint8-uint32 and float16-
// float64 in either byte order; they are widened as safetensors types are
// (bool to U8 0/1, int8/int16/uint16 to I32, uint32 to I64, float16 to
// F32). Fortran-ordered arrays are transposed into row-major order.
// Structured, object, string, complex and uint64 arrays are an error.
//
// ReadNPY stops after the array's data, so arrays saved one after another
// into one stream can be read in turn, as numpy.load does.
func ReadNPY(r io.Reader) (*Tensor, error) {
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, truncatedErr("npy", "magic", 8, int64(n))
		}
		return nil, err
	}
	if string(pre[:6]) != npyMagic {
		return nil, formatErr("npy", "not a .npy file: magic is %q, want %q", pre[:6], npyMagic)
	}
	major, minor := pre[6], pre[7]
	lenSize := 0
	switch {
	case major == 1 && minor == 0:
		lenSize = 2
	case (major == 2 || major == 3) && minor == 0:
		lenSize = 4
	default:
		return nil, formatErr(
			"npy",
			"unsupported format version %d.%d (pipe reads 1.0, 2.0, 3.0)",
			major,
			minor,
		)
	}

	var lenBuf [4]byte
	if n, err := io.ReadFull(r, lenBuf[:lenSize]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, truncatedErr("npy", "header length", int64(lenSize), int64(n))
		}
		return nil, err
	}
	hdrLen := int64(binary.LittleEndian.Uint16(lenBuf[:]))
	if lenSize == 4 {
		hdrLen = int64(binary.LittleEndian.Uint32(lenBuf[:]))
	}
	if hdrLen > maxNPYHeader {
		return nil, formatErr("npy", "header length %d is over the %d-byte limit", hdrLen, maxNPYHeader)
	}
	hdr, err := readData(r, hdrLen)
	if err == io.ErrUnexpectedEOF {
		return nil, truncatedErr("npy", "header", hdrLen, int64(len(hdr)))
	} else if err != nil {
		return nil, err
	}
	// Versions 1 and 2 store the header in Latin-1, version 3 in UTF-8;
	// every header we accept is ASCII, so both read the same.
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}

	n, err := elementCount(h.shape, h.enc.size, maxNPYData)
	if err != nil {
		return nil, formatErr("npy", "%v", err)
	}
	want := n * int64(h.enc.size)
	raw, err := readData(r, want)
	if err == io.ErrUnexpectedEOF {
		return nil, truncatedErr("npy", fmt.Sprintf("data of shape %v %s", h.shape, h.descr),
			want, int64(len(raw)))
	} else if err != nil {
		return nil, err
	}

	if !h.fortran {
		return decode(raw, h.enc, h.shape), nil
	}
	// Fortran order is row-major order of the reversed shape.
	rev := slices.Clone(h.shape)
	slices.Reverse(rev)
	return reverseAxes(decode(raw, h.enc, rev)), nil
}

// reverseAxes returns the transpose of t that reverses all its axes.
func reverseAxes(t *Tensor) *Tensor {
	k := len(t.Shape)
	if k < 2 {
		return t
	}
	shape := slices.Clone(t.Shape)
	slices.Reverse(shape)
	out := &Tensor{DType: t.DType, Shape: shape, Data: make([]byte, len(t.Data))}
	es := t.DType.Size()
	n := t.NumElements()
	if n == 0 {
		return out
	}

	// srcStride[a] is the input stride, in elements, of output axis a.
	srcStride := make([]int, k)
	s := 1
	for a := 0; a < k; a++ { // output axis a is input axis k-1-a
		srcStride[a] = s
		s *= shape[a]
	}
	idx := make([]int, k)
	src := 0
	for i := 0; i < n; i++ {
		copy(out.Data[i*es:(i+1)*es], t.Data[src*es:(src+1)*es])
		for a := k - 1; a >= 0; a-- {
			idx[a]++
			src += srcStride[a]
			if idx[a] < shape[a] {
				break
			}
			src -= idx[a] * srcStride[a]
			idx[a] = 0
		}
	}
	return out
}

// npyDescr is the NumPy dtype string of each pipe type.
var npyDescr = map[DType]string{
	Uint8: "|u1", Int32: "<i4", Int64: "<i8", Float32: "<f4", Float64: "<f8",
}

// WriteNPY writes t as a .npy file readable by numpy.load, byte for byte
// what numpy.save writes for the same array: version 1.0 (2.0 only for a
// header too long for 1.0), C order, the header padded so the data starts
// on a 64-byte boundary.
func WriteNPY(w io.Writer, t *Tensor) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("write npy: %w", err)
	}
	var dict strings.Builder
	fmt.Fprintf(&dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", npyDescr[t.DType])
	for i, d := range t.Shape {
		if i > 0 {
			dict.WriteString(", ")
		}
		dict.WriteString(strconv.Itoa(d))
	}
	if len(t.Shape) == 1 {
		dict.WriteByte(',')
	}
	dict.WriteString("), }")
	// NumPy leaves room to rewrite the first dimension in place with up to
	// 21 digits.
	if len(t.Shape) > 0 {
		dict.WriteString(strings.Repeat(" ", 21-len(strconv.Itoa(t.Shape[0]))))
	}

	// Always at least one space of padding: NumPy adds a full 64 when the
	// header happens to be aligned already.
	prefix := 10
	pad := 64 - (prefix+dict.Len()+1)%64
	if dict.Len()+pad+1 > 0xffff {
		prefix = 12
		pad = 64 - (prefix+dict.Len()+1)%64
	}
	var hdr bytes.Buffer
	hdr.WriteString(npyMagic)
	hlen := dict.Len() + pad + 1
	if prefix == 10 {
		hdr.Write([]byte{1, 0, byte(hlen), byte(hlen >> 8)})
	} else {
		hdr.Write([]byte{2, 0})
		hdr.Write(binary.LittleEndian.AppendUint32(nil, uint32(hlen)))
	}
	hdr.WriteString(dict.String())
	hdr.WriteString(strings.Repeat(" ", pad))
	hdr.WriteByte('\n')

	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("write npy header: %w", err)
	}
	if _, err := w.Write(t.Data); err != nil {
		return fmt.Errorf("write npy data: %w", err)
	}
	return nil
}

// ReadNPYFile reads the .npy file at path.
func ReadNPYFile(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return t, nil
}

// WriteNPYFile writes t to path atomically.
func WriteNPYFile(path string, t *Tensor) error {
	return writeFileAtomic(path, func(w io.Writer) error { return WriteNPY(w, t) })
}
