package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Test-only stage kinds, registered for this package's tests.
func init() {
	Register(genKind{})
	Register(sumKind{})
	Register(failKind{})
	Register(fixedKind{})
}

// fixedKind is genKind declared Unseeded.
type fixedKind struct{ genKind }

func (fixedKind) Kind() string { return "test/fixed" }
func (fixedKind) Schema() Schema {
	s := genKind{}.Schema()
	s.Unseeded = true
	return s
}

// genKind writes its value to value.txt.
type genKind struct{}

func (genKind) Kind() string { return "test/gen" }
func (genKind) Version() int { return 1 }
func (genKind) Schema() Schema {
	lo, hi := Bounds(0, 1e6)
	return Schema{Params: []Param{
		{Name: "value", Type: Float, Required: true, Min: lo, Max: hi},
		{Name: "n", Type: Int, Default: int64(3)},
		{Name: "mode", Type: String, Default: "a", Enum: []string{"a", "b"}},
		{Name: "tags", Type: Strings, Default: []string{}},
		{Name: "file", Type: Path},
		{Name: "ops", Type: Any},
	}}
}
func (genKind) Run(ctx context.Context, rc *RunContext) error {
	rc.Metric("value", rc.Params.Float("value"))
	return os.WriteFile(filepath.Join(rc.Out, "value.txt"),
		[]byte(strconv.FormatFloat(rc.Params.Float("value"), 'g', -1, 64)), 0o644)
}

// sumKind adds the values of its inputs a and (optional) b.
type sumKind struct{}

func (sumKind) Kind() string { return "test/sum" }
func (sumKind) Version() int { return 1 }
func (sumKind) Schema() Schema {
	return Schema{Inputs: []Input{{Name: "a"}, {Name: "b", Optional: true}}}
}
func (sumKind) Run(ctx context.Context, rc *RunContext) error {
	total := 0.0
	for _, slot := range []string{"a", "b"} {
		in, ok := rc.Inputs[slot]
		if !ok {
			continue
		}
		b, err := os.ReadFile(in.Path("value.txt"))
		if err != nil {
			return err
		}
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return err
		}
		total += v
	}
	rc.Metric("value", total)
	return os.WriteFile(
		filepath.Join(rc.Out, "value.txt"),
		[]byte(strconv.FormatFloat(total, 'g', -1, 64)),
		0o644,
	)
}

// failKind always fails.
type failKind struct{}

func (failKind) Kind() string   { return "test/fail" }
func (failKind) Version() int   { return 1 }
func (failKind) Schema() Schema { return Schema{Inputs: []Input{{Name: "in", Optional: true}}} }
func (failKind) Run(ctx context.Context, rc *RunContext) error {
	return fmt.Errorf("deliberate failure")
}
