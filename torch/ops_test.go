package torch

import (
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// TestLeakyReLU checks ops.cpp's leaky_relu against its definition, values
// and gradient, exactly: x for x > 0, slope·x otherwise.
func TestLeakyReLU(t *testing.T) {
	defer session()()
	in := []float32{-3, -0.5, 0, 0.25, 2}
	x := ts.MustOfSlice(in).MustSetRequiresGrad(true, true)
	defer x.MustDrop()
	y, err := leakyReLU(x, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	defer y.MustDrop()
	s := y.MustSum(gotch.Float, false)
	defer s.MustDrop()
	s.MustBackward()
	g := x.MustGrad(false)
	defer g.MustDrop()

	got, grad := y.Float64Values(), g.Float64Values()
	for i, v := range in {
		want, wantGrad := float32(0.2)*v, float32(0.2)
		if v > 0 {
			want, wantGrad = v, 1
		}
		if float32(got[i]) != want || float32(grad[i]) != wantGrad {
			t.Errorf("leaky_relu(%g) = %g, gradient %g; want %g, %g", v, got[i], grad[i], want, wantGrad)
		}
	}

	if _, err := leakyReLU(ts.NewTensor(), 0.2); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("leaky_relu of an undefined tensor: error %q, want one line", err)
	}
}
