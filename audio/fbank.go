package audio

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// float32Epsilon is Kaldi's log floor (FLT_EPSILON, torch.finfo(float32).eps).
const float32Epsilon = 1.1920928955078125e-07

// Fbank computes Kaldi's log mel filter-bank features of x as
// torchaudio.compliance.kaldi.fbank does with dither 0: per frame, remove the
// mean, pre-emphasise, apply the povey window (symmetric Hann to the power
// 0.85), zero-pad to a power of two, take the power spectrum and apply
// triangles that are linear on the mel scale 1127·ln(1+f/700).
//
// The result is time-major, unlike MelSpectrogram: nFrames rows of nBins
// values (data[t*nBins+m]). Kaldi expects int16-scale samples; see
// DefaultFbankOptions.
func Fbank(x []float32, o FbankOptions) (data []float32, nFrames, nBins int, err error) {
	if err := o.Validate(); err != nil {
		return nil, 0, 0, err
	}
	size := int(o.SampleRate * o.FrameLengthMs / 1000)
	shift := int(o.SampleRate * o.FrameShiftMs / 1000)
	padded := size
	if o.RoundToPowerOfTwo {
		padded = nextPowerOfTwo(size)
	}

	// Frame t covers samples [t·shift - pad, t·shift - pad + size); without
	// SnipEdges the signal is mirrored at both ends, repeating the edge sample.
	n := len(x)
	pad := 0
	if o.SnipEdges {
		if n < size {
			return nil, 0, 0, fmt.Errorf("fbank: signal of %d samples is shorter than one %d-sample frame",
				n, size)
		}
		nFrames = 1 + (n-size)/shift
	} else {
		if n == 0 {
			return nil, 0, 0, fmt.Errorf("fbank: empty signal")
		}
		nFrames = (n + shift/2) / shift
		pad = size/2 - shift/2
	}
	sample := func(i int) float64 {
		j := i - pad
		switch {
		case j < 0:
			j = -j - 1
		case j >= n:
			j = 2*n - 1 - j
		}
		return float64(x[min(max(j, 0), n-1)])
	}

	fb := kaldiMelBanks(o, padded)
	window := poveyWindow(size)
	nBins = o.NumMelBins
	data = make([]float32, nFrames*nBins)
	parallelFrames(nFrames, func(t0, t1 int) {
		fft := fourier.NewFFT(padded)
		seq := make([]float64, padded)
		coef := make([]complex128, padded/2+1)
		spec := make([]float64, padded/2+1)
		frame := seq[:size]
		for t := t0; t < t1; t++ {
			for i := range frame {
				frame[i] = sample(t*shift + i)
			}
			kaldiPrepare(frame, window, o)
			coef = fft.Coefficients(coef, seq)
			for k, c := range coef {
				spec[k] = real(c)*real(c) + imag(c)*imag(c)
				if !o.UsePower {
					spec[k] = math.Sqrt(spec[k])
				}
			}
			row := data[t*nBins : (t+1)*nBins]
			fb.apply(row, 1, spec)
			if o.UseLogFbank {
				for m, v := range row {
					row[m] = float32(math.Log(math.Max(float64(v), float32Epsilon)))
				}
			}
		}
	})
	return data, nFrames, nBins, nil
}

// kaldiPrepare removes the DC offset, pre-emphasises and windows one frame in
// place, in Kaldi's order.
func kaldiPrepare(frame, window []float64, o FbankOptions) {
	if o.RemoveDCOffset {
		var sum float64
		for _, v := range frame {
			sum += v
		}
		mean := sum / float64(len(frame))
		for i := range frame {
			frame[i] -= mean
		}
	}
	if k := o.PreemphasisCoefficient; k != 0 {
		// Backwards, so each step still sees the unmodified previous sample;
		// the first sample is its own predecessor.
		for i := len(frame) - 1; i > 0; i-- {
			frame[i] -= k * frame[i-1]
		}
		frame[0] -= k * frame[0]
	}
	for i, w := range window {
		frame[i] *= w
	}
}

// poveyWindow is Kaldi's default window: a symmetric Hann window (zero at both
// ends) raised to the power 0.85.
func poveyWindow(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = math.Pow(0.5-0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)), 0.85)
	}
	return w
}

// kaldiMelBanks builds Kaldi's filters for a padded frame length: NumMelBins
// triangles linear in mel, over the bins below Nyquist (the Nyquist bin
// itself gets weight 0), without normalisation.
func kaldiMelBanks(o FbankOptions, padded int) *FilterBank {
	nyquist := o.SampleRate / 2
	high := o.HighFreq
	if high <= 0 {
		high += nyquist
	}
	mel := func(f float64) float64 { return 1127 * math.Log(1+f/700) }
	lo := mel(o.LowFreq)
	delta := (mel(high) - lo) / float64(o.NumMelBins+1)
	binWidth := o.SampleRate / float64(padded)
	weight := func(m, k int) float64 {
		if k == padded/2 {
			return 0
		}
		left := lo + float64(m)*delta
		center, right := left+delta, left+2*delta
		f := mel(binWidth * float64(k))
		up := (f - left) / (center - left)
		down := (right - f) / (right - center)
		return math.Max(0, math.Min(up, down))
	}
	return newFilterBank(padded/2+1, o.NumMelBins, weight)
}

func nextPowerOfTwo(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}
