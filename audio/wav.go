package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Errors a WAV file can fail with. ReadWAV wraps them with the detail, so test
// with errors.Is.
var (
	// ErrNotWAV: the stream does not start with a RIFF/WAVE header.
	ErrNotWAV = errors.New("not a RIFF/WAVE file")
	// ErrTruncated: the file ends inside a header or inside the sample data.
	ErrTruncated = errors.New("truncated wav")
	// ErrUnsupported: a well-formed file in an encoding this package does not
	// decode (ADPCM, mu-law, 12-bit PCM, RF64, ...).
	ErrUnsupported = errors.New("unsupported wav")
	// ErrMalformed: header fields that contradict each other.
	ErrMalformed = errors.New("malformed wav")
)

// Audio is decoded audio: one slice of samples per channel, all the same
// length, nominally in [-1, 1] (float files may exceed it; nothing is clipped).
type Audio struct {
	Rate     int // samples per second per channel
	Channels [][]float32
}

// Len is the number of samples per channel.
func (a *Audio) Len() int {
	if len(a.Channels) == 0 {
		return 0
	}
	return len(a.Channels[0])
}

// Mono averages the channels into one. A mono file's samples are returned as
// they are, not copied.
func (a *Audio) Mono() []float32 {
	if len(a.Channels) == 1 {
		return a.Channels[0]
	}
	out := make([]float32, a.Len())
	inv := 1 / float64(len(a.Channels))
	for i := range out {
		var s float64
		for _, ch := range a.Channels {
			s += float64(ch[i])
		}
		out[i] = float32(s * inv)
	}
	return out
}

// Encodings of the fmt chunk's format tag (and of an extensible file's
// sub-format GUID, whose first two bytes carry the same code).
const (
	tagPCM        = 1
	tagFloat      = 3
	tagExtensible = 0xFFFE
)

// The fixed tail of the KSDATAFORMAT_SUBTYPE_* GUIDs, after the 16-bit code.
var guidTail = []byte{0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71}

// wavFormat is what the fmt chunk says, reduced to what decoding needs.
type wavFormat struct {
	tag        int // tagPCM or tagFloat after resolving extensible
	channels   int
	rate       int
	blockAlign int
	bits       int // container bits per sample
}

// ReadWAVFile reads a WAV file; see ReadWAV. Errors name the file.
func ReadWAVFile(path string) (*Audio, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read wav: %w", err)
	}
	defer f.Close()
	a, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("read wav %s: %w", path, err)
	}
	return a, nil
}

// ReadWAV decodes a RIFF/WAVE stream: PCM with 8 (unsigned), 16, 24 or 32 bits
// per sample, IEEE float with 32 or 64 bits, any number of channels, in the
// plain or the WAVE_FORMAT_EXTENSIBLE header. Signed PCM becomes v/2^(bits-1)
// and 8-bit PCM (v-128)/128, as torchaudio.load normalises them; float64 is
// rounded to float32. Chunks other than fmt and data are skipped, and so is
// anything after the data chunk. Memory use is bounded by the bytes actually
// read, whatever sizes the header declares.
func ReadWAV(r io.Reader) (*Audio, error) {
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, fmt.Errorf("%w: empty file", ErrTruncated)
		}
		return nil, headerError(err, "file header", 0)
	}
	switch string(hdr[0:4]) {
	case "RIFF":
	case "RF64", "RIFX":
		return nil, fmt.Errorf("%w: %s container", ErrUnsupported, hdr[0:4])
	default:
		return nil, fmt.Errorf("%w: starts with %q", ErrNotWAV, hdr[0:4])
	}
	if string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: RIFF form type %q", ErrNotWAV, hdr[8:12])
	}

	var format *wavFormat
	offset := int64(len(hdr))
	for {
		var ch [8]byte
		n, err := io.ReadFull(r, ch[:])
		if err == io.EOF && n == 0 {
			if format == nil {
				return nil, fmt.Errorf("%w: no fmt chunk", ErrMalformed)
			}
			return nil, fmt.Errorf("%w: no data chunk", ErrMalformed)
		}
		if err != nil {
			return nil, headerError(err, "chunk header", offset)
		}
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		offset += 8

		switch id {
		case "fmt ":
			body, err := readChunk(r, id, offset, size)
			if err != nil {
				return nil, err
			}
			if format, err = parseFormat(body); err != nil {
				return nil, err
			}
		case "data":
			if format == nil {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrMalformed)
			}
			// Streaming writers that cannot seek back leave the size at its
			// maximum: then the data runs to the end of the file.
			if size == math.MaxUint32 {
				body, err := io.ReadAll(r)
				if err != nil {
					return nil, fmt.Errorf("read data chunk at byte %d: %w", offset, err)
				}
				body = body[:len(body)/format.blockAlign*format.blockAlign]
				return decode(format, body), nil
			}
			body, err := readChunk(r, id, offset, size)
			if err != nil {
				return nil, err
			}
			if len(body)%format.blockAlign != 0 {
				return nil, fmt.Errorf("%w: data size %d is not a whole number of %d-byte frames",
					ErrMalformed, len(body), format.blockAlign)
			}
			return decode(format, body), nil
		default:
			// Skipped without keeping it: LIST or id3 chunks can be large.
			n, err := io.CopyN(io.Discard, r, size)
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("skip %q chunk at byte %d: %w", id, offset, err)
			}
			if n < size {
				return nil, fmt.Errorf("%w: %q chunk at byte %d declares %d bytes, file holds %d",
					ErrTruncated, id, offset, size, n)
			}
		}
		offset += size + size%2
		if size%2 == 1 {
			// Odd-sized chunks are followed by a pad byte. If it is missing the
			// file has ended, which the next chunk header read reports.
			var pad [1]byte
			_, _ = io.ReadFull(r, pad[:])
		}
	}
}

// headerError reports a failed fixed-size read: a short read is truncation,
// anything else an I/O error passed through.
func headerError(err error, what string, offset int64) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %s at byte %d", ErrTruncated, what, offset)
	}
	return fmt.Errorf("read %s at byte %d: %w", what, offset, err)
}

// readChunk reads a chunk body of the declared size, failing with
// ErrTruncated when the stream ends first. io.ReadAll on a LimitReader grows
// its buffer with what arrives, so a lying size cannot allocate gigabytes.
func readChunk(r io.Reader, id string, offset, size int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return nil, fmt.Errorf("read %q chunk at byte %d: %w", id, offset, err)
	}
	if int64(len(body)) < size {
		return nil, fmt.Errorf("%w: %q chunk at byte %d declares %d bytes, file holds %d",
			ErrTruncated, id, offset, size, len(body))
	}
	return body, nil
}

// parseFormat reads a fmt chunk body and checks it describes a layout that
// decode handles.
func parseFormat(b []byte) (*wavFormat, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("%w: fmt chunk of %d bytes, want at least 16", ErrMalformed, len(b))
	}
	le := binary.LittleEndian
	f := &wavFormat{
		tag:        int(le.Uint16(b[0:2])),
		channels:   int(le.Uint16(b[2:4])),
		rate:       int(le.Uint32(b[4:8])),
		blockAlign: int(le.Uint16(b[12:14])),
		bits:       int(le.Uint16(b[14:16])),
	}
	if f.tag == tagExtensible {
		if len(b) < 40 {
			return nil, fmt.Errorf("%w: extensible fmt chunk of %d bytes, want 40",
				ErrMalformed, len(b))
		}
		valid := int(le.Uint16(b[18:20]))
		if valid > f.bits {
			return nil, fmt.Errorf("%w: %d valid bits in a %d-bit container",
				ErrMalformed, valid, f.bits)
		}
		if !bytes.Equal(b[26:40], guidTail) {
			return nil, fmt.Errorf("%w: extensible sub-format GUID % x", ErrUnsupported, b[24:40])
		}
		// Valid bits below the container size are left-justified, so dividing
		// by the container's full scale already gives the right value.
		f.tag = int(le.Uint16(b[24:26]))
	}

	switch {
	case f.channels == 0:
		return nil, fmt.Errorf("%w: zero channels", ErrMalformed)
	case f.rate == 0 || f.rate > math.MaxInt32:
		return nil, fmt.Errorf("%w: sample rate %d", ErrMalformed, f.rate)
	case f.tag == tagPCM && f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32:
		return nil, fmt.Errorf("%w: %d-bit PCM (want 8, 16, 24 or 32)", ErrUnsupported, f.bits)
	case f.tag == tagFloat && f.bits != 32 && f.bits != 64:
		return nil, fmt.Errorf("%w: %d-bit float (want 32 or 64)", ErrUnsupported, f.bits)
	case f.tag != tagPCM && f.tag != tagFloat:
		return nil, fmt.Errorf("%w: format tag %#x %s (want PCM or IEEE float)",
			ErrUnsupported, f.tag, tagName(f.tag))
	case f.blockAlign != f.channels*f.bits/8:
		return nil, fmt.Errorf("%w: block align %d, want %d channels x %d bytes",
			ErrMalformed, f.blockAlign, f.channels, f.bits/8)
	}
	return f, nil
}

// tagName names the common compressed encodings, for the error message.
func tagName(tag int) string {
	switch tag {
	case 2:
		return "(MS ADPCM)"
	case 6:
		return "(A-law)"
	case 7:
		return "(mu-law)"
	case 0x11:
		return "(IMA ADPCM)"
	case 0x55:
		return "(MP3)"
	}
	return ""
}

// decode de-interleaves whole frames of body into float32 channels. The
// format switch sits outside the loops: this runs once per sample.
func decode(f *wavFormat, body []byte) *Audio {
	frames := len(body) / f.blockAlign
	a := &Audio{Rate: f.rate, Channels: make([][]float32, f.channels)}
	for c := range a.Channels {
		a.Channels[c] = make([]float32, frames)
	}
	if frames == 0 {
		return a
	}
	width := f.bits / 8
	le := binary.LittleEndian
	for c, out := range a.Channels {
		b := body[c*width:]
		step := f.blockAlign
		switch {
		case f.tag == tagFloat && width == 4:
			for i := range out {
				out[i] = math.Float32frombits(le.Uint32(b[i*step:]))
			}
		case f.tag == tagFloat:
			for i := range out {
				out[i] = float32(math.Float64frombits(le.Uint64(b[i*step:])))
			}
		case width == 1:
			for i := range out {
				out[i] = float32(int(b[i*step])-128) / (1 << 7)
			}
		case width == 2:
			for i := range out {
				out[i] = float32(int16(le.Uint16(b[i*step:]))) / (1 << 15)
			}
		case width == 3:
			for i := range out {
				s := b[i*step:]
				v := int32(uint32(s[0])<<8|uint32(s[1])<<16|uint32(s[2])<<24) >> 8
				out[i] = float32(v) / (1 << 23)
			}
		default:
			// float64 first: int32 has more digits than float32 holds, and the
			// result must be the correctly rounded quotient.
			for i := range out {
				out[i] = float32(float64(int32(le.Uint32(b[i*step:]))) / (1 << 31))
			}
		}
	}
	return a
}
