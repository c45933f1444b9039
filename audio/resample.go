package audio

import (
	"fmt"
	"math"
)

// Resampling parameters: torchaudio.functional.resample's defaults.
const (
	// resampleZeroCrossings is the number of zero crossings of the sinc kept on
	// each side (lowpass_filter_width).
	resampleZeroCrossings = 6
	// resampleRolloff puts the cut-off just below the lower Nyquist frequency,
	// trading a little bandwidth for less aliasing.
	resampleRolloff = 0.99
)

// Resample converts x from rate from to rate to by band-limited
// interpolation with a Hann-windowed sinc, the method of
// torchaudio.functional.resample with its defaults (resampling_method
// "sinc_interpolation", also called sinc_interp_hann; lowpass_filter_width 6;
// rolloff 0.99). Output sample j is sum_i x[i]·h(i/from - j/to) with h a sinc
// whose cut-off is 0.99·min(from, to)/2, windowed to 6 zero crossings each
// side; samples outside x count as zero. The output has
// ceil(len(x)·to/from) samples. Equal rates return x itself.
//
// The kernel is computed as torchaudio computes it (float64, then rounded to
// float32); the convolution sums in float64 where torchaudio's is float32, so
// the two agree to about 1e-6 of the signal's amplitude.
func Resample(x []float32, from, to int) ([]float32, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("resample from %d Hz to %d Hz: rates must be positive", from, to)
	}
	if from == to {
		return x, nil
	}

	// The kernel repeats after lcm samples, so reduce the rates: each of the
	// `to` output phases gets its own filter over a window of input samples
	// that advances by `from` samples per period.
	g := gcd(from, to)
	from, to = from/g, to/g
	kernels, width := sincKernels(from, to)
	taps := len(kernels[0])

	n := len(x)
	out := make([]float32, int(math.Ceil(float64(n)*float64(to)/float64(from))))
	for j := range out {
		block, phase := j/to, j%to
		first := block*from - width // input index of the kernel's first tap
		k := kernels[phase]
		lo, hi := max(0, -first), min(taps, n-first)
		var acc float64
		for i := lo; i < hi; i++ {
			acc += k[i] * float64(x[first+i])
		}
		out[j] = float32(acc)
	}
	return out, nil
}

// sincKernels returns one filter per output phase, each of 2·width+from taps,
// and width, the number of input samples the filters reach before the block.
func sincKernels(from, to int) ([][]float64, int) {
	cutoff := float64(min(from, to)) * resampleRolloff
	width := int(math.Ceil(resampleZeroCrossings * float64(from) / cutoff))
	kernels := make([][]float64, to)
	for p := range kernels {
		k := make([]float64, 2*width+from)
		for i := range k {
			// Time from output sample p/to to input sample (i-width)/from, in
			// units of the cut-off period, clamped to the window's support.
			// The phase offset p/to is float32 in torchaudio, the rest float64.
			phase := float64(float32(-p) / float32(to))
			t := (float64(i-width)/float64(from) + phase) * cutoff
			t = math.Max(-resampleZeroCrossings, math.Min(resampleZeroCrossings, t))
			c := math.Cos(t * math.Pi / resampleZeroCrossings / 2)
			v := 1.0
			if t != 0 {
				v = math.Sin(t*math.Pi) / (t * math.Pi)
			}
			// torchaudio rounds the kernel to float32; so do we, to match it.
			k[i] = float64(float32(v * c * c * cutoff / float64(from)))
		}
		kernels[p] = k
	}
	return kernels, width
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
