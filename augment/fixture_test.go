package augment

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// fixtureFile is the layout of testdata/augment_cases.json (copied from
// the shared refcases) and of testdata/generated.json (made by gen.py).
type fixtureFile struct {
	Cases []fixtureCase `json:"cases"`
}

type fixtureCase struct {
	Name     string          `json:"name"`
	Op       string          `json:"op"`
	Params   json.RawMessage `json:"params"`
	Input    array           `json:"input"`
	Expected array           `json:"expected"`
	Exact    bool            `json:"exact"`
	Tol      float64         `json:"abs_tolerance"`

	// Set in cases where torch raised instead of returning a result.
	Error string `json:"error"`

	// Only in rotate_90_odd_diff_4x5_NOT_EXACT.
	TensorOutput *array `json:"torchvision_0_14_tensor_output"`
}

type array struct {
	DType string
	Shape []int
	Data  []float64
}

func (a *array) UnmarshalJSON(b []byte) error {
	var raw struct {
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
		Data  any    `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	a.DType, a.Shape, a.Data = raw.DType, raw.Shape, nil
	var flat func(v any) error
	flat = func(v any) error {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := flat(e); err != nil {
					return err
				}
			}
		case float64:
			a.Data = append(a.Data, x)
		case nil: // "expected": null in the error cases
		default:
			return fmt.Errorf("array data: unexpected %T", v)
		}
		return nil
	}
	return flat(raw.Data)
}

// image returns a as a float32 Image; uint8 arrays keep their 0..255
// values, which the geometric ops carry through unchanged.
func (a array) image() Image {
	if len(a.Shape) != 3 {
		panic(fmt.Sprintf("array shape %v: want C×H×W", a.Shape))
	}
	m := NewImage(a.Shape[0], a.Shape[1], a.Shape[2])
	for i, v := range a.Data {
		m.Pix[i] = float32(v)
	}
	return m
}

func (a array) u8() ImageU8 {
	m := ImageU8{C: a.Shape[0], H: a.Shape[1], W: a.Shape[2], Pix: make([]uint8, len(a.Data))}
	for i, v := range a.Data {
		m.Pix[i] = uint8(v)
	}
	return m
}

func loadFixtures(path string) ([]fixtureCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f fixtureFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return f.Cases, nil
}

// caseParams is the union of the parameters the cases use.
type caseParams struct {
	Padding     json.RawMessage `json:"padding"`
	Fill        json.RawMessage `json:"fill"`
	PaddingMode PadMode         `json:"padding_mode"`
	Size        []int           `json:"size"`
	PadIfNeeded bool            `json:"pad_if_needed"`
	Top         int             `json:"top_i"`
	Left        int             `json:"left_j"`

	Angle         float64       `json:"angle"`
	Interpolation Interpolation `json:"interpolation"`
	Expand        bool          `json:"expand"`
	Center        *[2]float64   `json:"center"`

	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`

	Brightness float64            `json:"brightness_factor"`
	Contrast   float64            `json:"contrast_factor"`
	Saturation float64            `json:"saturation_factor"`
	Hue        float64            `json:"hue_factor"`
	FnIdx      []int              `json:"fn_idx"`
	Factors    map[string]float64 `json:"factors"`

	MaxSize   int  `json:"max_size"`
	Antialias bool `json:"antialias"`
}

// ints reads an int or a list of ints; nil when absent or null.
func ints(raw json.RawMessage) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return []int{n}, nil
	}
	var l []int
	err := json.Unmarshal(raw, &l)
	return l, err
}

// floats reads a number or a list of numbers; nil when absent or null.
func floats(raw json.RawMessage) ([]float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var x float64
	if json.Unmarshal(raw, &x) == nil {
		return []float64{x}, nil
	}
	var l []float64
	err := json.Unmarshal(raw, &l)
	return l, err
}

// run computes a case with the package's functional ops and returns the
// result as float32 values with its shape.
func (c fixtureCase) run() (Image, error) {
	var p caseParams
	if err := json.Unmarshal(c.Params, &p); err != nil {
		return Image{}, fmt.Errorf("params: %w", err)
	}
	fill, err := floats(p.Fill)
	if err != nil {
		return Image{}, fmt.Errorf("fill: %w", err)
	}
	fill0 := 0.0
	if len(fill) > 0 {
		fill0 = fill[0]
	}
	in := c.Input.image()
	op := c.Op
	switch {
	case strings.HasPrefix(op, "ToTensor"):
		u := c.Input.u8()
		return ToTensor(u.Pix, c.Input.Shape[0], c.Input.Shape[1], c.Input.Shape[2])
	case op == "F.pad":
		pl, err := ints(p.Padding)
		if err != nil {
			return Image{}, err
		}
		pad, err := ParsePadding(pl)
		if err != nil {
			return Image{}, err
		}
		return PadImage(in, pad, p.PaddingMode, fill0)
	case strings.HasPrefix(op, "RandomCrop"):
		return fixedCrop(in, p, fill0)
	case strings.HasPrefix(op, "F.hflip"):
		return HorizontalFlip(in), nil
	case op == "F.vflip":
		return VerticalFlip(in), nil
	case op == "F.rotate":
		return Rotate(in, p.Angle, p.Interpolation, p.Expand, p.Center, fill)
	case op == "F.normalize":
		return NormalizeImage(in, p.Mean, p.Std)
	case op == "F.resize":
		h, w, err := ResizedSize(in.H, in.W, p.Size, p.MaxSize)
		if err != nil {
			return Image{}, err
		}
		if p.Antialias {
			return ResizeAntialias(in, h, w, p.Interpolation)
		}
		return ResizeImage(in, h, w, p.Interpolation)
	case op == "F.center_crop":
		return CropCenter(in, p.Size[0], p.Size[1])
	case strings.HasPrefix(op, "F.adjust_"):
		return c.adjust(strings.TrimPrefix(op, "F.adjust_"), p)
	case strings.HasPrefix(op, "ColorJitter forward with fn_idx fixed"):
		var order [4]int
		copy(order[:], p.FnIdx)
		f := [4]float64{p.Factors["brightness"], p.Factors["contrast"],
			p.Factors["saturation"], p.Factors["hue"]}
		var on [4]bool
		for i, k := range []string{"brightness", "contrast", "saturation", "hue"} {
			_, on[i] = p.Factors[k]
		}
		out := in.Clone()
		JitterFixed(out, order, f, on)
		return out, nil
	}
	return Image{}, fmt.Errorf("no runner for op %q", op)
}

// fixedCrop runs RandomCrop's padding with torchvision's get_params result
// (top_i, left_j) taken from the case.
func fixedCrop(in Image, p caseParams, fill float64) (Image, error) {
	o := RandomCrop{Size: [2]int{p.Size[0], p.Size[1]}, PadIfNeeded: p.PadIfNeeded,
		Fill: fill, PaddingMode: p.PaddingMode}
	var err error
	if o.Padding, err = ints(p.Padding); err != nil {
		return Image{}, err
	}
	var out Image
	err = o.cropAt(&out, in, func(int, int) (int, int) { return p.Top, p.Left })
	return out, err
}

func (c fixtureCase) adjust(what string, p caseParams) (Image, error) {
	f := map[string]float64{"brightness": p.Brightness, "contrast": p.Contrast,
		"saturation": p.Saturation, "hue": p.Hue}[what]
	if c.Input.DType == "uint8" {
		fns := map[string]func(ImageU8, float64) (ImageU8, error){
			"brightness": AdjustBrightnessU8, "contrast": AdjustContrastU8,
			"saturation": AdjustSaturationU8, "hue": AdjustHueU8,
		}
		out, err := fns[what](c.Input.u8(), f)
		if err != nil {
			return Image{}, err
		}
		m := NewImage(out.C, out.H, out.W)
		for i, v := range out.Pix {
			m.Pix[i] = float32(v)
		}
		return m, nil
	}
	fns := map[string]func(Image, float64) (Image, error){
		"brightness": AdjustBrightness, "contrast": AdjustContrast,
		"saturation": AdjustSaturation, "hue": AdjustHue,
	}
	fn, ok := fns[what]
	if !ok {
		return Image{}, fmt.Errorf("no adjust_%s", what)
	}
	return fn(c.Input.image(), f)
}
