package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/tensor"
)

func loadCase(t *testing.T, name string) *Model {
	t.Helper()
	m, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestNetsRejectDrift checks that Nets notices weights that do not match
// the architecture it describes: what happens when package torch changes
// a network and this package does not follow.
func TestNetsRejectDrift(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(m *Model)
		errHas string
	}{
		{"missing bias", func(m *Model) { delete(m.Weights, "g.fc2.bias") }, "no variable g.fc2.bias"},
		{
			"unused variable",
			func(m *Model) { m.Weights["g.fc4.weight"] = tensor.New(tensor.Float32, 2, 2) },
			"variables g.fc4.weight are not used",
		},
		{"wrong rank", func(m *Model) { m.Weights["g.fc1.weight"] = tensor.New(tensor.Float32, 4096) },
			"g.fc1.weight has shape [4096], want 2 dimensions"},
		{"unknown arch", func(m *Model) { m.Config.Arch = "resnet" }, "architecture gan/resnet"},
		{"dcgan size", func(m *Model) { m.Config.Arch, m.Config.Shape = "dcgan", [3]int{1, 64, 64} },
			"dcgan takes 28x28 or 32x32 images, got 64x64"},
		{"no latent", func(m *Model) { m.Config.Latent = 0 }, "must be positive"},
		{"latent disagrees", func(m *Model) { m.Config.Latent = 17 },
			"g.fc1.weight has shape [256 16], the config implies [256 17]"},
		{"image size disagrees", func(m *Model) { m.Config.Shape = [3]int{1, 28, 28} },
			"g.fc3.weight has shape [64 512], the config implies [784 512]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := loadCase(t, "gan-mlp")
			tt.edit(m)
			_, err := m.Nets()
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("Nets() = %v, want an error containing %q", err, tt.errHas)
			}
		})
	}
}

// TestLMContextChecked: the ONNX export holds a Context×Context mask, so a
// context the weights do not back must be refused, not allocated.
func TestLMContextChecked(t *testing.T) {
	m := loadCase(t, "lm")
	m.Config.Context = 1 << 20
	_, err := m.Nets()
	if err == nil ||
		!strings.Contains(err.Error(), "wpe.weight has shape [16 32], the config implies [1048576 32]") {
		t.Errorf("Nets() with context 2^20 = %v, want the wpe shape refused", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), WeightsFile) {
		t.Errorf("Load(empty dir) = %v, want an error naming %s", err, WeightsFile)
	}
	w := map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 1)}
	if err := tensor.WriteSafetensorsFile(filepath.Join(dir, WeightsFile), w, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil ||
		!strings.Contains(err.Error(), "not a GAN, VAE or LM saved by pipe") {
		t.Errorf("Load(no metadata) = %v, want an error saying it is not pipe's", err)
	}
}

// TestParameters counts vae-mlp's parameters by hand: encoder 784·32+32,
// 32·4+4 twice; decoder 4·32+32, 32·784+784.
func TestParameters(t *testing.T) {
	m := loadCase(t, "vae-mlp")
	if got, want := m.Parameters(), 25120+132+132+160+25872; got != want {
		t.Errorf("Parameters() = %d, want %d", got, want)
	}
	// Batch norm's running statistics are not parameters: dcgan28's
	// generator has 16·8·49 + 8·4·16 + 4·16 weights and 2·(8+4) affine ones.
	m = loadCase(t, "gan-dcgan28")
	if got, want := m.Parameters(), 6272+512+64+24; got != want {
		t.Errorf("dcgan28 Parameters() = %d, want %d", got, want)
	}
	// The LM (vocab 11, context 16, width 32, ffn 128, 2 blocks): the
	// embeddings 11·32 + 16·32; per block two layer norms 2·64, qkv
	// 32·96+96, proj 32·32+32, fc1 32·128+128, fc2 128·32+32; final norm 64.
	m = loadCase(t, "lm")
	if got, want := m.Parameters(), 352+512+2*(128+3168+1056+4224+4128)+64; got != want {
		t.Errorf("lm Parameters() = %d, want %d", got, want)
	}
}

func TestWriteONNXCard(t *testing.T) {
	m := loadCase(t, "vae-conv")
	dir := t.TempDir()
	p := Provenance{PipeVersion: "v-test", TrainStage: "vae", TrainKind: "train/vae",
		Dataset: &Dataset{Stage: "data", Kind: "dataset/idx", Images: 48, Shape: []int{1, 12, 12}},
		Metrics: map[string]float64{"loss": 1.5}}
	if err := m.WriteONNX(dir, p); err != nil {
		t.Fatal(err)
	}
	var card Card
	readJSON(t, filepath.Join(dir, CardFile), &card)
	if card.Format != "onnx" || card.Architecture != "vae/conv" || card.ONNX == nil ||
		card.ONNX.Opset != 17 {
		t.Errorf("card = %+v, want an onnx vae/conv card with opset 17", card)
	}
	if card.PipeVersion != "v-test" || card.Training.Kind != "train/vae" ||
		card.Metrics["loss"] != 1.5 ||
		card.Dataset == nil || card.Dataset.Images != 48 ||
		len(card.Training.WeightsSHA256) != 64 {
		t.Errorf("card provenance = %+v", card)
	}
	if len(card.Files) != 2 || card.Files[0].File != "encoder.onnx" ||
		card.Files[1].File != "decoder.onnx" {
		t.Fatalf("card files = %+v, want encoder.onnx and decoder.onnx", card.Files)
	}
	sum := 0
	for _, f := range card.Files {
		if _, err := os.Stat(filepath.Join(dir, f.File)); err != nil {
			t.Error(err)
		}
		sum += f.Parameters
	}
	if sum != card.Parameters {
		t.Errorf("files hold %d parameters, the card says the model has %d", sum, card.Parameters)
	}
	raw, err := os.ReadFile(filepath.Join(dir, CardFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"shape": [
            "batch",`) {
		t.Errorf("card does not give the batch dimension as \"batch\":\n%s", raw)
	}
}

// TestWriteSafetensors checks that the export reloads with the same
// variables and that config.json lists them.
func TestWriteSafetensors(t *testing.T) {
	m := loadCase(t, "gan-dcgan32")
	dir := t.TempDir()
	if err := m.WriteSafetensors(dir, Provenance{PipeVersion: "v-test"}); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Meta != m.Meta || len(back.Weights) != len(m.Weights) {
		t.Errorf(
			"reloaded export: meta %q and %d variables, want %q and %d",
			back.Meta,
			len(back.Weights),
			m.Meta,
			len(m.Weights),
		)
	}
	for name, w := range m.Weights {
		if string(back.Weights[name].Data) != string(w.Data) {
			t.Errorf("variable %s changed in the export", name)
		}
	}
	var cfg SafetensorsConfig
	readJSON(t, filepath.Join(dir, ConfigFile), &cfg)
	if cfg.Architecture != "gan/dcgan" || cfg.Config.Shape != [3]int{3, 32, 32} ||
		len(cfg.Variables) != len(m.Weights) {
		t.Errorf("config.json = %+v", cfg)
	}
	if len(cfg.Networks) != 1 || cfg.Networks[0].Prefix != "g." || len(cfg.Networks[0].Layers) != 12 {
		t.Errorf("config.json networks = %+v, want the generator under g. with 12 layers", cfg.Networks)
	}
}

// TestTorchScriptSource compares the generated forward of every fixture's
// nets with testdata/<case>/<net>.ts.golden.
func TestTorchScriptSource(t *testing.T) {
	for _, c := range cases {
		m := loadCase(t, c)
		nets, err := m.Nets()
		if err != nil {
			t.Fatal(err)
		}
		for _, net := range nets {
			got := m.TorchScript(net)
			golden := filepath.Join("testdata", c, net.Name+".ts.golden")
			if *update {
				writeTestFile(t, golden, []byte(got))
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf(
					"TorchScript of %s %s differs from %s:\n%s",
					c,
					net.Name,
					golden,
					lineDiff(string(want), got),
				)
			}
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestWriteONNXCardLM(t *testing.T) {
	m := loadCase(t, "lm")
	dir := t.TempDir()
	if err := m.WriteONNX(dir, Provenance{PipeVersion: "v-test", TrainKind: "train/lm"}); err != nil {
		t.Fatal(err)
	}
	var card Card
	readJSON(t, filepath.Join(dir, CardFile), &card)
	if card.Architecture != "lm/gpt" || len(card.Files) != 1 || card.Files[0].File != "lm.onnx" ||
		card.Config.Vocab != 11 || card.Config.Context != 16 {
		t.Fatalf("card = %+v, want lm/gpt with lm.onnx, vocab 11, context 16", card)
	}
	in := card.Files[0].Inputs[0]
	if in.Name != "ids" || !in.Int64 || len(in.Shape) != 2 || in.Shape[0] != -1 || in.Shape[1] != -1 {
		t.Errorf("card input = %+v, want int64 ids [batch, sequence]", in)
	}
	if card.Files[0].Parameters != card.Parameters {
		t.Errorf("lm.onnx holds %d parameters, the model %d", card.Files[0].Parameters, card.Parameters)
	}
}
