package augment

import (
	"math"
	"slices"
	"testing"
)

// TestRefcases runs every case of the shared torchvision 0.14 references
// (testdata/augment_cases.json, copied from ../shared/refcases/augment).
func TestRefcases(t *testing.T) {
	runFixtures(t, "testdata/augment_cases.json")
}

// TestGenerated runs the cases gen.py made with torchvision for what the
// shared references lack: bilinear and expanded rotations at many angles,
// resize, centre crop, pad_if_needed, vertical flips, all jitter orders.
func TestGenerated(t *testing.T) {
	runFixtures(t, "testdata/generated.json")
}

func runFixtures(t *testing.T, path string) {
	cases, err := loadFixtures(path)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.Name, func(t *testing.T) { checkCase(t, c) })
		if ok {
			passed++
		}
	}
	t.Logf("%s: %d/%d cases pass", path, passed, len(cases))
}

func checkCase(t *testing.T, c fixtureCase) {
	got, err := c.run()
	if c.Error != "" {
		if err == nil {
			t.Fatalf(
				"%s: got a %dx%dx%d image, want an error as torch's %q",
				c.Op,
				got.C,
				got.H,
				got.W,
				c.Error,
			)
		}
		t.Logf("torch: %s; we: %v", c.Error, err)
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", c.Op, err)
	}
	want := c.Expected
	if c.TensorOutput != nil {
		// H−W odd and a 90° expand: torchvision's tensor path returns a
		// wrong size (6×5 for 4×5) and breaks half-integer ties its own
		// way; "expected" holds the clean rot90/PIL answer instead. We
		// follow the tensor path, so we check against what it returned.
		want = *c.TensorOutput
	}
	shape := []int{got.C, got.H, got.W}
	if !slices.Equal(shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", c.Op, shape, want.Shape)
	}
	var maxErr float64
	bad, worst := 0, 0
	for i, w := range want.Data {
		g := float64(got.Pix[i])
		if want.DType == "float32" {
			w = float64(float32(w))
		}
		d := math.Abs(g - w)
		if math.IsNaN(g) {
			d = math.Inf(1)
		}
		if d > 0 {
			bad++
		}
		if d > maxErr {
			maxErr, worst = d, i
		}
	}
	tol := c.Tol
	if c.Exact {
		tol = 0
	}
	t.Logf(
		"max abs error %.3g (tolerance %.3g), %d of %d values differ",
		maxErr,
		tol,
		bad,
		len(want.Data),
	)
	if maxErr > tol {
		t.Errorf("%s: value %d = %v, want %v (error %.3g > %.3g)",
			c.Op, worst, got.Pix[worst], want.Data[worst], maxErr, tol)
	}
	// uint8 results may differ by one only where float32 rounding meets
	// truncation: a few values, not a pattern.
	if want.DType == "uint8" && tol > 0 && bad > len(want.Data)/4 {
		t.Errorf("%s: %d of %d values off by one, want only a few", c.Op, bad, len(want.Data))
	}
}
