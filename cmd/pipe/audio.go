package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/audio"
	"github.com/pipe-ml/pipe/tensor"
)

const audioUsage = `
Usage: pipe audio mel [options] WAV -o OUT.npy [--png OUT.png]

mel computes the mel spectrogram of a WAV file as torchaudio's
MelSpectrogram does, with its parameter names and defaults (n_fft 400,
hop win_length/2, 128 HTK mels without normalisation, power 2, centred
with reflect padding), and writes it as a float32 .npy array of shape
channels x n_mels x frames: what MelSpectrogram returns for the
channels x samples tensor torchaudio.load gives. With --db the values are
decibels as AmplitudeToDB gives them (10 log10 of power; 20 log10 when
--power 1), floored --top-db below the maximum if given.

The sample rate is the file's own unless --sample-rate asks to resample
first (torchaudio.functional.resample's default Hann-windowed sinc); f_max
defaults to half of it. Boolean options take their value after "=":
--center=false.

Examples:
  pipe audio mel /usr/share/sounds/alsa/Front_Center.wav -o front.npy
  pipe audio mel speech.wav --sample-rate 16000 --hop-length 160 --n-mels 80 \
      --db --top-db 80 -o logmel.npy --png logmel.png
  pipe audio mel song.wav --n-fft 2048 --hop-length 512 --mel-scale slaney \
      --norm slaney --pad-mode constant -o librosa-like.npy
`

func runAudio(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, strings.TrimLeft(audioUsage, "\n"))
		return usagef("audio takes a subcommand: mel")
	}
	switch args[0] {
	case "mel":
		return runAudioMel(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, strings.TrimLeft(audioUsage, "\n"))
		return nil
	}
	return usagef("audio %s: want mel", args[0])
}

// audioMelOptions are the flags of `pipe audio mel`.
type audioMelOptions struct {
	mel        audio.MelOptions // SampleRate: the file's, or sampleRate
	sampleRate int              // resample to this rate first; 0 keeps the file's
	db         bool
	topDB      float64
	out        string
	png        string
	wav        string
}

func runAudioMel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := audioMelOptions{mel: audio.DefaultMelOptions()}
	m := &o.mel
	fs := newFlagSet("audio mel", audioUsage, stderr)
	fs.IntVar(&m.NFFT, "n-fft", m.NFFT, "FFT size: n_fft/2+1 frequency bins")
	fs.IntVar(&m.WinLength, "win-length", 0, "Hann window length, at most n_fft (0: n_fft)")
	fs.IntVar(&m.HopLength, "hop-length", 0, "samples between frames (0: win_length / 2)")
	fs.Float64Var(&m.FMin, "f-min", m.FMin, "lowest filter edge in Hz")
	fs.Float64Var(&m.FMax, "f-max", 0, "highest filter edge in Hz (0: sample_rate // 2)")
	fs.IntVar(&m.NMels, "n-mels", m.NMels, "number of mel filters")
	fs.Float64Var(&m.Power, "power", m.Power, "exponent of |STFT|: 2 power, 1 magnitude")
	fs.BoolVar(
		&m.Center,
		"center",
		m.Center,
		"pad n_fft/2 samples on both sides (--center=false to turn off)",
	)
	fs.StringVar(&m.PadMode, "pad-mode", m.PadMode, "how --center pads: reflect or constant")
	fs.StringVar(&m.Norm, "norm", m.Norm, "filter normalisation: none or slaney")
	fs.StringVar(&m.MelScale, "mel-scale", m.MelScale, "htk or slaney")
	fs.BoolVar(&o.db, "db", false, "write decibels (AmplitudeToDB: amin 1e-10, ref 1)")
	fs.Float64Var(
		&o.topDB,
		"top-db",
		0,
		"with --db, floor values this far below the maximum (0: none)",
	)
	fs.IntVar(&o.sampleRate, "sample-rate", 0, "resample to this rate first (0: the file's rate)")
	fs.StringVar(&o.out, "o", "", "write the .npy array here")
	fs.StringVar(&o.png, "png", "", "also draw the spectrogram here as a PNG heat map")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	switch {
	case len(pos) != 1 && (slices.Contains(pos, "true") || slices.Contains(pos, "false")):
		return usagef("audio mel takes one WAV file, got %q; boolean options take "+
			"their value after '=', as in --center=false", pos)
	case len(pos) != 1:
		return usagef("audio mel takes one WAV file, got %d arguments", len(pos))
	case o.out == "":
		return usagef("audio mel needs -o OUT.npy")
	case o.sampleRate < 0:
		return usagef(
			"audio mel: --sample-rate %d: must be positive, or 0 for the file's rate",
			o.sampleRate,
		)
	case o.topDB < 0 || (o.topDB > 0 && !o.db):
		return usagef("audio mel: --top-db %g: takes a positive number, with --db", o.topDB)
	}
	o.wav = pos[0]
	return o.run(ctx, stdout)
}

func (o *audioMelOptions) run(ctx context.Context, stdout io.Writer) error {
	a, err := audio.ReadWAVFile(o.wav)
	if err != nil {
		// Missing, truncated or not a WAV file: the input is wrong.
		return invalid(err)
	}
	if a.Len() == 0 {
		return invalidf("%s: no samples", o.wav)
	}
	mel := o.mel
	mel.SampleRate = a.Rate
	if o.sampleRate > 0 {
		mel.SampleRate = o.sampleRate
	}
	if err := mel.Validate(); err != nil {
		return usagef("audio mel: %v", err)
	}

	var data []float32
	var nMels, nFrames int
	for _, ch := range a.Channels {
		if err := ctx.Err(); err != nil {
			return err
		}
		x, err := audio.Resample(ch, a.Rate, mel.SampleRate)
		if err != nil {
			return err
		}
		m, nm, nf, err := audio.MelSpectrogram(x, mel)
		if err != nil {
			return invalid(fmt.Errorf("%s: %w", o.wav, err))
		}
		data = append(data, m...)
		nMels, nFrames = nm, nf
	}
	var dbo audio.DBOptions
	if o.db {
		// The maximum for top_db is over all channels, as AmplitudeToDB
		// takes it over a whole channels x n_mels x frames tensor.
		dbo = audio.DefaultDBOptions()
		dbo.Magnitude = mel.Power == 1
		dbo.TopDB = o.topDB
		if data, err = audio.AmplitudeToDB(data, dbo); err != nil {
			return err
		}
	}

	chans := len(a.Channels)
	if err := tensor.WriteNPYFile(o.out, tensor.FromFloat32(data, chans, nMels, nFrames)); err != nil {
		return err
	}
	if o.png != "" {
		img, err := audio.SpectrogramImage(data, chans, nMels, nFrames, audio.ImageOptions{
			Decibels: o.db, Magnitude: mel.Power == 1, RangeDB: dbo.TopDB})
		if err != nil {
			return err
		}
		if err := writeSpectrogramPNG(o.png, img); err != nil {
			return err
		}
	}
	unit := "power"
	switch {
	case o.db:
		unit = "dB"
	case mel.Power == 1:
		unit = "magnitude"
	}
	fmt.Fprintf(
		stdout,
		"%s: %d x %d x %d float32 mel %s of %s (%d Hz, %.2f s)\n",
		o.out,
		chans,
		nMels,
		nFrames,
		unit,
		filepath.Base(o.wav),
		mel.SampleRate,
		float64(a.Len())/float64(a.Rate),
	)
	return nil
}

// writeSpectrogramPNG encodes img to path, removing a half-written file
// on failure.
func writeSpectrogramPNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = png.Encode(f, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
