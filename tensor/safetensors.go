package tensor

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSafetensorsHeader is the reference library's limit on the JSON
// header (100 MB); a larger length is taken as a corrupt file.
const maxSafetensorsHeader = 100_000_000

// maxSafetensorsData bounds the data section a header may declare (1 TiB):
// only a guard against overflow, since a stream's data is read as it
// arrives and a file's is checked against the file's size first.
const maxSafetensorsData = 1 << 40

// safetensorsTypes maps every dtype name of the format to how its elements
// are stored. Those with no pipe type to widen into (U64, the FP8 kinds)
// parse but fail when their tensor is loaded.
var safetensorsTypes = map[string]encoding{
	"BOOL": {'b', 1, false}, "U8": {'u', 1, false}, "I8": {'i', 1, false},
	"F8_E5M2": {'8', 1, false}, "F8_E4M3": {'8', 1, false},
	"I16": {'i', 2, false}, "U16": {'u', 2, false},
	"F16": {'f', 2, false}, "BF16": {'h', 2, false},
	"I32": {'i', 4, false}, "U32": {'u', 4, false}, "F32": {'f', 4, false},
	"I64": {'i', 8, false}, "U64": {'u', 8, false}, "F64": {'f', 8, false},
}

// TensorInfo is one entry of a safetensors header. DType is the stored type
// and may be one pipe converts on load (F16, BF16, BOOL, I8, I16, U16, U32)
// or cannot load (U64, F8_E5M2, F8_E4M3). Begin and End are byte offsets
// into the data section.
type TensorInfo struct {
	DType      DType
	Shape      []int
	Begin, End int64
}

// safetensorsHeader is a parsed and validated header.
type safetensorsHeader struct {
	meta    map[string]string
	names   []string // in data order
	infos   map[string]TensorInfo
	dataLen int64 // where the last tensor ends
}

// parseSafetensorsHeader decodes the JSON header and checks that the
// tensors tile the data section exactly: in offset order each begins where
// the previous ended, and each holds shape × dtype bytes.
func parseSafetensorsHeader(hdr []byte) (*safetensorsHeader, error) {
	if !utf8.Valid(hdr) {
		return nil, formatErr("safetensors", "header is not valid UTF-8")
	}
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, formatErr("safetensors", "header does not start with '{'")
	}
	h := &safetensorsHeader{infos: map[string]TensorInfo{}}

	dec := json.NewDecoder(bytes.NewReader(hdr))
	if _, err := dec.Token(); err != nil {
		return nil, &FormatError{Format: "safetensors", Msg: "header JSON", Err: err}
	}
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, &FormatError{Format: "safetensors", Msg: "header JSON", Err: err}
		}
		name := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, &FormatError{
				Format: "safetensors",
				Msg:    fmt.Sprintf("header JSON at %q", name),
				Err:    err,
			}
		}
		if _, dup := h.infos[name]; dup || (name == "__metadata__" && seenMeta) {
			return nil, formatErr("safetensors", "header names %q twice", name)
		}
		if name == "__metadata__" {
			seenMeta = true
			if err := json.Unmarshal(raw, &h.meta); err != nil {
				return nil, formatErr("safetensors", "__metadata__ is not an object of strings: %v", err)
			}
			continue
		}
		info, err := parseTensorInfo(name, raw)
		if err != nil {
			return nil, err
		}
		h.infos[name] = info
		h.names = append(h.names, name)
	}
	if _, err := dec.Token(); err != nil {
		return nil, &FormatError{Format: "safetensors", Msg: "header JSON", Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, formatErr("safetensors", "header has more than spaces after the JSON object")
	}

	return h, h.checkLayout()
}

func (h *safetensorsHeader) checkLayout() error {
	slices.SortFunc(h.names, func(a, b string) int {
		ia, ib := h.infos[a], h.infos[b]
		if c := cmp.Compare(ia.Begin, ib.Begin); c != 0 {
			return c
		}
		if c := cmp.Compare(ia.End, ib.End); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	end, prev := int64(0), ""
	for i, name := range h.names {
		info := h.infos[name]
		switch {
		case info.Begin < end:
			return formatErr("safetensors", "tensor %q: data_offsets [%d,%d] overlap tensor %q ending at %d",
				name, info.Begin, info.End, prev, end)
		case info.Begin > end && i == 0:
			return formatErr(
				"safetensors",
				"tensor %q: data_offsets [%d,%d] leave a gap at the start of the data",
				name,
				info.Begin,
				info.End,
			)
		case info.Begin > end:
			return formatErr(
				"safetensors",
				"tensor %q: data_offsets [%d,%d] leave a gap after tensor %q ending at %d",
				name,
				info.Begin,
				info.End,
				prev,
				end,
			)
		}
		end, prev = info.End, name
	}
	h.dataLen = end
	return nil
}

func parseTensorInfo(name string, raw json.RawMessage) (TensorInfo, error) {
	bad := func(msg string, args ...any) (TensorInfo, error) {
		return TensorInfo{}, formatErr("safetensors", "tensor %q: %s", name, fmt.Sprintf(msg, args...))
	}
	var fields struct {
		DType   json.RawMessage `json:"dtype"`
		Shape   json.RawMessage `json:"shape"`
		Offsets json.RawMessage `json:"data_offsets"`
	}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return bad("entry is not an object: %v", err)
	}
	var dtype string
	var shape, offsets []json.Number
	for _, f := range []struct {
		key string
		raw json.RawMessage
		dst any
	}{
		{"dtype", fields.DType, &dtype},
		{"shape", fields.Shape, &shape},
		{"data_offsets", fields.Offsets, &offsets},
	} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			return bad("no %s", f.key)
		}
		dec := json.NewDecoder(bytes.NewReader(f.raw))
		dec.UseNumber()
		if err := dec.Decode(f.dst); err != nil {
			return bad("%s: %v", f.key, err)
		}
	}
	enc, ok := safetensorsTypes[dtype]
	if !ok {
		return bad("unknown dtype %q", dtype)
	}
	if len(offsets) != 2 {
		return bad("data_offsets must be [begin, end], got %d numbers", len(offsets))
	}

	info := TensorInfo{DType: DType(dtype), Shape: make([]int, len(shape))}
	for i, s := range shape {
		d, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || d < 0 || d > maxSafetensorsData {
			return bad("dimension %s of shape is not a count", s)
		}
		info.Shape[i] = int(d)
	}
	var off [2]int64
	for i, s := range offsets {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || v < 0 || v > maxSafetensorsData {
			return bad("data offset %s is not within 0..%d", s, int64(maxSafetensorsData))
		}
		off[i] = v
	}
	info.Begin, info.End = off[0], off[1]
	if info.End < info.Begin {
		return bad("data_offsets [%d,%d] end before they begin", info.Begin, info.End)
	}
	n, err := elementCount(info.Shape, enc.size, maxSafetensorsData)
	if err != nil {
		return bad("%v", err)
	}
	if want := n * int64(enc.size); info.End-info.Begin != want {
		return bad("data_offsets [%d,%d] hold %d bytes, shape %v of %s needs %d",
			info.Begin, info.End, info.End-info.Begin, info.Shape, info.DType, want)
	}
	return info, nil
}

// load converts the raw bytes of a tensor into a pipe tensor.
func (info TensorInfo) load(name string, raw []byte) (*Tensor, error) {
	enc := safetensorsTypes[string(info.DType)]
	if _, ok := enc.target(); !ok {
		return nil, formatErr(
			"safetensors",
			"tensor %q: dtype %s is not supported "+
				"(pipe loads BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, I64, F64)",
			name,
			info.DType,
		)
	}
	return decode(raw, enc, slices.Clone(info.Shape)), nil
}

// ReadSafetensors reads a whole safetensors stream: every tensor, and the
// free-form "__metadata__" map (nil when absent). Tensors of the narrower
// types the format allows are widened (see TensorInfo); U64 and FP8 tensors
// are an error. The stream must end right after the last tensor.
func ReadSafetensors(r io.Reader) (map[string]*Tensor, map[string]string, error) {
	var lenBuf [8]byte
	if n, err := io.ReadFull(r, lenBuf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, truncatedErr("safetensors", "header length", 8, int64(n))
		}
		return nil, nil, err
	}
	hdrLen := binary.LittleEndian.Uint64(lenBuf[:])
	if hdrLen > maxSafetensorsHeader {
		return nil, nil, formatErr("safetensors", "header length %d is over the %d-byte limit",
			hdrLen, maxSafetensorsHeader)
	}
	if rem := knownRemaining(r); rem >= 0 && int64(hdrLen) > rem {
		return nil, nil, truncatedErr("safetensors", "header", int64(hdrLen), rem)
	}
	hdr, err := readData(r, int64(hdrLen))
	if err == io.ErrUnexpectedEOF {
		return nil, nil, truncatedErr("safetensors", "header", int64(hdrLen), int64(len(hdr)))
	} else if err != nil {
		return nil, nil, err
	}
	h, err := parseSafetensorsHeader(hdr)
	if err != nil {
		return nil, nil, err
	}
	if rem := knownRemaining(r); rem >= 0 && rem != h.dataLen {
		return nil, nil, dataLenErr(h.dataLen, rem)
	}

	// The tensors tile the data in h.names order, so one pass reads them.
	ts := make(map[string]*Tensor, len(h.names))
	var done int64
	for _, name := range h.names {
		info := h.infos[name]
		raw, err := readData(r, info.End-info.Begin)
		if err == io.ErrUnexpectedEOF {
			return nil, nil, truncatedErr("safetensors", "data", h.dataLen, done+int64(len(raw)))
		} else if err != nil {
			return nil, nil, err
		}
		done += int64(len(raw))
		if ts[name], err = info.load(name, raw); err != nil {
			return nil, nil, err
		}
	}
	if eof, err := atEOF(r); err != nil {
		return nil, nil, err
	} else if !eof {
		return nil, nil, formatErr("safetensors",
			"data goes on past the last tensor's end at %d", h.dataLen)
	}
	return ts, h.meta, nil
}

func dataLenErr(want, have int64) error {
	if have < want {
		return truncatedErr("safetensors", "data", want, have)
	}
	return formatErr("safetensors", "data section is %d bytes but the tensors end at %d", have, want)
}

// SafetensorsIndex is the validated header of a safetensors file whose data
// stays in an io.ReaderAt: it lists the tensors and loads them one at a
// time, so a large file need not be read whole.
type SafetensorsIndex struct {
	Metadata map[string]string

	r         io.ReaderAt
	dataStart int64
	h         *safetensorsHeader
}

// ReadSafetensorsIndex reads and validates the header of the size-byte
// safetensors content in r, including that the tensors end exactly at
// size.
func ReadSafetensorsIndex(r io.ReaderAt, size int64) (*SafetensorsIndex, error) {
	if size < 8 {
		return nil, truncatedErr("safetensors", "header length", 8, max(size, 0))
	}
	var lenBuf [8]byte
	if err := readAt(r, lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("read safetensors header length: %w", err)
	}
	hdrLen := binary.LittleEndian.Uint64(lenBuf[:])
	if hdrLen > maxSafetensorsHeader {
		return nil, formatErr("safetensors", "header length %d is over the %d-byte limit",
			hdrLen, maxSafetensorsHeader)
	}
	if int64(hdrLen) > size-8 {
		return nil, truncatedErr("safetensors", "header", int64(hdrLen), size-8)
	}
	hdr := make([]byte, hdrLen)
	if err := readAt(r, hdr, 8); err != nil {
		return nil, fmt.Errorf("read safetensors header: %w", err)
	}
	dataStart := 8 + int64(hdrLen)
	h, err := parseSafetensorsHeader(hdr)
	if err != nil {
		return nil, err
	}
	if h.dataLen != size-dataStart {
		return nil, dataLenErr(h.dataLen, size-dataStart)
	}
	return &SafetensorsIndex{Metadata: h.meta, r: r, dataStart: dataStart, h: h}, nil
}

// Names lists the tensors in the order of their data.
func (x *SafetensorsIndex) Names() []string { return slices.Clone(x.h.names) }

// Info describes the named tensor as stored.
func (x *SafetensorsIndex) Info(name string) (TensorInfo, bool) {
	info, ok := x.h.infos[name]
	info.Shape = slices.Clone(info.Shape)
	return info, ok
}

// Tensor reads the named tensor's data and converts it as ReadSafetensors
// does.
func (x *SafetensorsIndex) Tensor(name string) (*Tensor, error) {
	info, ok := x.h.infos[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	raw := make([]byte, info.End-info.Begin)
	if err := readAt(x.r, raw, x.dataStart+info.Begin); err != nil {
		return nil, fmt.Errorf("read tensor %q: %w", name, err)
	}
	return info.load(name, raw)
}

// readAt fills p, taking io.EOF with a full read as success as io.ReaderAt
// allows.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
