// Package audio reads WAV files and computes the spectral features generative
// audio models train on, matching torchaudio 0.13 numerically.
//
// What it does:
//   - ReadWAV and ReadWAVFile decode RIFF/WAVE: PCM 8/16/24/32-bit, IEEE float
//     32/64-bit, any channel count, plain or WAVE_FORMAT_EXTENSIBLE headers,
//     to float32 in [-1, 1] as torchaudio.load normalises them.
//   - Resample converts between sample rates with torchaudio's default
//     method, a Hann-windowed sinc (sinc_interp_hann, 6 zero crossings,
//     rolloff 0.99).
//   - Spectrogram, MelFilterBank and MelSpectrogram follow
//     torchaudio.transforms.Spectrogram / MelSpectrogram: periodic Hann window
//     (zero-padded centred when shorter than n_fft), optional centring with
//     reflect or constant padding, HTK or Slaney mel scale, no or Slaney
//     normalisation, power or magnitude.
//   - AmplitudeToDB follows torchaudio.transforms.AmplitudeToDB (with top_db).
//   - Fbank computes Kaldi's log mel filter banks as
//     torchaudio.compliance.kaldi.fbank does.
//   - SpectrogramImage draws a spectrogram as a heat map in decibels, for
//     people to look at (PNG encoding is left to the caller).
//
// The FFT is gonum's (gonum.org/v1/gonum/dsp/fourier, real input). Arithmetic
// is float64 and frames are split across GOMAXPROCS goroutines; results are
// float32, row-major, in torchaudio's layout. The exact definitions, defaults
// and known traps are in ../shared/refcases/SPEC-numeric.md, part B.
//
// What it does not do: compressed WAV encodings (ADPCM, mu-law, A-law), RF64,
// other containers (FLAC, MP3, Ogg), windows other than Hann (povey for
// Fbank), complex spectrograms, inverse transforms, dither, or batching. It
// knows nothing of tensors on disk, YAML, caching or the command line: the
// stages package wraps it.
package audio
