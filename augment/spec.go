package augment

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The description of a pipeline in plain data, for configuration files:
// what an experiment's YAML or a JSON document decodes to. This file knows
// nothing of either format, only of the values they decode to.

// opBuilders turn one op's parameters into an Op. The names are
// torchvision's transforms in snake case, with its parameter names.
var opBuilders = map[string]func(a *opArgs) Op{
	"random_crop": func(a *opArgs) Op {
		return RandomCrop{Size: a.size("size"), Padding: a.ints("padding", false),
			PadIfNeeded: a.boolean("pad_if_needed"), Fill: a.num("fill", 0),
			PaddingMode: PadMode(a.str("padding_mode", "constant"))}
	},
	"center_crop": func(a *opArgs) Op { return CenterCrop{Size: a.size("size")} },
	"resize": func(a *opArgs) Op {
		return Resize{Size: a.ints("size", true), MaxSize: int(a.num("max_size", 0)),
			Interpolation: Interpolation(a.str("interpolation", "bilinear")),
			Antialias:     a.boolean("antialias")}
	},
	"pad": func(a *opArgs) Op {
		return Pad{Padding: a.ints("padding", true), Fill: a.num("fill", 0),
			Mode: PadMode(a.str("padding_mode", "constant"))}
	},
	"horizontal_flip": func(a *opArgs) Op { return HFlip{P: a.num("p", 0.5)} },
	"vertical_flip":   func(a *opArgs) Op { return VFlip{P: a.num("p", 0.5)} },
	"rotation": func(a *opArgs) Op {
		o := Rotation{Degrees: a.rangeOf("degrees", true, Symmetric),
			Interpolation: Interpolation(a.str("interpolation", "nearest")),
			Expand:        a.boolean("expand"), Fill: a.floats("fill", false)}
		if c := a.floats("center", false); len(c) == 2 {
			o.Center = &[2]float64{c[0], c[1]}
		} else if c != nil {
			a.errorf("center %v: want [x, y]", c)
		}
		return o
	},
	"color_jitter": func(a *opArgs) Op {
		return ColorJitter{Brightness: a.factor("brightness"), Contrast: a.factor("contrast"),
			Saturation: a.factor("saturation"), Hue: a.rangeOf("hue", false, Symmetric)}
	},
	"normalize": func(a *opArgs) Op {
		return Normalize{Mean: a.floats("mean", true), Std: a.floats("std", true)}
	},
}

// OpNames lists the op names ParseOps knows, sorted.
func OpNames() []string {
	names := make([]string, 0, len(opBuilders))
	for k := range opBuilders {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// ParseOps builds ops from their description as decoded YAML or JSON
// gives it: a list whose items are an op name, or a mapping of one op name
// to its parameters, e.g.
//
//	[{random_crop: {size: 28, padding: 4}}, horizontal_flip,
//	 {rotation: {degrees: [90, 90]}}, {normalize: {mean: 0.5, std: 0.5}}]
//
// Names are torchvision's transforms in snake case (RandomCrop is
// random_crop, RandomHorizontalFlip is horizontal_flip, RandomRotation is
// rotation), with torchvision's parameter names and readings: a single
// number of degrees d is [-d, d], a single brightness b is [1-b, 1+b], a
// pair is taken as given. Numbers may be int, int64 or float64. Every
// problem is reported, each naming its item; unknown parameters are
// errors. The ops are not validated further: NewPipeline does that.
func ParseOps(v any) ([]Op, error) {
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return nil, fmt.Errorf("ops: want a non-empty list of ops, such as [{random_crop: {size: 28}}]")
	}
	var ops []Op
	var errs []error
	for i, it := range items {
		name, params, err := opItem(it)
		if err == nil {
			if build, ok := opBuilders[name]; ok {
				a := &opArgs{params: params}
				op := build(a)
				err = a.finish()
				ops = append(ops, op)
			} else {
				err = fmt.Errorf("unknown op %q (want one of %s)", name, strings.Join(OpNames(), ", "))
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("ops[%d]: %w", i, err))
		}
	}
	return ops, errors.Join(errs...)
}

func opItem(it any) (string, map[string]any, error) {
	switch x := it.(type) {
	case string:
		return x, map[string]any{}, nil
	case map[string]any:
		for name, p := range x {
			params, ok := p.(map[string]any)
			switch {
			case len(x) != 1:
				return "", nil, fmt.Errorf("want one op name as the key, got %d keys", len(x))
			case p != nil && !ok:
				return "", nil, fmt.Errorf("%s: want a mapping of parameters, got %v", name, p)
			}
			return name, params, nil // a nil map reads as no parameters
		}
	}
	return "", nil, fmt.Errorf("want an op name or {name: {parameters}}, got %v", it)
}

// opArgs reads one op's parameters, remembering which were used and every
// problem, so that unknown keys and all bad values are reported together.
type opArgs struct {
	params map[string]any
	used   []string
	errs   []error
}

func (a *opArgs) errorf(format string, args ...any) {
	a.errs = append(a.errs, fmt.Errorf(format, args...))
}

func (a *opArgs) get(key string) (any, bool) {
	a.used = append(a.used, key)
	v, ok := a.params[key]
	return v, ok && v != nil
}

// finish reports unknown keys (sorted) and the problems found.
func (a *opArgs) finish() error {
	var unknown []string
	for k := range a.params {
		if !slices.Contains(a.used, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		a.errorf("unknown parameter %q (want %s)", k, strings.Join(a.used, ", "))
	}
	return errors.Join(a.errs...)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func (a *opArgs) num(key string, def float64) float64 {
	v, ok := a.get(key)
	if !ok {
		return def
	}
	f, ok := toFloat(v)
	if !ok {
		a.errorf("%s: want a number, got %v", key, v)
	}
	return f
}

func (a *opArgs) boolean(key string) bool {
	v, ok := a.get(key)
	if b, isBool := v.(bool); isBool || !ok {
		return b
	}
	a.errorf("%s: want true or false, got %v", key, v)
	return false
}

func (a *opArgs) str(key, def string) string {
	v, ok := a.get(key)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr {
		a.errorf("%s: want a string, got %v", key, v)
	}
	return s
}

// floats reads a number or a list of numbers; nil when absent (an error
// when required).
func (a *opArgs) floats(key string, required bool) []float64 {
	v, ok := a.get(key)
	if !ok {
		if required {
			a.errorf("%s is required", key)
		}
		return nil
	}
	if f, ok := toFloat(v); ok {
		return []float64{f}
	}
	l, isList := v.([]any)
	if !isList || len(l) == 0 {
		a.errorf("%s: want a number or a list of numbers, got %v", key, v)
		return nil
	}
	out := make([]float64, len(l))
	for i, e := range l {
		if out[i], ok = toFloat(e); !ok {
			a.errorf("%s: want numbers, got %v", key, e)
		}
	}
	return out
}

// ints reads an int or a list of whole numbers, as floats reads numbers.
func (a *opArgs) ints(key string, required bool) []int {
	var out []int
	for _, x := range a.floats(key, required) {
		if x != math.Trunc(x) || math.Abs(x) > 1<<30 {
			a.errorf("%s: want whole numbers, got %v", key, x)
		}
		out = append(out, int(x))
	}
	return out
}

// size reads torchvision's crop size: one value for a square, or
// [height, width].
func (a *opArgs) size(key string) [2]int {
	switch s := a.ints(key, true); len(s) {
	case 1:
		return [2]int{s[0], s[0]}
	case 2:
		return [2]int{s[0], s[1]}
	case 0: // absent: ints has said so
	default:
		a.errorf("%s %v: want one value or [height, width]", key, s)
	}
	return [2]int{}
}

// rangeOf reads a number (made a range by single) or [min, max] as given.
func (a *opArgs) rangeOf(key string, required bool, single func(float64) [2]float64) [2]float64 {
	f := a.floats(key, required)
	switch {
	case len(f) == 1:
		// [90] is refused as torchvision does: "exactly 90" would become ±90.
		if _, isList := a.params[key].([]any); isList || f[0] < 0 {
			a.errorf("%s %v: want a number d >= 0 (for [-d, d]) or [min, max]", key, a.params[key])
		}
		return single(f[0])
	case len(f) == 2:
		return [2]float64{f[0], f[1]}
	case f != nil:
		a.errorf("%s %v: want a number or [min, max]", key, f)
	}
	return [2]float64{}
}

// factor reads a ColorJitter factor for brightness, contrast or
// saturation. An explicit [0, 0] is refused: torchvision reads it as
// "always factor 0" (a black or gray image), while ColorJitter
// reads the zero range as "off".
func (a *opArgs) factor(key string) [2]float64 {
	r := a.rangeOf(key, false, FactorRange)
	if v, _ := a.params[key].([]any); len(v) == 2 && r == [2]float64{} {
		a.errorf("%s [0, 0] would set every factor to 0; leave it out to disable it", key)
	}
	return r
}
