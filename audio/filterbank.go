package audio

import "math"

// FilterBank is a set of triangular filters over the bins of a one-sided
// spectrum, stored sparsely: each filter is non-zero over a small band only,
// so applying the bank costs about two multiplications per bin instead of
// NMels per bin.
type FilterBank struct {
	NFreqs, NMels int
	start         []int       // first bin of each filter's non-zero band
	weights       [][]float64 // the band's weights; empty for an empty filter
}

// MelFilterBank builds the filters torchaudio.functional.melscale_fbanks
// builds for o: NMels triangles whose corners are equally spaced on the mel
// scale between FMin and FMax, linear in Hz between the corners, over the
// NFFT/2+1 bins at frequencies linspace(0, SampleRate/2, NFFT/2+1). A filter
// narrower than a bin can come out all zero; like torchaudio (and librosa) it
// is kept, and its output row is zero.
//
// The weights are computed in float32 in torchaudio's order of operations
// (see torchLinspace), so they are torchaudio's weights to within an ulp
// rather than more exact ones. This matters: a triangle's edge is a
// difference of nearby frequencies, so float32 moves edge weights by up to
// 1e-5 of the peak, and a mel bin dominated by a loud bin at the edge of its
// triangle moves by as much as 2e-3 dB. Exact float64 weights would miss
// torchaudio's dB outputs by more than issue 6 allows.
func MelFilterBank(o MelOptions) (*FilterBank, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.resolved()
	nFreqs := o.NFFT/2 + 1

	toMel, toHz := hzToMelHTK, melToHzHTK
	if o.MelScale == "slaney" {
		toMel, toHz = hzToMelSlaney, melToHzSlaney
	}
	// The corner mels are float64 (Python floats), everything after float32.
	corners := torchLinspace(toMel(o.FMin), toMel(o.FMax), o.NMels+2)
	for i, m := range corners {
		corners[i] = toHz(m)
	}
	freqs := torchLinspace(0, float64(o.SampleRate/2), nFreqs) // integer division, as torchaudio
	weight := func(m, k int) float64 {
		down := -(corners[m] - freqs[k]) / (corners[m+1] - corners[m])
		up := (corners[m+2] - freqs[k]) / (corners[m+2] - corners[m+1])
		w := max(0, min(down, up))
		if o.Norm == "slaney" {
			w *= 2 / (corners[m+2] - corners[m])
		}
		return float64(w)
	}
	return newFilterBank(nFreqs, o.NMels, weight), nil
}

// newFilterBank evaluates weight(m, k) over every filter m and bin k and keeps
// each filter's non-zero band.
func newFilterBank(nFreqs, nMels int, weight func(m, k int) float64) *FilterBank {
	fb := &FilterBank{
		NFreqs:  nFreqs,
		NMels:   nMels,
		start:   make([]int, nMels),
		weights: make([][]float64, nMels),
	}
	row := make([]float64, nFreqs)
	for m := 0; m < nMels; m++ {
		first, last := -1, -1
		for k := range row {
			row[k] = weight(m, k)
			if row[k] != 0 {
				if first < 0 {
					first = k
				}
				last = k
			}
		}
		if first < 0 {
			continue
		}
		fb.start[m] = first
		fb.weights[m] = append([]float64(nil), row[first:last+1]...)
	}
	return fb
}

// Dense returns the filters as an NFreqs x NMels row-major matrix, the layout
// of torchaudio.functional.melscale_fbanks: mel[m] = sum_k fb[k][m]·spec[k].
func (fb *FilterBank) Dense() []float64 {
	out := make([]float64, fb.NFreqs*fb.NMels)
	for m, w := range fb.weights {
		for j, v := range w {
			out[(fb.start[m]+j)*fb.NMels+m] = v
		}
	}
	return out
}

// apply writes filter m's response to spec at dst[m*stride].
func (fb *FilterBank) apply(dst []float32, stride int, spec []float64) {
	for m, w := range fb.weights {
		s := spec[fb.start[m] : fb.start[m]+len(w)]
		var acc float64
		for j, v := range w {
			acc += v * s[j]
		}
		dst[m*stride] = float32(acc)
	}
}

// torchLinspace is torch.linspace(start, end, steps) in float32 as torch
// 1.13 computes it on x86 with AVX2: the first half counts up from start, the
// second half down from end; in blocks of 8 the block's first value is a fused
// multiply-add and the rest add k·step to it, unfused; the tail after the last
// 16 values is fused. (Found by matching torch bit for bit on 250 grids.)
func torchLinspace(start, end float64, steps int) []float32 {
	out := make([]float32, steps)
	s, e := float32(start), float32(end)
	if steps == 1 {
		out[0] = s
		return out
	}
	step := (e - s) / float32(steps-1)
	fma := func(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }
	at := func(i int) float32 {
		if i < steps/2 {
			return fma(step, float32(i), s)
		}
		return fma(-step, float32(steps-i-1), e)
	}
	blocks := steps / 16 * 16
	for b := 0; b < blocks; b += 8 {
		base := at(b)
		for k := 0; k < 8; k++ {
			out[b+k] = base + float32(float32(k)*step)
		}
	}
	for i := blocks; i < steps; i++ {
		out[i] = at(i)
	}
	return out
}

// The mel scales. Hz to mel works on Python floats (float64) in torchaudio,
// mel to Hz on float32 tensors; each is written with the same operations.

func hzToMelHTK(f float64) float64 { return 2595 * math.Log10(1+f/700) }

func melToHzHTK(m float32) float32 {
	return 700 * (float32(math.Pow(10, float64(m/2595))) - 1)
}

// Slaney's Auditory Toolbox scale: 3 mels per 200 Hz up to 1 kHz (15 mels),
// then 27 mels per factor of 6.4 in frequency. Variables, not constants, so
// that Go rounds them as Python does.
var (
	slaneyHzPerMel = 200.0 / float64(3)
	slaneyBreakHz  = 1000.0
	slaneyBreakMel = slaneyBreakHz / slaneyHzPerMel
	slaneyLogStep  = math.Log(6.4) / 27
)

func hzToMelSlaney(f float64) float64 {
	if f < slaneyBreakHz {
		return f / slaneyHzPerMel
	}
	return slaneyBreakMel + math.Log(f/slaneyBreakHz)/slaneyLogStep
}

func melToHzSlaney(m float32) float32 {
	if m < float32(slaneyBreakMel) {
		return float32(slaneyHzPerMel) * m
	}
	x := float32(slaneyLogStep) * (m - float32(slaneyBreakMel))
	return float32(slaneyBreakHz) * float32(math.Exp(float64(x)))
}
