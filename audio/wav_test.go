package audio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadWAVFormats decodes every fixture of testdata/wav (made by
// testdata/gen_wav.py) and requires the expected samples bit for bit.
func TestReadWAVFormats(t *testing.T) {
	sidecars, _ := filepath.Glob("testdata/wav/*.json")
	if len(sidecars) < 10 {
		t.Fatalf("found %d WAV fixtures, want the committed ones", len(sidecars))
	}
	for _, side := range sidecars {
		name := strings.TrimSuffix(filepath.Base(side), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(side)
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Rate     int         `json:"rate"`
				Channels [][]float64 `json:"channels"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			a, err := ReadWAVFile(strings.TrimSuffix(side, ".json") + ".wav")
			if err != nil {
				t.Fatal(err)
			}
			if a.Rate != want.Rate || len(a.Channels) != len(want.Channels) {
				t.Fatalf("rate %d, %d channels; want %d, %d",
					a.Rate, len(a.Channels), want.Rate, len(want.Channels))
			}
			for c, ch := range want.Channels {
				if len(a.Channels[c]) != len(ch) {
					t.Fatalf("channel %d: %d samples, want %d", c, len(a.Channels[c]), len(ch))
				}
				for i, v := range ch {
					if got := a.Channels[c][i]; got != float32(v) {
						t.Errorf("channel %d sample %d = %g, want %g", c, i, got, v)
					}
				}
			}
		})
	}
}

// wavFile assembles a RIFF/WAVE file from chunks (id, body); odd bodies get
// their pad byte.
func wavFile(chunks ...any) []byte {
	var body bytes.Buffer
	body.WriteString("WAVE")
	for i := 0; i < len(chunks); i += 2 {
		id, data := chunks[i].(string), chunks[i+1].([]byte)
		body.WriteString(id)
		binary.Write(&body, binary.LittleEndian, uint32(len(data)))
		body.Write(data)
		if len(data)%2 == 1 {
			body.WriteByte(0)
		}
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

// fmtChunk is a plain 16-byte fmt body.
func fmtChunk(tag, channels, rate, bits int) []byte {
	b := make([]byte, 16)
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(tag))
	le.PutUint16(b[2:], uint16(channels))
	le.PutUint32(b[4:], uint32(rate))
	le.PutUint32(b[8:], uint32(rate*channels*bits/8))
	le.PutUint16(b[12:], uint16(channels*bits/8))
	le.PutUint16(b[14:], uint16(bits))
	return b
}

// extChunk is a 40-byte WAVE_FORMAT_EXTENSIBLE fmt body.
func extChunk(sub, channels, rate, bits, valid int, guidTail []byte) []byte {
	b := append(fmtChunk(tagExtensible, channels, rate, bits), make([]byte, 24)...)
	le := binary.LittleEndian
	le.PutUint16(b[16:], 22)
	le.PutUint16(b[18:], uint16(valid))
	le.PutUint16(b[24:], uint16(sub))
	copy(b[26:], guidTail)
	return b
}

func TestReadWAVErrors(t *testing.T) {
	pcm := fmtChunk(tagPCM, 2, 16000, 16)
	data := make([]byte, 40) // 10 stereo frames
	good := wavFile("fmt ", pcm, "data", data)
	badBlock := fmtChunk(tagPCM, 2, 16000, 16)
	binary.LittleEndian.PutUint16(badBlock[12:], 3)
	badGUID := append([]byte{}, guidTail...)
	badGUID[0] = 1

	tests := []struct {
		name string
		in   []byte
		want error
		msg  string // part of the message
	}{
		{"empty", nil, ErrTruncated, "empty file"},
		{"short header", good[:7], ErrTruncated, "file header at byte 0"},
		{"cut in list", wavFile("fmt ", pcm, "LIST", make([]byte, 100))[:60], ErrTruncated,
			`"LIST" chunk at byte 44 declares 100 bytes, file holds 16`},
		{"not riff", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00"), ErrNotWAV, `"OggS"`},
		{"riff but avi", append([]byte("RIFF\x04\x00\x00\x00AVI "), good[12:]...), ErrNotWAV, "AVI"},
		{"big endian rifx", append([]byte("RIFX"), good[4:]...), ErrUnsupported, "RIFX"},
		{"rf64", append([]byte("RF64"), good[4:]...), ErrUnsupported, "RF64"},
		{"cut in chunk header", good[:16], ErrTruncated, "chunk header at byte 12"},
		{
			"cut in fmt",
			good[:30],
			ErrTruncated,
			`"fmt " chunk at byte 20 declares 16 bytes, file holds 10`,
		},
		{
			"cut in data",
			good[:len(good)-5],
			ErrTruncated,
			`"data" chunk at byte 44 declares 40 bytes, file holds 35`,
		},
		{"no data", wavFile("fmt ", pcm), ErrMalformed, "no data chunk"},
		{"no fmt", wavFile("LIST", []byte("INFO")), ErrMalformed, "no fmt chunk"},
		{"data first", wavFile("data", data, "fmt ", pcm), ErrMalformed, "before fmt"},
		{"short fmt", wavFile("fmt ", pcm[:14], "data", data), ErrMalformed, "fmt chunk of 14 bytes"},
		{"ms adpcm", wavFile("fmt ", fmtChunk(2, 1, 8000, 4), "data", data), ErrUnsupported, "MS ADPCM"},
		{"mu-law", wavFile("fmt ", fmtChunk(7, 1, 8000, 8), "data", data), ErrUnsupported, "mu-law"},
		{
			"12-bit pcm",
			wavFile("fmt ", fmtChunk(tagPCM, 1, 8000, 12), "data", data),
			ErrUnsupported,
			"12-bit PCM",
		},
		{
			"16-bit float",
			wavFile("fmt ", fmtChunk(tagFloat, 1, 8000, 16), "data", data),
			ErrUnsupported,
			"16-bit float",
		},
		{
			"zero channels",
			wavFile("fmt ", fmtChunk(tagPCM, 0, 8000, 16), "data", data),
			ErrMalformed,
			"zero channels",
		},
		{
			"zero rate",
			wavFile("fmt ", fmtChunk(tagPCM, 1, 0, 16), "data", data),
			ErrMalformed,
			"sample rate 0",
		},
		{"block align", wavFile("fmt ", badBlock, "data", data), ErrMalformed, "block align 3"},
		{"partial frame", wavFile("fmt ", pcm, "data", data[:38]), ErrMalformed, "not a whole number"},
		{"extensible short", wavFile("fmt ", extChunk(1, 1, 8000, 16, 16, guidTail)[:18], "data", data),
			ErrMalformed, "extensible fmt chunk of 18 bytes"},
		{"extensible guid", wavFile("fmt ", extChunk(1, 1, 8000, 16, 16, badGUID), "data", data),
			ErrUnsupported, "sub-format GUID"},
		{"extensible valid bits", wavFile("fmt ", extChunk(1, 1, 8000, 16, 20, guidTail), "data", data),
			ErrMalformed, "20 valid bits in a 16-bit container"},
		{"extensible adpcm", wavFile("fmt ", extChunk(2, 1, 8000, 16, 16, guidTail), "data", data),
			ErrUnsupported, "MS ADPCM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ReadWAV(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("ReadWAV = %v, %v; want %v containing %q", a, err, tt.want, tt.msg)
			}
		})
	}
}

func TestReadWAVPassesIOErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	good := wavFile("fmt ", fmtChunk(tagPCM, 1, 8000, 16), "data", make([]byte, 8))
	for _, cut := range []int{0, 6, 12, 30, 46} {
		r := io.MultiReader(bytes.NewReader(good[:cut]), iotest.ErrReader(boom))
		if _, err := ReadWAV(r); !errors.Is(err, boom) || errors.Is(err, ErrTruncated) {
			t.Errorf("ReadWAV failing after %d bytes = %v, want the I/O error itself", cut, err)
		}
	}
}

// An empty data chunk is valid: zero frames in every channel. (Found by
// FuzzReadWAV: with several channels, decode used to slice past the end.)
func TestReadWAVEmptyData(t *testing.T) {
	a, err := ReadWAV(
		bytes.NewReader(wavFile("fmt ", fmtChunk(tagPCM, 2, 8000, 32), "data", []byte{})),
	)
	if err != nil || len(a.Channels) != 2 || a.Len() != 0 {
		t.Fatalf("ReadWAV(empty data) = %+v, %v; want 2 empty channels", a, err)
	}
}

func TestReadWAVStreamingSize(t *testing.T) {
	// A writer that could not seek back leaves the data size at 0xFFFFFFFF:
	// read to the end of the file, dropping a trailing partial frame.
	f := wavFile("fmt ", fmtChunk(tagPCM, 1, 8000, 16), "data", []byte{0, 0x40, 0, 0xc0, 7})
	binary.LittleEndian.PutUint32(f[40:], math.MaxUint32)
	a, err := ReadWAV(bytes.NewReader(f[:len(f)-1])) // without the pad byte
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Channels[0]; len(got) != 2 || got[0] != 0.5 || got[1] != -0.5 {
		t.Fatalf("samples = %v, want [0.5 -0.5]", got)
	}
}

func TestReadWAVFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.wav")
	if err := os.WriteFile(path, []byte("RIFF"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadWAVFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrTruncated) {
		t.Fatalf("ReadWAVFile(%q) = %v, want a truncation error naming the file", path, err)
	}
	if _, err := ReadWAVFile(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadWAVFile(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestMono(t *testing.T) {
	a := &Audio{Rate: 8000, Channels: [][]float32{{1, 0.5, -1}, {0, 0.5, 0}}}
	got := a.Mono()
	want := []float32{0.5, 0.5, -0.5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Mono() = %v, want %v", got, want)
		}
	}
	if a.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", a.Len())
	}
}
