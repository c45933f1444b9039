package export

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CardFile is the model card every export writes beside the model.
const CardFile = "model.json"

// Provenance is what the caller knows of where a model came from. Package
// export cannot find it out: it sees files, not runs.
type Provenance struct {
	PipeVersion string // pipeline.Version() of the binary exporting

	// TrainStage and TrainKind name the stage that trained the model
	// ("gan", "train/gan").
	TrainStage, TrainKind string

	// RunID is the run that trained the model, when known. Stages do not
	// know it: a run's ID is the hash of its record, written after every
	// stage (this one included) has finished.
	RunID string

	Dataset *Dataset           // nil when the export was not given the training data
	Metrics map[string]float64 // the training stage's, and any evaluation's
}

// Dataset describes the data a model was trained on: images, or for a
// language model the stage that made its tokens.
type Dataset struct {
	Stage  string `json:"stage"`            // the stage that made it
	Kind   string `json:"kind"`             // e.g. dataset/idx
	Source string `json:"source,omitempty"` // e.g. the IDX file's name
	Images int    `json:"images,omitempty"`
	Shape  []int  `json:"shape,omitempty"` // channels, height, width
}

// Card is the model card, model.json.
type Card struct {
	Format       string             `json:"format"`       // onnx, safetensors or torchscript
	Architecture string             `json:"architecture"` // gan/mlp, gan/dcgan, vae/mlp, vae/conv
	Config       Config             `json:"config"`
	Parameters   int                `json:"parameters"` // every network of the trained model
	Files        []ExportedFile     `json:"files"`
	Training     CardTraining       `json:"training"`
	Dataset      *Dataset           `json:"dataset"`
	Metrics      map[string]float64 `json:"metrics"`
	PipeVersion  string             `json:"pipe_version"`
	ONNX         *CardONNX          `json:"onnx,omitempty"`
}

// ExportedFile is one exported file: a network, or (safetensors) all of them.
type ExportedFile struct {
	File       string  `json:"file"`
	Network    string  `json:"network,omitempty"`
	Parameters int     `json:"parameters"`
	Inputs     []Port  `json:"inputs,omitempty"`
	Outputs    []Port  `json:"outputs,omitempty"`
	Layers     []Layer `json:"layers,omitempty"`
	Doc        string  `json:"doc,omitempty"`
	SHA256     string  `json:"sha256"`
}

// CardTraining links the export to its training.
type CardTraining struct {
	Stage string `json:"stage,omitempty"`
	Kind  string `json:"kind,omitempty"`
	RunID string `json:"run_id,omitempty"`
	// WeightsSHA256 is the hash of the model.safetensors the export read:
	// the trained weights, whichever run made them.
	WeightsSHA256 string `json:"weights_sha256"`
}

// CardONNX records the ONNX versions of an ONNX export.
type CardONNX struct {
	Opset     int `json:"opset"`
	IRVersion int `json:"ir_version"`
}

// MarshalJSON writes a port's free dimensions as the strings "batch" and
// "sequence", and its element type.
func (p Port) MarshalJSON() ([]byte, error) {
	dims := make([]any, len(p.Shape))
	for i, d := range p.Shape {
		dims[i] = d
		if d < 0 {
			dims[i] = dimName(i)
		}
	}
	dtype := "float32"
	if p.Int64 {
		dtype = "int64"
	}
	return json.Marshal(struct {
		Name  string `json:"name"`
		DType string `json:"dtype"`
		Shape []any  `json:"shape"`
	}{p.Name, dtype, dims})
}

// UnmarshalJSON reads what MarshalJSON writes, free dimensions as -1.
func (p *Port) UnmarshalJSON(b []byte) error {
	var v struct {
		Name  string            `json:"name"`
		DType string            `json:"dtype"`
		Shape []json.RawMessage `json:"shape"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.Name, p.Int64, p.Shape = v.Name, v.DType == "int64", make([]int, len(v.Shape))
	for i, d := range v.Shape {
		if string(d) == `"`+dimName(i)+`"` {
			p.Shape[i] = -1
			continue
		}
		if err := json.Unmarshal(d, &p.Shape[i]); err != nil {
			return fmt.Errorf("port %s: dimension %d: %w", v.Name, i, err)
		}
	}
	return nil
}

// newCard starts the card of an export in format.
func (m *Model) newCard(format string, p Provenance) *Card {
	metrics := p.Metrics
	if metrics == nil {
		metrics = map[string]float64{}
	}
	return &Card{
		Format: format, Architecture: m.Architecture(), Config: m.Config,
		Parameters: m.Parameters(),
		Training: CardTraining{Stage: p.TrainStage, Kind: p.TrainKind, RunID: p.RunID,
			WeightsSHA256: m.WeightsSHA256},
		Dataset: p.Dataset, Metrics: metrics, PipeVersion: p.PipeVersion,
	}
}

// netFile describes net's exported file, whose bytes are b.
func (m *Model) netFile(net *Net, file string, b []byte) ExportedFile {
	n := 0
	for _, v := range net.Tensors(m.Weights) {
		if !v.Buffer {
			n += v.T.NumElements()
		}
	}
	sum := sha256.Sum256(b)
	return ExportedFile{File: file, Network: net.Name, Parameters: n, Inputs: net.Inputs,
		Outputs: net.Outputs, Layers: net.Layers(m.Weights), Doc: net.Doc,
		SHA256: hex.EncodeToString(sum[:])}
}

// WriteCard writes the card as dir/model.json.
func WriteCard(dir string, c *Card) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("model card: %w", err)
	}
	return writeFile(filepath.Join(dir, CardFile), append(b, '\n'))
}

// writeFile writes b to path through a temporary file in the same
// directory (so the rename is atomic).
func writeFile(path string, b []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// fileSHA256 hashes a file's contents.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
