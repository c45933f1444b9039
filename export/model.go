package export

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pipe-ml/pipe/tensor"
)

// WeightsFile is the file package torch saves a trained model in, and the
// file Load reads. It is torch.WeightsFile; the name is repeated here so
// that this package need not link libtorch.
const WeightsFile = "model.safetensors"

// The metadata keys package torch stores the architecture under.
const (
	ganMetaKey = "pipe.gan"
	vaeMetaKey = "pipe.vae"
	lmMetaKey  = "pipe.lm"
)

// Config is the architecture of a saved model, as package torch records it
// in the safetensors metadata. Fields a kind does not use are zero.
type Config struct {
	Arch     string `json:"arch"`               // gan: mlp or dcgan; vae: mlp or conv
	Latent   int    `json:"latent,omitempty"`   // latent vector size (gan, vae)
	Features int    `json:"features,omitempty"` // gan: dcgan's base channel count
	Hidden   int    `json:"hidden,omitempty"`   // vae: mlp's hidden layer
	Loss     string `json:"loss,omitempty"`     // gan: bce or wgan-gp
	Shape    [3]int `json:"shape,omitzero"`     // images: channels, height, width

	// The language model's (arch gpt, GPT-2's layout).
	Vocab   int     `json:"vocab,omitempty"`
	Context int     `json:"context,omitempty"` // the longest sequence it reads
	Dim     int     `json:"dim,omitempty"`
	Layers  int     `json:"layers,omitempty"`
	Heads   int     `json:"heads,omitempty"`
	FFN     int     `json:"ffn,omitempty"`
	Dropout float64 `json:"dropout,omitempty"` // training only; exports run without it
}

// Model is a trained model read from disk: its kind, architecture and
// every variable by name (the discriminator's too, for a GAN).
type Model struct {
	Kind    string // "gan", "vae" or "lm"
	Config  Config
	Weights map[string]*tensor.Tensor

	// MetaKey and Meta are the metadata entry the model was saved with,
	// kept verbatim so that an exported safetensors file loads back into
	// pipe (torch.LoadGAN, torch.LoadVAE).
	MetaKey, Meta string

	// WeightsSHA256 is the hash of the file Load read.
	WeightsSHA256 string
}

// Load reads the model that package torch saved in dir (WeightsFile).
func Load(dir string) (*Model, error) {
	path := filepath.Join(dir, WeightsFile)
	weights, meta, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m := &Model{Weights: weights, WeightsSHA256: sum}
	switch {
	case meta[ganMetaKey] != "":
		m.Kind, m.MetaKey = "gan", ganMetaKey
	case meta[vaeMetaKey] != "":
		m.Kind, m.MetaKey = "vae", vaeMetaKey
	case meta[lmMetaKey] != "":
		m.Kind, m.MetaKey = "lm", lmMetaKey
	default:
		return nil, fmt.Errorf(
			"load model %s: no %q, %q or %q metadata: not a GAN, VAE or LM saved by pipe",
			path,
			ganMetaKey,
			vaeMetaKey,
			lmMetaKey,
		)
	}
	m.Meta = meta[m.MetaKey]
	if err := json.Unmarshal([]byte(m.Meta), &m.Config); err != nil {
		return nil, fmt.Errorf("load model %s: metadata %s: %w", path, m.MetaKey, err)
	}
	if m.Kind == "lm" {
		m.Config.Arch = "gpt" // package torch records no arch: it has one
	}
	for name, t := range weights {
		if t.DType != tensor.Float32 {
			return nil, fmt.Errorf("load model %s: %s is %s, want F32", path, name, t.DType)
		}
	}
	if _, err := m.Nets(); err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// Architecture names the model for people and for the exported config:
// "gan/mlp", "vae/conv".
func (m *Model) Architecture() string { return m.Kind + "/" + m.Config.Arch }

// Parameters counts the trainable values of every network in the model.
// Batch norm's running statistics are state, not parameters, and are not
// counted (PyTorch's parameters() leaves them out too).
func (m *Model) Parameters() int {
	n := 0
	for name, t := range m.Weights {
		if !isBuffer(name) {
			n += t.NumElements()
		}
	}
	return n
}

// isBuffer reports whether a variable is state the optimizer leaves alone.
func isBuffer(name string) bool {
	return strings.HasSuffix(name, ".running_mean") || strings.HasSuffix(name, ".running_var")
}

// Nets describes the networks the model exports: the generator of a GAN,
// the encoder and decoder of a VAE. It checks that every variable the nets
// use is there with the expected rank, and that the nets use every
// variable under their prefixes, so that a change to the networks in
// package torch that this package has not followed fails here rather than
// in someone else's runtime.
func (m *Model) Nets() ([]*Net, error) {
	c := m.Config
	if m.Kind == "lm" {
		if err := c.checkLM(); err != nil {
			return nil, err
		}
	} else if c.Latent < 1 || c.Shape[0] < 1 || c.Shape[1] < 1 || c.Shape[2] < 1 {
		return nil, fmt.Errorf("%s: latent %d and image shape %v must be positive",
			m.Architecture(), c.Latent, c.Shape)
	}
	var nets []*Net
	switch m.Architecture() {
	case "lm/gpt":
		nets = []*Net{lmNet(c)}
	case "gan/mlp":
		nets = []*Net{mlpGenerator(c)}
	case "gan/dcgan":
		g, err := dcganGenerator(c)
		if err != nil {
			return nil, err
		}
		nets = []*Net{g}
	case "vae/mlp":
		nets = []*Net{mlpEncoder(c), mlpDecoder(c)}
	case "vae/conv":
		if c.Shape[1]%4 != 0 || c.Shape[2]%4 != 0 {
			return nil, fmt.Errorf("conv vae takes sizes divisible by 4, got %dx%d", c.Shape[1], c.Shape[2])
		}
		nets = []*Net{convEncoder(c), convDecoder(c)}
	default:
		return nil, fmt.Errorf(
			"architecture %s: pipe exports gan/mlp, gan/dcgan, vae/mlp, vae/conv and lm/gpt",
			m.Architecture(),
		)
	}
	for _, n := range nets {
		if err := n.check(m.Weights); err != nil {
			return nil, fmt.Errorf("%s %s: %w", m.Architecture(), n.Name, err)
		}
	}
	if err := m.checkShapes(); err != nil {
		return nil, err
	}
	return nets, nil
}

// Tensors returns the variables net uses, named as in the exported files
// (without the net's prefix: "fc1.weight"), in the order its operations
// first use them.
func (n *Net) Tensors(weights map[string]*tensor.Tensor) []Named {
	var out []Named
	seen := map[string]bool{}
	for _, o := range n.ops {
		for _, name := range o.params() {
			if !seen[name] {
				seen[name] = true
				if t, ok := weights[n.Prefix+name]; ok {
					out = append(out, Named{name, t, isBuffer(name)})
				}
			}
		}
	}
	return out
}

// Named is one variable of an exported network.
type Named struct {
	Name   string
	T      *tensor.Tensor
	Buffer bool // batch norm's running statistics
}

// check verifies the variables under n.Prefix against what n's operations
// use.
func (n *Net) check(weights map[string]*tensor.Tensor) error {
	used := map[string]bool{}
	for _, o := range n.ops {
		for i, name := range o.params() {
			t, ok := weights[n.Prefix+name]
			optional := o.kind == opConv || o.kind == opConvT
			if !ok && optional && i == 1 {
				continue // convolutions without bias (DCGAN's)
			}
			if !ok {
				return fmt.Errorf("no variable %s%s", n.Prefix, name)
			}
			if want := o.rank(name); len(t.Shape) != want {
				return fmt.Errorf("%s%s has shape %v, want %d dimensions", n.Prefix, name, t.Shape, want)
			}
			used[name] = true
		}
	}
	var extra []string
	for name := range weights {
		if rest, ok := strings.CutPrefix(name, n.Prefix); ok && !used[rest] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("variables %s are not used by the exported forward", strings.Join(extra, ", "))
	}
	return nil
}

func sortedNames(weights map[string]*tensor.Tensor) []string {
	names := make([]string, 0, len(weights))
	for name := range weights {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
