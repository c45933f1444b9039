package torch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/pipe-ml/pipe/tensor"
)

// The files Save writes into its directory.
const (
	// WeightsFile holds every variable as safetensors, with the architecture
	// in the metadata so that LoadGAN and LoadVAE can rebuild the model.
	WeightsFile = "model.safetensors"
	// VarStoreFile is gotch's VarStore format, a TorchScript archive that
	// Python's torch.jit.load opens; names are the same as in WeightsFile.
	VarStoreFile = "model.pt"
	// LossesFile has one row of mean losses per epoch.
	LossesFile = "losses.csv"
)

const (
	ganMetaKey = "pipe.gan"
	vaeMetaKey = "pipe.vae"
)

// Save writes the GAN's weights (WeightsFile, VarStoreFile) and per-epoch
// losses (LossesFile: epoch, d_loss, g_loss) into dir.
func (g *GAN) Save(dir string) error {
	var csv bytes.Buffer
	csv.WriteString("epoch,d_loss,g_loss\n")
	for _, l := range g.Losses {
		fmt.Fprintf(&csv, "%d,%s,%s\n", l.Epoch, ftoa(l.D), ftoa(l.G))
	}
	return saveModel(dir, g.m, ganMetaKey, g.cfg.meta(g.shape), csv.Bytes())
}

// Save writes the VAE's weights (WeightsFile, VarStoreFile) and per-epoch
// losses (LossesFile: epoch, loss, recon, kl) into dir.
func (v *VAE) Save(dir string) error {
	var csv bytes.Buffer
	csv.WriteString("epoch,loss,recon,kl\n")
	for _, l := range v.Losses {
		fmt.Fprintf(&csv, "%d,%s,%s,%s\n", l.Epoch, ftoa(l.Loss), ftoa(l.Recon), ftoa(l.KL))
	}
	return saveModel(dir, v.m, vaeMetaKey, v.cfg.meta(v.shape), csv.Bytes())
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func saveModel(dir string, m *model, key string, meta any, losses []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	out := make(map[string]*tensor.Tensor, len(m.vars))
	for _, v := range m.vars {
		out[v.name] = toTensor(v.t)
	}
	path := filepath.Join(dir, WeightsFile)
	if err := tensor.WriteSafetensorsFile(path, out, map[string]string{key: string(js)}); err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}

	// gotch's VarStore.Save walks a Go map, so its files differ from run
	// to run in tensor order; the same tensors in the model's own order
	// give the same bytes for the same weights. The file is written under
	// its final name (libtorch names the archive's root after it) in a
	// temporary directory inside dir, so the rename is atomic.
	path = filepath.Join(dir, VarStoreFile)
	tmpDir, err := os.MkdirTemp(dir, ".varstore-")
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	named := make([]ts.NamedTensor, len(m.vars))
	for i, v := range m.vars {
		named[i] = ts.NamedTensor{Name: v.name, Tensor: v.t}
	}
	tmp := filepath.Join(tmpDir, VarStoreFile)
	if err := ts.SaveMultiNew(named, tmp); err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save model: %w", err)
	}

	path = filepath.Join(dir, LossesFile)
	if err := os.WriteFile(path, losses, 0o644); err != nil {
		return fmt.Errorf("save losses %s: %w", path, err)
	}
	return nil
}

// LoadGAN rebuilds a GAN saved by Save in dir, on dev, from WeightsFile.
// Its Losses are empty.
func LoadGAN(dir string, dev gotch.Device) (*GAN, error) {
	var meta ganMeta
	weights, err := readWeights(dir, ganMetaKey, &meta)
	if err != nil {
		return nil, err
	}
	defer session()()
	g, err := newGAN(meta, defaultDevice(dev), 0)
	if err != nil {
		return nil, fmt.Errorf("load gan %s: %w", dir, err)
	}
	if err := loadVars(g.m, weights); err != nil {
		g.Close()
		return nil, fmt.Errorf("load gan %s: %w", dir, err)
	}
	return g, nil
}

// LoadVAE rebuilds a VAE saved by Save in dir, on dev, from WeightsFile.
// Its Losses are empty.
func LoadVAE(dir string, dev gotch.Device) (*VAE, error) {
	var meta vaeMeta
	weights, err := readWeights(dir, vaeMetaKey, &meta)
	if err != nil {
		return nil, err
	}
	defer session()()
	v, err := newVAE(meta, defaultDevice(dev), 0)
	if err != nil {
		return nil, fmt.Errorf("load vae %s: %w", dir, err)
	}
	if err := loadVars(v.m, weights); err != nil {
		v.Close()
		return nil, fmt.Errorf("load vae %s: %w", dir, err)
	}
	return v, nil
}

func defaultDevice(dev gotch.Device) gotch.Device {
	if dev.Name == "" {
		return gotch.CPU
	}
	return dev
}

func readWeights(dir, key string, meta any) (map[string]*tensor.Tensor, error) {
	path := filepath.Join(dir, WeightsFile)
	weights, md, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	js, ok := md[key]
	if !ok {
		return nil, fmt.Errorf(
			"load model %s: no %q metadata: not written by this model's Save",
			path,
			key,
		)
	}
	if err := json.Unmarshal([]byte(js), meta); err != nil {
		return nil, fmt.Errorf("load model %s: metadata: %w", path, err)
	}
	return weights, nil
}

func loadVars(m *model, weights map[string]*tensor.Tensor) error {
	if len(weights) != len(m.vars) {
		return fmt.Errorf("%d tensors, the model has %d", len(weights), len(m.vars))
	}
	targets := make(map[string]*ts.Tensor, len(m.vars))
	for _, v := range m.vars {
		targets[v.name] = v.t
	}
	return copyInto(targets, weights)
}

// Save writes the classifier's weights (WeightsFile, VarStoreFile) and
// per-epoch training loss and batch accuracy (LossesFile: epoch, loss,
// accuracy) into dir.
func (c *Classifier) Save(dir string) error {
	var csv bytes.Buffer
	csv.WriteString("epoch,loss,accuracy\n")
	for _, l := range c.Losses {
		fmt.Fprintf(&csv, "%d,%s,%s\n", l.Epoch, ftoa(l.Loss), ftoa(l.Accuracy))
	}
	return saveModel(dir, c.m, classifierMetaKey, c.cfg.meta(c.shape), csv.Bytes())
}

// LoadClassifier rebuilds a classifier saved by Save in dir, on dev, from
// WeightsFile. Its Losses are empty.
func LoadClassifier(dir string, dev gotch.Device) (*Classifier, error) {
	var meta classifierMeta
	weights, err := readWeights(dir, classifierMetaKey, &meta)
	if err != nil {
		return nil, err
	}
	defer session()()
	c, err := newClassifier(meta, defaultDevice(dev), 0)
	if err != nil {
		return nil, fmt.Errorf("load classifier %s: %w", dir, err)
	}
	if err := loadVars(c.m, weights); err != nil {
		c.Close()
		return nil, fmt.Errorf("load classifier %s: %w", dir, err)
	}
	return c, nil
}
