package augment

import "fmt"

// ColorJitter is torchvision's ColorJitter: each enabled adjustment gets a
// factor uniform in its range, and the four are applied in a random order.
//
// Ranges are as torchvision's pair form; FactorRange and Symmetric turn
// its single-number form into one. Brightness, contrast and saturation are
// off when their range is [1, 1] or the zero value [0, 0] (so a zero
// ColorJitter does nothing; torchvision would read an explicit pair (0, 0)
// as "always black"), hue is off when its range is [0, 0]. A range of a
// single value is a fixed adjustment and gives exactly the functional op's
// result with that factor.
//
// Draws: a permutation of the four ops (Fisher–Yates, three IntN draws),
// then one Uniform per enabled op in the order brightness, contrast,
// saturation, hue — the order of torchvision's get_params — before any op
// is applied.
type ColorJitter struct {
	Brightness, Contrast, Saturation, Hue [2]float64
}

// FactorRange returns [max(0, 1-v), 1+v], torchvision's reading of a
// single number for brightness, contrast and saturation.
func FactorRange(v float64) [2]float64 { return [2]float64{max(0, 1-v), 1 + v} }

func (o ColorJitter) enabled() [4]bool {
	on := func(r [2]float64) bool { return r != [2]float64{} && r != [2]float64{1, 1} }
	return [4]bool{on(o.Brightness), on(o.Contrast), on(o.Saturation), o.Hue != [2]float64{}}
}

// Validate implements Op.
func (o ColorJitter) Validate() error {
	for i, r := range [3][2]float64{o.Brightness, o.Contrast, o.Saturation} {
		if !(0 <= r[0] && r[0] <= r[1]) {
			return fmt.Errorf("color jitter %s %v: want 0 <= min <= max",
				[3]string{"brightness", "contrast", "saturation"}[i], r)
		}
	}
	if !(-0.5 <= o.Hue[0] && o.Hue[0] <= o.Hue[1] && o.Hue[1] <= 0.5) {
		return fmt.Errorf("color jitter hue %v: want -0.5 <= min <= max <= 0.5", o.Hue)
	}
	return nil
}

func (o ColorJitter) apply(_, src *Image, r *Rand) (bool, error) {
	if src.C != 1 && src.C != 3 {
		return false, fmt.Errorf("color jitter: image has %d channels, want 1 or 3", src.C)
	}
	order := r.perm4()
	on := o.enabled()
	var f [4]float64
	for i, rg := range [4][2]float64{o.Brightness, o.Contrast, o.Saturation, o.Hue} {
		if on[i] {
			f[i] = r.Uniform(rg[0], rg[1])
		}
	}
	JitterFixed(*src, order, f, on)
	return false, nil
}

// JitterFixed applies ColorJitter's adjustments to img in place with given
// factors in the given order (0 brightness, 1 contrast, 2 saturation,
// 3 hue), skipping those not enabled. It is the deterministic half of
// ColorJitter, for tests and for callers that draw their own parameters.
func JitterFixed(img Image, order [4]int, factors [4]float64, enabled [4]bool) {
	for _, k := range order {
		if !enabled[k] {
			continue
		}
		switch k {
		case 0:
			brightness(img, factors[0])
		case 1:
			contrast(img, factors[1])
		case 2:
			saturation(img, factors[2])
		case 3:
			hue(img, factors[3])
		}
	}
}
