package augment

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestParseOps: a description decoded from JSON (numbers as float64)
// builds the ops torchvision's arguments describe.
func TestParseOps(t *testing.T) {
	var v any
	err := json.Unmarshal([]byte(`[
		{"random_crop": {"size": 28, "padding": [2, 4], "padding_mode": "reflect",
			"pad_if_needed": true}},
		"horizontal_flip",
		{"vertical_flip": {"p": 0.25}},
		{"rotation": {"degrees": [90, 90], "interpolation": "bilinear", "fill": [0.1, 0.2, 0.3]}},
		{"rotation": {"degrees": 30, "expand": true, "center": [1, 2]}},
		{"color_jitter": {"brightness": 0.4, "saturation": [0.5, 1.5], "hue": 0.1}},
		{"resize": {"size": 24, "antialias": true}},
		{"center_crop": {"size": [20, 22]}},
		{"pad": {"padding": 1, "fill": 0.5, "padding_mode": "edge"}},
		{"normalize": {"mean": [0.5], "std": 0.25}}]`), &v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOps(v)
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{
		RandomCrop{
			Size:        [2]int{28, 28},
			Padding:     []int{2, 4},
			PaddingMode: PadReflect,
			PadIfNeeded: true,
		},
		HFlip{P: 0.5},
		VFlip{P: 0.25},
		Rotation{Degrees: [2]float64{90, 90}, Interpolation: Bilinear, Fill: []float64{0.1, 0.2, 0.3}},
		Rotation{
			Degrees:       [2]float64{-30, 30},
			Interpolation: Nearest,
			Expand:        true,
			Center:        &[2]float64{1, 2},
		},
		ColorJitter{
			Brightness: [2]float64{0.6, 1.4},
			Saturation: [2]float64{0.5, 1.5},
			Hue:        [2]float64{-0.1, 0.1},
		},
		Resize{Size: []int{24}, Interpolation: Bilinear, Antialias: true},
		CenterCrop{Size: [2]int{20, 22}},
		Pad{Padding: []int{1}, Fill: 0.5, Mode: PadEdge},
		Normalize{Mean: []float64{0.5}, Std: []float64{0.25}},
	}
	if len(got) != len(want) {
		t.Fatalf("ParseOps gave %d ops, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("op %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	if _, err := NewPipeline(got...); err != nil {
		t.Errorf("NewPipeline of the parsed ops: %v", err)
	}
}

func TestParseOpsErrors(t *testing.T) {
	v := []any{
		map[string]any{"random_crop": map[string]any{"size": 28, "paddding": 4}},
		map[string]any{"horizontal_flip": map[string]any{"p": "high"}},
		"twirl",
		map[string]any{"rotation": map[string]any{"interpolation": "bilinear"}},
		map[string]any{"color_jitter": map[string]any{"brightness": []any{0, 0}}},
		map[string]any{"normalize": map[string]any{"mean": []any{0.5}}},
		map[string]any{"rotation": map[string]any{"degrees": []any{90}}},
		map[string]any{"resize": map[string]any{"size": 3}, "pad": map[string]any{"padding": 1}},
		map[string]any{"center_crop": map[string]any{"size": 2.5}},
		42,
	}
	_, err := ParseOps(v)
	if err == nil {
		t.Fatal("ParseOps accepted bad ops")
	}
	for _, want := range []string{
		`ops[0]: unknown parameter "paddding" (want size, padding, pad_if_needed, fill, padding_mode)`,
		"ops[1]: p: want a number, got high",
		`ops[2]: unknown op "twirl"`,
		"ops[3]: degrees is required",
		"ops[4]: brightness [0, 0] would set every factor to 0",
		"ops[5]: std is required",
		"ops[6]: degrees [90]: want a number d >= 0 (for [-d, d]) or [min, max]",
		"ops[7]: want one op name as the key, got 2 keys",
		"ops[8]: size: want whole numbers, got 2.5",
		"ops[9]: want an op name or {name: {parameters}}, got 42",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOps error does not contain %q:\n%v", want, err)
		}
	}
	if _, err := ParseOps([]any{}); err == nil {
		t.Error("ParseOps accepted an empty list")
	}
}
