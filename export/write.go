package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/tensor"
)

// ConfigFile is the JSON config the safetensors export writes beside the
// weights.
const ConfigFile = "config.json"

// WriteONNX writes each network as dir/<net>.onnx (generator.onnx;
// encoder.onnx and decoder.onnx) and the model card. The ONNX metadata
// carries the architecture and config, so a file that travels alone still
// says what it is.
func (m *Model) WriteONNX(dir string, p Provenance) error {
	nets, err := m.Nets()
	if err != nil {
		return err
	}
	config, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("onnx export: %w", err)
	}
	meta := map[string]string{
		"pipe.architecture":   m.Architecture(),
		"pipe.config":         string(config),
		"pipe.weights_sha256": m.WeightsSHA256,
	}
	card := m.newCard("onnx", p)
	card.ONNX = &CardONNX{Opset: ONNXOpset, IRVersion: ONNXIRVersion}
	for _, net := range nets {
		b, err := m.ONNX(net, p.PipeVersion, meta)
		if err != nil {
			return err
		}
		file := net.Name + ".onnx"
		if err := writeFile(filepath.Join(dir, file), b); err != nil {
			return fmt.Errorf("onnx export: %w", err)
		}
		card.Files = append(card.Files, m.netFile(net, file, b))
	}
	return WriteCard(dir, card)
}

// SafetensorsConfig is config.json: enough for a reader with only numpy and
// json to find each network's variables in model.safetensors and rebuild
// its forward.
type SafetensorsConfig struct {
	Format       string        `json:"format"` // "pipe-safetensors/1"
	Architecture string        `json:"architecture"`
	Config       Config        `json:"config"`
	Weights      string        `json:"weights"` // the file, model.safetensors
	DType        string        `json:"dtype"`   // F32
	Networks     []ConfigNet   `json:"networks"`
	Note         string        `json:"note"`
	Variables    []ConfigEntry `json:"variables"`
}

// ConfigNet is one network in config.json.
type ConfigNet struct {
	Name    string  `json:"name"`
	Prefix  string  `json:"prefix"` // its variables' names start with this
	Inputs  []Port  `json:"inputs"`
	Outputs []Port  `json:"outputs"`
	Layers  []Layer `json:"layers"`
	Doc     string  `json:"doc"`
}

// ConfigEntry lists a variable of model.safetensors.
type ConfigEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// WriteSafetensors writes every variable of the model (a GAN's
// discriminator too) as dir/model.safetensors, config.json describing the
// architecture and each exported network, and the model card. The weights
// keep pipe's metadata entry, so package torch's LoadGAN and LoadVAE (and
// through them gotch) load the directory as they load a training output.
func (m *Model) WriteSafetensors(dir string, p Provenance) error {
	nets, err := m.Nets()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, WeightsFile)
	meta := map[string]string{m.MetaKey: m.Meta}
	if err := tensor.WriteSafetensorsFile(path, m.Weights, meta); err != nil {
		return fmt.Errorf("safetensors export %s: %w", path, err)
	}

	cfg := SafetensorsConfig{
		Format: "pipe-safetensors/1", Architecture: m.Architecture(), Config: m.Config,
		Weights: WeightsFile, DType: "F32",
		Note: "each network's layers run in order on named values; a variable's full name is " +
			"the network's prefix followed by the name a layer lists; linear is x @ weight.T + bias, " +
			"convolutions and batch_norm follow PyTorch's conventions (NCHW, batch_norm in eval mode)",
	}
	for _, net := range nets {
		cfg.Networks = append(cfg.Networks, ConfigNet{Name: net.Name, Prefix: net.Prefix,
			Inputs: net.Inputs, Outputs: net.Outputs, Layers: net.Layers(m.Weights), Doc: net.Doc})
	}
	for _, name := range sortedNames(m.Weights) {
		cfg.Variables = append(cfg.Variables, ConfigEntry{name, m.Weights[name].Shape})
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("safetensors export: %w", err)
	}
	if err := writeFile(filepath.Join(dir, ConfigFile), append(b, '\n')); err != nil {
		return fmt.Errorf("safetensors export: %w", err)
	}

	card := m.newCard("safetensors", p)
	for _, f := range []string{WeightsFile, ConfigFile} {
		sum, err := fileSHA256(filepath.Join(dir, f))
		if err != nil {
			return fmt.Errorf("safetensors export: %w", err)
		}
		entry := ExportedFile{File: f, SHA256: sum}
		if f == WeightsFile {
			entry.Parameters = m.Parameters()
		}
		card.Files = append(card.Files, entry)
	}
	return WriteCard(dir, card)
}

// TorchScriptFile is the file each net's TorchScript module goes in.
func TorchScriptFile(net *Net) string { return net.Name + ".pt" }

// WriteTorchScriptCard writes the model card of a TorchScript export whose
// modules the caller has written as dir/<net>.pt (TorchScriptFile); it
// reads them back to hash them. Building the modules needs libtorch, which
// this package does not link (see torch.WriteTorchScript).
func (m *Model) WriteTorchScriptCard(dir string, p Provenance) error {
	nets, err := m.Nets()
	if err != nil {
		return err
	}
	card := m.newCard("torchscript", p)
	for _, net := range nets {
		file := TorchScriptFile(net)
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("torchscript export: %w", err)
		}
		card.Files = append(card.Files, m.netFile(net, file, b))
	}
	return WriteCard(dir, card)
}
