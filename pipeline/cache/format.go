package cache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// An object file is a 24-byte header followed by the payload:
//
//	0  "PIPO"      magic
//	4  1           header version
//	5  format      formatRaw or formatZstd
//	6  0 0         reserved
//	8  raw size    uint64 LE: length of the uncompressed content
//	16 stored size uint64 LE: length of the payload after the header
//
// The stored size lets HasObject catch a truncated file by its length
// without decompressing; the raw size lets Usage report uncompressed
// bytes cheaply. The content hash is the file name, not in the header.
const headerSize = 24

const (
	formatRaw  byte = 0
	formatZstd byte = 1
)

var headerMagic = [4]byte{'P', 'I', 'P', 'O'}

type header struct {
	format byte
	raw    int64
	stored int64
}

func (h header) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, headerMagic[:])
	b[4] = 1
	b[5] = h.format
	binary.LittleEndian.PutUint64(b[8:], uint64(h.raw))
	binary.LittleEndian.PutUint64(b[16:], uint64(h.stored))
	return b
}

func decodeHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, fmt.Errorf("header truncated at %d bytes", len(b))
	}
	if !bytes.Equal(b[:4], headerMagic[:]) || b[4] != 1 {
		return header{}, fmt.Errorf("bad header magic %q", b[:5])
	}
	h := header{
		format: b[5],
		raw:    int64(binary.LittleEndian.Uint64(b[8:])),
		stored: int64(binary.LittleEndian.Uint64(b[16:])),
	}
	if h.format != formatRaw && h.format != formatZstd {
		return header{}, fmt.Errorf("unknown object format %d", h.format)
	}
	if h.raw < 0 || h.stored < 0 || (h.format == formatRaw && h.raw != h.stored) {
		return header{}, fmt.Errorf("bad sizes in header (raw %d, stored %d)",
			h.raw, h.stored)
	}
	return h, nil
}

// readHeader reads and checks the header at the start of r.
func readHeader(r io.Reader) (header, error) {
	b := make([]byte, headerSize)
	n, err := io.ReadFull(r, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return header{}, err
	}
	return decodeHeader(b[:n])
}

// compressedMagics are the leading bytes of formats that zstd cannot
// shrink further. Their content is stored raw.
var compressedMagics = [][]byte{
	{0x1f, 0x8b},             // gzip
	{0x28, 0xb5, 0x2f, 0xfd}, // zstd
	{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, // PNG
	{0xff, 0xd8, 0xff},                            // JPEG
	{'P', 'K', 0x03, 0x04},                        // zip, and so PyTorch .pt and VarStore files
	{'P', 'K', 0x05, 0x06},                        // empty zip
	{0xfd, '7', 'z', 'X', 'Z', 0x00},              // xz
	{'B', 'Z', 'h'},                               // bzip2
	{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c},            // 7z
	{0x04, 0x22, 0x4d, 0x18},                      // lz4 frame
	{'G', 'I', 'F', '8'},                          // GIF
}

// sniffLen is how many leading bytes compression detection looks at: the
// magic numbers, and a sample that tells whether zstd gains anything.
const sniffLen = 128 << 10

// worthCompressing decides from the first bytes of the content whether
// to store it compressed. Known compressed formats are not; for others a
// quick zstd pass over the sample must save at least 3%, which keeps
// random-looking data (encrypted files, unknown codecs) from paying the
// compression cost for nothing.
func worthCompressing(head []byte) bool {
	for _, m := range compressedMagics {
		if bytes.HasPrefix(head, m) {
			return false
		}
	}
	if len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP" {
		return false
	}
	if len(head) < 64 {
		return false // the frame header would eat any gain
	}
	enc := sampleEncoder()
	out := enc.EncodeAll(head, make([]byte, 0, len(head)))
	return len(out) < len(head)*97/100
}

// Encoder level: zstd's default (about level 3) compresses tensors and
// text well at several hundred MB/s per core; the better levels cost 3x
// the time for a few percent, which a cache that is written on every
// miss does not repay.
const encoderLevel = zstd.SpeedDefault

var (
	sampleEncOnce sync.Once
	sampleEnc     *zstd.Encoder
)

// sampleEncoder is a shared encoder for EncodeAll, which is safe for
// concurrent use.
func sampleEncoder() *zstd.Encoder {
	sampleEncOnce.Do(func() {
		var err error
		sampleEnc, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err) // only bad options fail, and these are constant
		}
	})
	return sampleEnc
}

// Stream encoders and decoders are pooled: each holds megabytes of
// tables. An encoder compresses a block on a goroutine of its own while
// the caller reads and hashes the next, so storing uses two cores; those
// goroutines end with each block, and a pooled encoder holds none. A
// decoder with concurrency 1 decodes synchronously and holds none either.
var (
	encoderPool = sync.Pool{New: func() any {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(encoderLevel),
			zstd.WithEncoderConcurrency(0))
		if err != nil {
			panic(err)
		}
		return e
	}}
	decoderPool = sync.Pool{New: func() any {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			panic(err)
		}
		return d
	}}
)
