package audio

import (
	"errors"
	"fmt"
	"strings"
)

// MelOptions configures Spectrogram and MelSpectrogram. The fields mirror the
// arguments of torchaudio.transforms.MelSpectrogram; the window is always a
// periodic Hann window (torch.hann_window), the only one torchaudio and
// librosa use by default.
type MelOptions struct {
	SampleRate int // Hz of the input signal
	NFFT       int // FFT size; the spectrogram has NFFT/2+1 frequency bins
	// WinLength is the Hann window length, at most NFFT; a shorter window is
	// zero-padded centred in the frame, as torch.stft does. 0 means NFFT.
	WinLength int
	// HopLength is the number of samples between frame starts. 0 means
	// WinLength/2, torchaudio's default.
	HopLength int
	// FMin and FMax bound the mel filter bank in Hz. FMax 0 means
	// SampleRate/2 with integer division, as torchaudio's f_max=None.
	FMin, FMax float64
	NMels      int
	// Power is the exponent applied to |STFT|: 2 gives power, 1 magnitude.
	Power float64
	// Center pads NFFT/2 samples on both sides so that frame t is centred on
	// sample t*HopLength; without it, trailing samples that do not fill a
	// frame are dropped.
	Center bool
	// PadMode is how Center pads: "reflect" (mirror without repeating the edge
	// sample; torchaudio's default) or "constant" (zeros; librosa >= 0.10).
	PadMode string
	// Norm is the filter normalisation: "none" (or "") keeps peaks at 1,
	// "slaney" scales each triangle to unit area (2 / bandwidth in Hz).
	Norm string
	// MelScale is "htk" (2595·log10(1+f/700)) or "slaney" (linear below
	// 1 kHz, logarithmic above: librosa's default).
	MelScale string
}

// DefaultMelOptions returns torchaudio.transforms.MelSpectrogram's defaults:
// 16 kHz, n_fft 400, hop 200, 128 HTK mels without normalisation over
// 0-8000 Hz, power, centred with reflect padding.
func DefaultMelOptions() MelOptions {
	return MelOptions{
		SampleRate: 16000,
		NFFT:       400,
		WinLength:  400,
		HopLength:  200,
		FMin:       0,
		FMax:       8000,
		NMels:      128,
		Power:      2,
		Center:     true,
		PadMode:    "reflect",
		Norm:       "none",
		MelScale:   "htk",
	}
}

// resolved fills the zero-means-default fields.
func (o MelOptions) resolved() MelOptions {
	if o.WinLength == 0 {
		o.WinLength = o.NFFT
	}
	if o.HopLength == 0 {
		o.HopLength = o.WinLength / 2
	}
	if o.FMax == 0 {
		o.FMax = float64(o.SampleRate / 2)
	}
	if o.Norm == "" {
		o.Norm = "none"
	}
	return o
}

// Validate reports every invalid field at once, in field order.
func (o MelOptions) Validate() error {
	return o.validate(true)
}

// validate checks the STFT fields, and the filter bank fields if mel is set.
func (o MelOptions) validate(mel bool) error {
	r := o.resolved()
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	if o.SampleRate <= 0 && mel {
		add("sample rate %d: must be positive", o.SampleRate)
	}
	if o.NFFT <= 0 {
		add("n_fft %d: must be positive", o.NFFT)
	}
	if o.WinLength < 0 || r.WinLength > o.NFFT {
		add("win_length %d: must be between 1 and n_fft (%d), or 0 for n_fft", o.WinLength, o.NFFT)
	}
	if o.HopLength < 0 || r.HopLength == 0 {
		add("hop_length %d: must be positive (0 means win_length/2, here %d)",
			o.HopLength, r.WinLength/2)
	}
	if o.Power <= 0 {
		add("power %g: must be positive (2 power, 1 magnitude)", o.Power)
	}
	if o.PadMode != "reflect" && o.PadMode != "constant" && (o.Center || o.PadMode != "") {
		add("pad mode %q: want reflect or constant", o.PadMode)
	}
	if mel {
		if o.FMin < 0 {
			add("f_min %g: must not be negative", o.FMin)
		}
		if o.FMax < 0 || r.FMax <= o.FMin {
			add("f_max %g: must exceed f_min (%g); 0 means sample_rate/2", o.FMax, o.FMin)
		}
		if o.NMels <= 0 {
			add("n_mels %d: must be positive", o.NMels)
		}
		if r.Norm != "none" && r.Norm != "slaney" {
			add("norm %q: want none or slaney", o.Norm)
		}
		if o.MelScale != "htk" && o.MelScale != "slaney" {
			add("mel scale %q: want htk or slaney", o.MelScale)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New("invalid mel options: " + strings.Join(bad, "; "))
}

// FbankOptions configures Fbank, Kaldi's filter-bank features as
// torchaudio.compliance.kaldi.fbank computes them. Only the options that change
// the result without randomness are offered: no dither, no energy term, no
// VTLN warping, and the window is always Kaldi's "povey" window.
type FbankOptions struct {
	SampleRate    float64 // Hz (sample_frequency)
	FrameLengthMs float64 // frame length in milliseconds
	FrameShiftMs  float64 // frame shift in milliseconds
	NumMelBins    int
	LowFreq       float64 // Hz
	// HighFreq is the upper edge in Hz; 0 or negative means Nyquist plus
	// HighFreq, as in Kaldi.
	HighFreq float64
	// PreemphasisCoefficient k: y[n] = x[n] - k·x[n-1] within each frame.
	PreemphasisCoefficient float64
	RemoveDCOffset         bool // subtract each frame's mean first
	RoundToPowerOfTwo      bool // zero-pad frames to the next power of two
	// SnipEdges keeps only whole frames inside the signal; without it the
	// signal is mirrored at both ends and there are round(N/shift) frames.
	SnipEdges   bool
	UsePower    bool // power spectrum; otherwise magnitude
	UseLogFbank bool // ln(max(E, float32 epsilon)); otherwise the energies
}

// DefaultFbankOptions returns Kaldi's (and torchaudio's) defaults: 16 kHz,
// 25 ms frames every 10 ms, 23 bins from 20 Hz to Nyquist, pre-emphasis 0.97.
// Kaldi works on int16-scale samples: multiply ReadWAV's output by 32768 to
// get Kaldi's numbers (the log energies move by 2·ln 32768 otherwise).
func DefaultFbankOptions() FbankOptions {
	return FbankOptions{
		SampleRate:             16000,
		FrameLengthMs:          25,
		FrameShiftMs:           10,
		NumMelBins:             23,
		LowFreq:                20,
		HighFreq:               0,
		PreemphasisCoefficient: 0.97,
		RemoveDCOffset:         true,
		RoundToPowerOfTwo:      true,
		SnipEdges:              true,
		UsePower:               true,
		UseLogFbank:            true,
	}
}

// Validate reports every invalid field at once, in field order.
func (o FbankOptions) Validate() error {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	nyquist := o.SampleRate / 2
	high := o.HighFreq
	if high <= 0 {
		high += nyquist
	}

	if o.SampleRate <= 0 {
		add("sample rate %g: must be positive", o.SampleRate)
	}
	if size := int(o.SampleRate * o.FrameLengthMs / 1000); size < 2 {
		add("frame length %g ms: %d samples, need at least 2", o.FrameLengthMs, size)
	}
	if shift := int(o.SampleRate * o.FrameShiftMs / 1000); shift < 1 {
		add("frame shift %g ms: %d samples, need at least 1", o.FrameShiftMs, shift)
	}
	if o.NumMelBins < 3 {
		add("num mel bins %d: need at least 3", o.NumMelBins)
	}
	if o.LowFreq < 0 || o.LowFreq >= nyquist {
		add("low freq %g: must be in [0, nyquist %g)", o.LowFreq, nyquist)
	}
	if high <= o.LowFreq || high > nyquist {
		add("high freq %g: resolves to %g, must be in (low freq, nyquist %g]",
			o.HighFreq, high, nyquist)
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New("invalid fbank options: " + strings.Join(bad, "; "))
}
