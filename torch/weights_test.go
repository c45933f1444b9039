package torch

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// python is Debian's interpreter, which has numpy and python3-torch.
const python = "/usr/bin/python3"

// needPython skips the test unless Debian's python3 with numpy and torch is
// installed.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not installed", python)
	}
	if err := exec.Command(python, "-c", "import numpy, torch").Run(); err != nil {
		t.Skipf("%s lacks numpy or torch: %v", python, err)
	}
}

// TestWeightsOpenInPython saves a small GAN and has testdata/read_weights.py
// open model.safetensors with numpy and json only and model.pt with
// torch.jit.load. The script checks that the two files agree exactly; this
// test checks what it read against the values in memory: every name, shape,
// first and last value exactly, and the sum to float rounding.
func TestWeightsOpenInPython(t *testing.T) {
	needPython(t)
	images := fashion(t, 64, false)
	cfg := smallGAN("dcgan", "bce") // has batch-norm buffers besides parameters
	cfg.Epochs = 1
	g, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	dir := t.TempDir()
	if err := g.Save(dir); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(python, "testdata/read_weights.py", dir).CombinedOutput()
	t.Logf("read_weights.py:\n%s", out)
	if err != nil {
		t.Fatalf("read_weights.py: %v", err)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 7 && f[0] == "tensor" {
			got[f[1]] = f[2:]
		}
	}
	if len(got) != len(g.m.vars) {
		t.Errorf("read_weights.py printed %d tensors, the model has %d", len(got), len(g.m.vars))
	}
	for _, v := range g.m.vars {
		f, ok := got[v.name]
		if !ok {
			t.Errorf("read_weights.py did not print %s", v.name)
			continue
		}
		x := toTensor(v.t)
		if err := sameValues(x.Shape, x.Float32s(), f); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
	}
	if !strings.Contains(string(out), "ok "+strconv.Itoa(len(g.m.vars))) {
		t.Errorf("read_weights.py output lacks %q", "ok "+strconv.Itoa(len(g.m.vars)))
	}
}

// sameValues compares a tensor with the fields read_weights.py prints for
// it: shape, dtype, sum, first and last value.
func sameValues(shape []int, vals []float32, f []string) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	if want := strings.Join(dims, "x"); f[0] != want || f[1] != "float32" {
		return fmt.Errorf("python read %s %s, want %s float32", f[0], f[1], want)
	}
	var sum, abs float64
	for _, x := range vals {
		sum += float64(x)
		abs += math.Abs(float64(x))
	}
	nums := make([]float64, 3)
	for i := range nums {
		var err error
		if nums[i], err = strconv.ParseFloat(f[2+i], 64); err != nil {
			return fmt.Errorf("python printed %q: %v", f[2+i], err)
		}
	}
	// The two sums differ only in order (numpy sums pairwise).
	if d := math.Abs(nums[0] - sum); d > 1e-9*(abs+1) {
		return fmt.Errorf("python sum %v, Go sum %v", nums[0], sum)
	}
	if first, last := float64(vals[0]), float64(vals[len(vals)-1]); nums[1] != first ||
		nums[2] != last {
		return fmt.Errorf("python first and last %v, %v; Go %v, %v", nums[1], nums[2], first, last)
	}
	return nil
}
