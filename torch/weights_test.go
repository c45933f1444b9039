package torch

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// python is Debian's interpreter, which has numpy and python3-torch.
const python = "/usr/bin/python3"

// TestWeightsOpenInPython saves a small GAN and has testdata/read_weights.py
// open model.safetensors with numpy and json only and model.pt with
// torch.jit.load, and compare the two. It skips without Python and torch.
func TestWeightsOpenInPython(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not installed", python)
	}
	if err := exec.Command(python, "-c", "import numpy, torch").Run(); err != nil {
		t.Skipf("%s lacks numpy or torch: %v", python, err)
	}
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
	want := "ok " + strconv.Itoa(len(g.m.vars))
	if !strings.Contains(string(out), want) {
		t.Errorf("read_weights.py output lacks %q", want)
	}
}
