package audio

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// stft holds what every frame of a short-time Fourier transform shares.
// Frames are independent, so workers each take a contiguous run of frames
// with their own FFT and buffers (a fourier.FFT is not safe for concurrent use).
type stft struct {
	x       []float32
	nfft    int
	hop     int
	pad     int       // samples of padding before x (NFFT/2 when centred)
	reflect bool      // mirror padding; zeros otherwise
	window  []float64 // periodic Hann, WinLength long
	winOff  int       // where the window starts inside the NFFT frame
	power   float64
	nFrames int
}

// newSTFT checks the STFT fields of o against x and prepares the transform.
func newSTFT(x []float32, o MelOptions) (*stft, error) {
	if err := o.validate(false); err != nil {
		return nil, err
	}
	o = o.resolved()
	s := &stft{
		x:      x,
		nfft:   o.NFFT,
		hop:    o.HopLength,
		window: hann(o.WinLength),
		winOff: (o.NFFT - o.WinLength) / 2,
		power:  o.Power,
	}
	n := len(x)
	if o.Center {
		s.pad = o.NFFT / 2
		s.reflect = o.PadMode == "reflect"
		// Mirroring needs a sample to mirror: torch refuses the same inputs.
		if s.reflect && s.pad >= n {
			return nil, fmt.Errorf(
				"stft: reflect padding of %d samples needs a signal longer than %d samples",
				s.pad,
				n,
			)
		}
	}
	// Frames start every hop samples in the padded signal and must fit in it
	// (for an odd n_fft, centring gives one frame less than 1 + n/hop).
	if n == 0 || n+2*s.pad < o.NFFT {
		return nil, fmt.Errorf("stft: signal of %d samples is shorter than n_fft %d", n, o.NFFT)
	}
	s.nFrames = 1 + (n+2*s.pad-o.NFFT)/o.HopLength
	return s, nil
}

// hann is the periodic Hann window torch.hann_window(n) returns: float32,
// computed as 0.5 - 0.5·cos(i·(2π/n)) with each step rounded to float32. The
// rounding is kept on purpose; see MelFilterBank for why float32 details show
// in dB outputs.
func hann(n int) []float64 {
	w := make([]float64, n)
	step := float32(2 * math.Pi / float64(n))
	for i := range w {
		c := float32(math.Cos(float64(float32(i) * step)))
		w[i] = float64(float32(c*-0.5) + 0.5)
	}
	return w
}

// stftWorker is one goroutine's FFT and buffers. With a power-of-two n_fft
// it transforms two real frames at once as the real and imaginary parts of
// one complex sequence, with gonum's radix-4 or radix-2 FFT, which is about
// three times as fast per frame as gonum's real FFT (FFTPACK) at n_fft 1024.
// Other sizes use the real FFT, one frame at a time.
type stftWorker struct {
	pair    func([]complex128) []complex128 // in-place complex FFT, or nil
	z       []complex128                    // two packed frames
	fft     *fourier.FFT                    // real FFT when pair is nil
	seq     []float64                       // one windowed frame, zero outside the window
	coef    []complex128
	spec    [2][]float64 // |X|^power of the frames, NFFT/2+1 bins each
	scratch []float64    // window span of the second frame
}

func (s *stft) newWorker() *stftWorker {
	nb := s.nfft/2 + 1
	w := &stftWorker{spec: [2][]float64{make([]float64, nb), make([]float64, nb)}}
	switch {
	case s.nfft >= 4 && bits.OnesCount(uint(s.nfft)) == 1 && bits.TrailingZeros(uint(s.nfft))%2 == 0:
		w.pair = fourier.CoefficientsRadix4
	case s.nfft >= 4 && bits.OnesCount(uint(s.nfft)) == 1:
		w.pair = fourier.CoefficientsRadix2
	}
	if w.pair != nil {
		w.z = make([]complex128, s.nfft)
		w.seq = make([]float64, len(s.window))
		w.scratch = make([]float64, len(s.window))
		return w
	}
	w.fft = fourier.NewFFT(s.nfft)
	w.seq = make([]float64, s.nfft)
	w.coef = make([]complex128, nb)
	return w
}

// frames computes |X[k]|^power of frame t, and of frame t+1 when second is
// set, into w.spec[0] and w.spec[1].
func (s *stft) frames(w *stftWorker, t int, second bool) {
	if w.pair == nil {
		s.windowed(w.seq[s.winOff:s.winOff+len(s.window)], t)
		w.coef = w.fft.Coefficients(w.coef, w.seq)
		for k, c := range w.coef {
			w.spec[0][k] = real(c)*real(c) + imag(c)*imag(c)
		}
		s.applyPower(w.spec[0])
		return
	}

	// z = a + i·b, so Z[k] = A[k] + i·B[k] and, a and b being real,
	// A[k] = (Z[k] + conj(Z[N-k]))/2 and B[k] = (Z[k] - conj(Z[N-k]))/(2i).
	a, b := w.seq, w.scratch
	s.windowed(a, t)
	if second {
		s.windowed(b, t+1)
	} else {
		clear(b)
	}
	// The FFT works in place, so the zeros around the window are rewritten
	// every time.
	z := w.z
	clear(z[:s.winOff])
	clear(z[s.winOff+len(a):])
	span := z[s.winOff : s.winOff+len(a)]
	for i := range span {
		span[i] = complex(a[i], b[i])
	}
	z = w.pair(z)

	sa, sb := w.spec[0], w.spec[1]
	sa[0], sb[0] = real(z[0])*real(z[0]), imag(z[0])*imag(z[0])
	n := s.nfft
	for k := 1; k < len(sa); k++ {
		zk, zc := z[k], z[n-k]
		ar, ai := (real(zk)+real(zc))/2, (imag(zk)-imag(zc))/2
		br, bi := (imag(zk)+imag(zc))/2, (real(zc)-real(zk))/2
		sa[k] = ar*ar + ai*ai
		sb[k] = br*br + bi*bi
	}
	s.applyPower(sa)
	s.applyPower(sb)
}

// applyPower turns |X|^2 into |X|^power in place.
func (s *stft) applyPower(spec []float64) {
	switch s.power {
	case 2:
	case 1:
		for k, v := range spec {
			spec[k] = math.Sqrt(v)
		}
	default:
		for k, v := range spec {
			spec[k] = math.Pow(v, s.power/2)
		}
	}
}

// windowed writes the window's span of frame t, windowed, into dst. The rest
// of the frame is multiplied by zero and never read.
func (s *stft) windowed(dst []float64, t int) {
	first := t*s.hop - s.pad + s.winOff
	if first >= 0 && first+len(dst) <= len(s.x) {
		src := s.x[first : first+len(dst)]
		for i, v := range s.window {
			dst[i] = float64(src[i]) * v
		}
		return
	}
	for i, v := range s.window {
		dst[i] = s.sample(first+i) * v
	}
}

// sample returns x at index i of the unpadded signal, padding outside it.
func (s *stft) sample(i int) float64 {
	n := len(s.x)
	switch {
	case i >= 0 && i < n:
		return float64(s.x[i])
	case !s.reflect:
		return 0
	case i < 0:
		return float64(s.x[-i])
	default:
		return float64(s.x[2*(n-1)-i])
	}
}

// Spectrogram computes |STFT(x)|^Power as torchaudio.transforms.Spectrogram
// does (periodic Hann window, no normalisation, one-sided). Only the STFT
// fields of o are used. The result is NFFT/2+1 rows of nFrames values,
// row-major: data[k*nFrames+t] is bin k of frame t.
func Spectrogram(x []float32, o MelOptions) (data []float32, nFreqs, nFrames int, err error) {
	s, err := newSTFT(x, o)
	if err != nil {
		return nil, 0, 0, err
	}
	nFreqs, nFrames = s.nfft/2+1, s.nFrames
	data = make([]float32, nFreqs*nFrames)
	s.run(func(t int, spec []float64) {
		for k, v := range spec {
			data[k*nFrames+t] = float32(v)
		}
	})
	return data, nFreqs, nFrames, nil
}

// MelSpectrogram computes the mel spectrogram of x as
// torchaudio.transforms.MelSpectrogram does: the Spectrogram, then the
// MelFilterBank of o applied to each frame. The result is NMels rows of
// nFrames values, row-major (data[m*nFrames+t]), torchaudio's layout.
//
// Frames are split across GOMAXPROCS goroutines; the result does not depend
// on their number. The FFT and the sums are float64, torchaudio's float32;
// the window and filter weights are torchaudio's own float32 values (see
// MelFilterBank). The two agree to about 1e-6 of the array's maximum, and in
// dB (AmplitudeToDB, top_db 80) to about 1e-3 dB, which is how far torchaudio
// in float32 is from torchaudio in float64.
func MelSpectrogram(x []float32, o MelOptions) (data []float32, nMels, nFrames int, err error) {
	fb, err := MelFilterBank(o)
	if err != nil {
		return nil, 0, 0, err
	}
	s, err := newSTFT(x, o)
	if err != nil {
		return nil, 0, 0, err
	}
	nMels, nFrames = fb.NMels, s.nFrames
	data = make([]float32, nMels*nFrames)
	s.run(func(t int, spec []float64) {
		fb.apply(data[t:], nFrames, spec)
	})
	return data, nMels, nFrames, nil
}

// minFramesPerWorker keeps goroutine start-up from dominating short inputs
// (the unit is whatever parallelFrames splits: frames, frame pairs, values).
const minFramesPerWorker = 64

// run calls emit with the spectrum of every frame. Workers take contiguous
// runs of frame pairs (2j, 2j+1), so neighbouring workers rarely write to the
// same cache line, and a frame's result does not depend on the number of
// workers: packing two frames into one FFT makes each frame's last bits depend
// on its partner, so the partners must not change with GOMAXPROCS. emit is
// called concurrently for different frames; spec is valid during the call.
func (s *stft) run(emit func(t int, spec []float64)) {
	parallelFrames((s.nFrames+1)/2, func(p0, p1 int) {
		w := s.newWorker()
		for t := 2 * p0; t < min(2*p1, s.nFrames); t += 2 {
			second := t+1 < s.nFrames
			if w.pair != nil {
				s.frames(w, t, second)
				emit(t, w.spec[0])
				if second {
					emit(t+1, w.spec[1])
				}
				continue
			}
			s.frames(w, t, false)
			emit(t, w.spec[0])
			if second {
				s.frames(w, t+1, false)
				emit(t+1, w.spec[0])
			}
		}
	})
}

// parallelFrames splits [0, n) into contiguous runs, one per worker.
func parallelFrames(n int, work func(t0, t1 int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+minFramesPerWorker-1)/minFramesPerWorker)
	if workers <= 1 {
		work(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for t0 := 0; t0 < n; t0 += per {
		wg.Add(1)
		go func(t0, t1 int) {
			defer wg.Done()
			work(t0, t1)
		}(t0, min(t0+per, n))
	}
	wg.Wait()
}
