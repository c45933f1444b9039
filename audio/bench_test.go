package audio

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// benchSignal is 60 s of 48 kHz noise plus a tone: the workload of
// bench/mel.sh.
func benchSignal() []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 60*48000)
	for i := range x {
		x[i] = float32(0.3*math.Sin(2*math.Pi*440*float64(i)/48000) + 0.05*r.NormFloat64())
	}
	return x
}

// benchOptions is bench/mel.sh's setting: n_fft 1024, hop 256, 80 mels.
func benchOptions() MelOptions {
	o := DefaultMelOptions()
	o.SampleRate, o.NFFT, o.WinLength, o.HopLength, o.FMax, o.NMels = 48000, 1024, 1024, 256, 0, 80
	return o
}

func BenchmarkLogMel60s48k(b *testing.B) {
	x, o := benchSignal(), benchOptions()
	db := DefaultDBOptions()
	db.TopDB = 80
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		mel, _, _, err := MelSpectrogram(x, o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := AmplitudeToDB(mel, db); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMelFilterBank(b *testing.B) {
	o := benchOptions()
	for b.Loop() {
		if _, err := MelFilterBank(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFbank60s16k(b *testing.B) {
	x := benchSignal()[:60*16000]
	o := DefaultFbankOptions()
	o.NumMelBins = 80
	for b.Loop() {
		if _, _, _, err := Fbank(x, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResample48kTo16k60s(b *testing.B) {
	x := benchSignal()
	for b.Loop() {
		if _, err := Resample(x, 48000, 16000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadWAV60s48kStereo16(b *testing.B) {
	f := wavFile("fmt ", fmtChunk(tagPCM, 2, 48000, 16), "data", make([]byte, 60*48000*4))
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		if _, err := ReadWAV(bytes.NewReader(f)); err != nil {
			b.Fatal(err)
		}
	}
}
