// Command mel is the pipe side of bench/mel.sh: it times log-mel of a WAV
// file with package audio, in the setting bench/mel_ref.py times torchaudio
// in, and compares the two outputs.
//
//	go run ./bench/cmd/mel -wav in.wav -repeat 7 -ref torchaudio.f32
//
// It prints one line: best and median wall seconds, CPU seconds per run (all
// threads), GOMAXPROCS, and the largest difference from the reference in dB
// (-1 without -ref).
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/pipe-ml/pipe/audio"
)

func main() {
	wav := flag.String("wav", "", "input WAV file")
	repeat := flag.Int("repeat", 7, "timed repetitions after one warm-up run")
	ref := flag.String("ref", "", "torchaudio output to compare with (raw float32, 80 x frames)")
	flag.Parse()
	if err := run(*wav, *repeat, *ref); err != nil {
		fmt.Fprintln(os.Stderr, "mel:", err)
		os.Exit(1)
	}
}

func run(wav string, repeat int, ref string) error {
	a, err := audio.ReadWAVFile(wav)
	if err != nil {
		return err
	}
	x := a.Mono()
	o := audio.DefaultMelOptions()
	o.SampleRate, o.NFFT, o.WinLength, o.HopLength, o.FMax, o.NMels = a.Rate, 1024, 1024, 256, 0, 80
	db := audio.DefaultDBOptions()
	db.TopDB = 80

	logMel := func() ([]float32, error) {
		mel, _, _, err := audio.MelSpectrogram(x, o)
		if err != nil {
			return nil, err
		}
		return audio.AmplitudeToDB(mel, db)
	}
	out, err := logMel() // warm-up, as on the torchaudio side
	if err != nil {
		return err
	}
	times := make([]float64, repeat)
	cpu0, err := cpuSeconds()
	if err != nil {
		return err
	}
	for i := range times {
		start := time.Now()
		if out, err = logMel(); err != nil {
			return err
		}
		times[i] = time.Since(start).Seconds()
	}
	cpu1, err := cpuSeconds()
	if err != nil {
		return err
	}
	slices.Sort(times)

	diff := -1.0
	if ref != "" {
		if diff, err = maxDiff(out, ref); err != nil {
			return err
		}
	}
	fmt.Printf("%.6f %.6f %.6f %d %.6g\n", times[0], times[len(times)/2],
		(cpu1-cpu0)/float64(repeat), runtime.GOMAXPROCS(0), diff)
	return nil
}

// maxDiff is the largest |got - want| with want read from a raw float32 file.
func maxDiff(got []float32, path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) != 4*len(got) {
		return 0, fmt.Errorf("compare with %s: %d values, want %d", path, len(b)/4, len(got))
	}
	var worst float64
	for i, v := range got {
		w := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		worst = max(worst, math.Abs(float64(v)-float64(w)))
	}
	return worst, nil
}

// cpuSeconds is the user and system CPU time this process has used.
func cpuSeconds() (float64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime), nil
}
