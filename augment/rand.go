package augment

import (
	"math/bits"
	"math/rand/v2"
)

// Rand is the random source of one image. It is a PCG-DXSM generator
// (math/rand/v2's PCG, whose algorithm is fixed) seeded from the pipeline
// seed and the image's index through splitmix64, so an image's draws do not
// depend on which worker handles it or when.
//
// The mappings from 64-bit outputs to floats and integers are written here
// rather than taken from math/rand/v2, so that a seed keeps producing the
// same images across Go releases.
type Rand struct {
	pcg rand.PCG
}

// NewRand returns the generator for image index of a batch augmented with
// seed.
func NewRand(seed, index uint64) *Rand {
	r := new(Rand)
	r.reset(seed, index)
	return r
}

// reset reseeds r for image index under seed.
func (r *Rand) reset(seed, index uint64) {
	hi := splitmix64(seed ^ splitmix64(index))
	lo := splitmix64(hi ^ index)
	r.pcg.Seed(hi, lo)
}

// DeriveSeed mixes a second number (an epoch, a stage id) into a seed, so
// that each epoch gets its own independent augmentations.
func DeriveSeed(seed, n uint64) uint64 {
	return splitmix64(seed ^ splitmix64(n+0x632be59bd9b4e019))
}

// splitmix64 is the finaliser of Steele, Lea and Flood's SplitMix64: a
// bijection of uint64 that spreads every input bit over the output.
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 { return r.pcg.Uint64() }

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (r *Rand) Float64() float64 {
	return float64(r.pcg.Uint64()>>11) * (1.0 / (1 << 53))
}

// Uniform returns a uniform number in [lo, hi). One draw is consumed even
// when lo == hi, and then lo is returned exactly, so that a collapsed range
// gives the fixed functional op's result and later draws do not shift.
func (r *Rand) Uniform(lo, hi float64) float64 {
	u := r.Float64()
	if lo == hi {
		return lo
	}
	v := lo + (hi-lo)*u
	if v >= hi { // rounding can reach hi when the range is wide
		v = lo
	}
	return v
}

// IntN returns a uniform integer in [0, n) for n > 0, by Lemire's
// multiply-and-reject method (unbiased). It panics if n <= 0.
func (r *Rand) IntN(n int) int {
	if n <= 0 {
		panic("augment: IntN with n <= 0")
	}
	bound := uint64(n)
	hi, lo := bits.Mul64(r.pcg.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.pcg.Uint64(), bound)
		}
	}
	return int(hi)
}

// perm4 returns a uniform permutation of 0..3 (Fisher–Yates, three draws),
// the order in which ColorJitter applies its four adjustments.
func (r *Rand) perm4() [4]int {
	p := [4]int{0, 1, 2, 3}
	for i := 3; i > 0; i-- {
		j := r.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
