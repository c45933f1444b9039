package audio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadWAV feeds ReadWAV arbitrary bytes, seeded with every committed WAV
// fixture and some cut and corrupted variants. It must never panic, must
// fail only with one of its four error kinds, and what it accepts must be
// consistent: at least one channel, equal lengths, a positive rate, and no
// more samples than the input has bytes (so a lying header cannot make it
// allocate more than the file justifies).
func FuzzReadWAV(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/wav/*.wav")
	seeds = append(seeds, "testdata/refcases/chirp_16k.wav")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:min(len(b), 40)])
	}
	f.Add(wavFile("fmt ", extChunk(1, 2, 8000, 32, 24, guidTail), "data", make([]byte, 16)))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"))

	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadWAV(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrTruncated) &&
				!errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("ReadWAV error of no known kind: %v", err)
			}
			return
		}
		if len(a.Channels) == 0 || a.Rate <= 0 {
			t.Fatalf("accepted %d channels at %d Hz", len(a.Channels), a.Rate)
		}
		for c, ch := range a.Channels {
			if len(ch) != a.Len() {
				t.Fatalf("channel %d has %d samples, channel 0 has %d", c, len(ch), a.Len())
			}
		}
		if a.Len()*len(a.Channels) > len(b) {
			t.Fatalf("%d x %d samples from %d bytes", len(a.Channels), a.Len(), len(b))
		}
	})
}
