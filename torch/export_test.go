package torch

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/export"
	"github.com/pipe-ml/pipe/tensor"
)

// With -export.fixtures the test rewrites ../export/testdata (or
// -export.dir): per case, the exported networks' weights, inputs and pipe's
// outputs (committed), and each net's ONNX and TorchScript files (not
// committed; check_onnx.mjs and check_torchscript.py read them).
// -export.full adds cases at the article's sizes, too large to commit.
var (
	writeExportFixtures = flag.Bool(
		"export.fixtures",
		false,
		"write export fixtures from freshly trained models",
	)
	exportDir = flag.String(
		"export.dir",
		filepath.Join("..", "export", "testdata"),
		"where -export.fixtures writes",
	)
	exportFull = flag.Bool("export.full", false, "also export models at the article's sizes")
)

// exportCase is a small model trained for a few steps, so that batch norm's
// running statistics and the weights are not their initial values.
type exportCase struct {
	name  string
	gan   *GANConfig
	vae   *VAEConfig
	shape []int // C, H, W of the training images

	// Other models (export_lm_test.go) train and run through these.
	train   func(t *testing.T, dir string)
	forward func(t *testing.T, dir string, in map[string]*tensor.Tensor) map[string]*tensor.Tensor
}

// moreExportCases and moreFullExportCases are filled by other files' init
// functions, so that a model's export test lives beside nothing it does
// not need.
var moreExportCases, moreFullExportCases []exportCase

func exportCases() []exportCase {
	tr := Training{Batch: 16, Epochs: 1, LR: 1e-3, Seed: 7}
	return []exportCase{
		// The article's MLP generator keeps its 256 and 512 hidden layers;
		// small images keep the fixture small.
		{
			name:  "gan-mlp",
			gan:   &GANConfig{Arch: "mlp", Latent: 16, Loss: "bce", Training: tr},
			shape: []int{1, 8, 8},
		},
		{
			name:  "gan-dcgan28",
			gan:   &GANConfig{Arch: "dcgan", Latent: 16, Features: 4, Loss: "bce", Training: tr},
			shape: []int{1, 28, 28},
		},
		{
			name:  "gan-dcgan32",
			gan:   &GANConfig{Arch: "dcgan", Latent: 16, Features: 4, Loss: "bce", Training: tr},
			shape: []int{3, 32, 32},
		},
		{
			name:  "vae-mlp",
			vae:   &VAEConfig{Arch: "mlp", Latent: 4, Hidden: 32, Recon: "mse", Beta: 1, Training: tr},
			shape: []int{1, 28, 28},
		},
		{
			name:  "vae-conv",
			vae:   &VAEConfig{Arch: "conv", Latent: 4, Recon: "bce", Beta: 1, Training: tr},
			shape: []int{1, 12, 12},
		},
	}
}

// fullExportCases are the article's MLP GAN and VAE and the DCGAN at
// their default sizes on 28x28 images.
func fullExportCases() []exportCase {
	tr := Training{Batch: 16, Epochs: 1, LR: 1e-3, Seed: 7}
	return []exportCase{
		{
			name:  "full-gan-mlp",
			gan:   &GANConfig{Arch: "mlp", Loss: "bce", Training: tr},
			shape: []int{1, 28, 28},
		},
		{
			name:  "full-gan-dcgan",
			gan:   &GANConfig{Arch: "dcgan", Loss: "bce", Training: tr},
			shape: []int{1, 28, 28},
		},
		{
			name:  "full-vae-mlp",
			vae:   &VAEConfig{Arch: "mlp", Recon: "mse", Beta: 1, Training: tr},
			shape: []int{1, 28, 28},
		},
		{
			name:  "full-vae-conv",
			vae:   &VAEConfig{Arch: "conv", Recon: "bce", Beta: 1, Training: tr},
			shape: []int{1, 28, 28},
		},
	}
}

// randomF32 draws n values uniformly from [lo, hi) with a fixed seed.
func randomF32(seed uint64, lo, hi float32, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	t := tensor.New(tensor.Float32, shape...)
	v := unsafe.Slice((*float32)(unsafe.Pointer(&t.Data[0])), t.NumElements())
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

// trainExportCase trains c and saves it in dir.
func trainExportCase(t *testing.T, c exportCase, dir string) {
	t.Helper()
	var err error
	if c.train != nil {
		c.train(t, dir)
		return
	}
	images := randomF32(1, 0, 1, append([]int{48}, c.shape...)...)
	if c.gan != nil {
		var g *GAN
		g, err = TrainGAN(context.Background(), images, *c.gan)
		if err == nil {
			defer g.Close()
			err = g.Save(dir)
		}
	} else {
		var v *VAE
		v, err = TrainVAE(context.Background(), images, *c.vae)
		if err == nil {
			defer v.Close()
			err = v.Save(dir)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// forward runs pipe's own forward pass of net on inputs by name and returns
// its outputs by name.
func forward(
	t *testing.T,
	c exportCase,
	dir string,
	net *export.Net,
	in map[string]*tensor.Tensor,
) map[string]*tensor.Tensor {
	t.Helper()
	if c.forward != nil {
		return c.forward(t, dir, in)
	}
	out := map[string]*tensor.Tensor{}
	var err error
	switch net.Name {
	case "generator":
		g, lerr := LoadGAN(dir, gotch.CPU)
		if lerr != nil {
			t.Fatal(lerr)
		}
		defer g.Close()
		out["images"], err = g.Generate(in["z"])
	case "encoder", "decoder":
		v, lerr := LoadVAE(dir, gotch.CPU)
		if lerr != nil {
			t.Fatal(lerr)
		}
		defer v.Close()
		if net.Name == "encoder" {
			out["mu"], out["logvar"], err = v.Encode(in["images"])
		} else {
			out["images"], err = v.Decode(in["z"])
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// netInputs draws a batch of 5 inputs for net: latent vectors from
// N(0, 1)-like values in [-2, 2), images in [0, 1), token ids below vocab,
// rows as long as the context (the check scripts also run prefixes).
func netInputs(net *export.Net, vocab, context int) map[string]*tensor.Tensor {
	in := map[string]*tensor.Tensor{}
	for i, p := range net.Inputs {
		shape := append([]int{5}, p.Shape[1:]...)
		if p.Int64 {
			r := rand.New(rand.NewPCG(30, 1))
			ids := make([]int64, 5*context)
			for k := range ids {
				ids[k] = r.Int64N(int64(vocab))
			}
			in[p.Name] = tensor.FromInt64(ids, 5, context)
		} else if p.Name == "z" {
			in[p.Name] = randomF32(uint64(10+i), -2, 2, shape...)
		} else {
			in[p.Name] = randomF32(uint64(20+i), 0, 1, shape...)
		}
	}
	return in
}

func scriptVars(m *export.Model, net *export.Net) []ScriptVar {
	var vars []ScriptVar
	for _, v := range net.Tensors(m.Weights) {
		vars = append(vars, ScriptVar{Name: v.Name, T: v.T, Buffer: v.Buffer})
	}
	return vars
}

// runScript loads a TorchScript file with gotch's ts.ModuleLoad and runs
// its forward on the inputs, in net's input order; a tuple result is
// unpacked in net's output order.
func runScript(
	t *testing.T,
	path string,
	net *export.Net,
	in map[string]*tensor.Tensor,
) map[string]*tensor.Tensor {
	t.Helper()
	defer session()()
	mod, err := ts.ModuleLoad(path)
	if err != nil {
		t.Fatalf("ts.ModuleLoad(%s): %v", path, err)
	}
	defer mod.Drop()
	guard := ts.NewNoGradGuard()
	defer guard.Drop()
	var a arena
	defer a.free()

	var args []ts.IValue
	for _, p := range net.Inputs {
		var x *ts.Tensor
		var err error
		if p.Int64 {
			v := in[p.Name]
			x, err = ts.OfSlice(v.Int64s())
			if err == nil {
				x = x.MustView([]int64{int64(v.Shape[0]), int64(v.Shape[1])}, true)
			}
		} else {
			x, err = fromTensor(in[p.Name], gotch.CPU)
		}
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, *ts.NewIValue(*a.add(x)))
	}
	// gotch v0.7.0 unpacks a returned tuple into a malloc(0) block; glibc's
	// smallest block holds the encoder's two pointers, no more.
	res, err := mod.ForwardIs(args)
	if err != nil {
		t.Fatalf("forward of %s: %v", path, err)
	}
	out := map[string]*tensor.Tensor{}
	switch v := res.Value().(type) {
	case ts.Tensor:
		out[net.Outputs[0].Name] = toTensor(a.add(&v))
	case []ts.Tensor:
		for i := range v {
			out[net.Outputs[i].Name] = toTensor(a.add(&v[i]))
		}
	default:
		t.Fatalf("forward of %s returned %T", path, v)
	}
	return out
}

func exportDiff(t *testing.T, a, b *tensor.Tensor) float64 {
	t.Helper()
	if fmt.Sprint(a.Shape) != fmt.Sprint(b.Shape) {
		t.Fatalf("shapes %v and %v differ", a.Shape, b.Shape)
	}
	av, bv := a.Float32s(), b.Float32s()
	d := 0.0
	for i := range av {
		d = math.Max(d, math.Abs(float64(av[i])-float64(bv[i])))
	}
	return d
}

// TestExportTorchScript builds each exported network as a TorchScript
// module through libtorch's C++ API, loads it back with gotch's
// ts.ModuleLoad and checks its forward against pipe's on the same inputs.
// With -export.fixtures it also rewrites ../export/testdata.
func TestExportTorchScript(t *testing.T) {
	cases := append(exportCases(), moreExportCases...)
	if *exportFull {
		cases = append(append(cases, fullExportCases()...), moreFullExportCases...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			trainExportCase(t, c, dir)
			m, err := export.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			nets, err := m.Nets()
			if err != nil {
				t.Fatal(err)
			}
			fixtures := map[string]*tensor.Tensor{}
			for _, net := range nets {
				in := netInputs(net, m.Config.Vocab, m.Config.Context)
				want := forward(t, c, dir, net, in)
				path := filepath.Join(dir, net.Name+".pt")
				if err := WriteTorchScript(path, m.ScriptClass(net), m.TorchScript(net), scriptVars(m,
					net)); err != nil {
					t.Fatal(err)
				}
				got := runScript(t, path, net, in)
				for _, p := range net.Outputs {
					d := exportDiff(t, got[p.Name], want[p.Name])
					t.Logf("%s %s: max abs diff %.3g against pipe's forward", net.Name, p.Name, d)
					if d > 1e-5 {
						t.Errorf(
							"%s %s: TorchScript differs from pipe's forward by %g, want <= 1e-5",
							net.Name,
							p.Name,
							d,
						)
					}
				}
				for k, v := range in {
					fixtures[net.Name+"."+k] = v
				}
				for k, v := range want {
					fixtures[net.Name+"."+k] = v
				}
			}
			if *writeExportFixtures {
				writeExportCase(t, c.name, m, nets, fixtures, dir)
			}
		})
	}
}

// writeExportCase writes <-export.dir>/<name>: model.safetensors with only
// the exported networks' variables, io.safetensors with inputs and pipe's
// outputs, the ONNX and TorchScript files, and the safetensors export in
// safetensors/.
func writeExportCase(
	t *testing.T,
	name string,
	m *export.Model,
	nets []*export.Net,
	io map[string]*tensor.Tensor,
	built string,
) {
	t.Helper()
	dir := filepath.Join(*exportDir, name)
	if err := os.MkdirAll(filepath.Join(dir, "safetensors"), 0o755); err != nil {
		t.Fatal(err)
	}
	weights := map[string]*tensor.Tensor{}
	for _, net := range nets {
		for _, v := range net.Tensors(m.Weights) {
			weights[net.Prefix+v.Name] = v.T
		}
	}
	meta := map[string]string{m.MetaKey: m.Meta}
	if err := tensor.WriteSafetensorsFile(filepath.Join(dir, export.WeightsFile), weights,
		meta); err != nil {
		t.Fatal(err)
	}
	if err := tensor.WriteSafetensorsFile(filepath.Join(dir, "io.safetensors"), io, nil); err != nil {
		t.Fatal(err)
	}
	// The whole export/safetensors output, for read_safetensors.py.
	if err := m.WriteSafetensors(filepath.Join(dir, "safetensors"), export.Provenance{}); err != nil {
		t.Fatal(err)
	}
	for _, net := range nets {
		b, err := os.ReadFile(filepath.Join(built, net.Name+".pt"))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, net.Name+".pt"), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		if b, err = m.ONNX(net, "fixture", nil); err == nil {
			err = os.WriteFile(filepath.Join(dir, net.Name+".onnx"), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteTorchScriptErrors: a source that does not compile and a
// variable of the wrong type come back as errors, not a crash, and leave
// no file behind.
func TestWriteTorchScriptErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.pt")
	w := []ScriptVar{{Name: "fc.weight", T: randomF32(1, 0, 1, 2, 3)}}
	for _, tc := range []struct {
		name, src string
		vars      []ScriptVar
		want      string
	}{
		{"unknown attribute", "def forward(self, x):\n    return self.fc.bias\n", w, "bias"},
		{"syntax", "def forward(self, x)\n    return x\n", w, "expected"},
		{"float64", "def forward(self, x):\n    return x\n",
			[]ScriptVar{{Name: "w", T: tensor.FromFloat64([]float64{1}, 1)}}, "want non-empty f32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteTorchScript(path, "pipe.Test", tc.src, tc.vars)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Errorf("WriteTorchScript = %v, want an error containing %q", err, tc.want)
			}
			if _, serr := os.Stat(path); !os.IsNotExist(serr) {
				t.Errorf("%s exists after a failed write", path)
			}
		})
	}
}
