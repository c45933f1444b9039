package torch

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/tensor"
)

func smallGAN(arch, loss string) GANConfig {
	return GANConfig{
		Arch: arch, Loss: loss, Latent: 16, Features: 8, DSteps: 1,
		Training: Training{Batch: 32, Epochs: 2, LR: 2e-4, Seed: 7, Threads: 2},
	}
}

func TestTrainGANMLP(t *testing.T) {
	images := fashion(t, 640, false)
	cfg := GANConfig{
		Arch: "mlp", Loss: "bce", Latent: 100, DSteps: 1,
		Training: Training{Batch: 64, Epochs: 3, LR: 2e-4, Seed: 1, Threads: 2},
	}
	var calls, last int
	cfg.Progress = func(done, total int) { calls, last = calls+1, done }
	g, err := TrainGAN(context.Background(), images, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	if calls != 30 || last != 30 {
		t.Errorf("progress called %d times, last done %d; want 30, 30", calls, last)
	}
	if len(g.Losses) != 3 {
		t.Fatalf("got %d epochs of losses, want 3", len(g.Losses))
	}
	for _, l := range g.Losses {
		t.Logf("epoch %d: d_loss %.4f g_loss %.4f", l.Epoch, l.D, l.G)
		if !(l.D > 0 && l.G > 0) {
			t.Errorf("epoch %d: losses %v, %v; want positive BCE values", l.Epoch, l.D, l.G)
		}
	}

	dir := t.TempDir()
	if err := g.Save(dir); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, LossesFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 4 ||
		lines[0] != "epoch,d_loss,g_loss" {
		t.Errorf("losses.csv = %q, want a header and 3 rows", csv)
	}

	// A reloaded generator samples exactly what the trained one does.
	want, err := g.Sample(8, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s := want.Shape; len(s) != 4 || s[0] != 8 || s[1] != 1 || s[2] != 28 || s[3] != 28 {
		t.Fatalf("Sample(8) shape %v, want [8 1 28 28]", s)
	}
	for _, v := range want.Float32s() {
		if v < 0 || v > 1 {
			t.Fatalf("sample value %v outside [0, 1]", v)
		}
	}
	g2, err := LoadGAN(dir, cfg.Device)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	got, err := g2.Sample(8, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(want, got); d != 0 {
		t.Errorf("reloaded generator's samples differ by %g", d)
	}
}

func maxDiff(a, b *tensor.Tensor) float64 {
	x, y := a.Float64s(), b.Float64s()
	var worst float64
	for i := range x {
		worst = max(worst, math.Abs(x[i]-y[i]))
	}
	return worst
}

func TestTrainGANArchs(t *testing.T) {
	grey := fashion(t, 64, false)
	rgb := tensor.New(tensor.Uint8, 64, 3, 32, 32)
	for i := range rgb.Data {
		rgb.Data[i] = uint8(i * 7)
	}
	for _, tc := range []struct {
		name   string
		images *tensor.Tensor
		cfg    GANConfig
	}{
		{"mlp/wgan-gp", grey, smallGAN("mlp", "wgan-gp")},
		{"dcgan28/bce", grey, smallGAN("dcgan", "bce")},
		{"dcgan28/wgan-gp", grey, smallGAN("dcgan", "wgan-gp")},
		{"dcgan32rgb/bce", rgb, smallGAN("dcgan", "bce")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Epochs = 1
			tc.cfg.DSteps = 2
			g, err := TrainGAN(context.Background(), tc.images, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			l := g.Losses[0]
			t.Logf("d_loss %.4f g_loss %.4f", l.D, l.G)
			s, err := g.Sample(4, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]int{4}, g.shape.ints()...)
			if !equalInts(s.Shape, want) {
				t.Errorf("Sample(4) shape %v, want %v", s.Shape, want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
