package neural

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"

	"github.com/pipe-ml/pipe/export"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/stages"
	"github.com/pipe-ml/pipe/tensor"
	"github.com/pipe-ml/pipe/torch"
)

func init() {
	for _, f := range ExportFormats {
		pipeline.Register(exportStage{format: f})
	}
}

// exportStage is export/onnx, export/safetensors or export/torchscript: a
// trained GAN's generator or VAE's encoder and decoder in a format other
// tools load, with a model card (model.json).
type exportStage struct{ format string }

func (s exportStage) Kind() string { return "export/" + s.format }
func (exportStage) Version() int   { return 1 }

var exportDocs = map[string]string{
	"onnx": fmt.Sprintf("ONNX (opset %d, any batch size) of a GAN's generator (generator.onnx), "+
		"a VAE's encoder and decoder (encoder.onnx, decoder.onnx) or a language model (lm.onnx, "+
		"any length up to its context), for onnxruntime; and model.json", export.ONNXOpset),
	"safetensors": "every weight as model.safetensors, config.json naming the architecture, " +
		"its sizes and each network's layers, and model.json",
	"torchscript": "TorchScript modules (generator.pt; encoder.pt and decoder.pt; lm.pt) that " +
		"torch.jit.load and libtorch run, forward included; and model.json",
}

func (s exportStage) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "export",
		Doc:      exportDocs[s.format],
		Inputs: []pipeline.Input{
			{
				Name:    "model",
				Doc:     "a train/gan, train/vae or train/lm stage",
				Accepts: []string{"model/gan", "model/vae", "model/lm"},
			},
			{Name: "data", Optional: true, Doc: "the dataset the model was trained on, named in model.json"},
			{
				Name:     "eval",
				Optional: true,
				Doc:      "an evaluation stage (eval/recon, ...) whose metrics go in model.json",
			},
		},
		Unseeded: true,
	}
}

func (s exportStage) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("model")
	if err != nil {
		return err
	}
	p, err := provenance(rc, in)
	if err != nil {
		return err
	}
	m, err := Export(s.format, in, p, rc.Out)
	if err != nil {
		return err
	}
	rc.Metric("parameters", float64(m.Parameters()))
	rc.Log.Info("model exported", "format", s.format, "architecture", m.Architecture(),
		"parameters", m.Parameters())
	return nil
}

// ExportFormats are the formats Export writes.
var ExportFormats = []string{"onnx", "safetensors", "torchscript"}

// Export writes the model a train/gan, train/vae or train/lm stage left in
// model.Dir to dir in format (one of ExportFormats), with its model card.
// The export stages call it, and so does `pipe export`, which knows the
// run ID a stage cannot.
func Export(
	format string,
	model *pipeline.Artifact,
	p export.Provenance,
	dir string,
) (*export.Model, error) {
	if model.Kind != "train/gan" && model.Kind != "train/vae" && model.Kind != "train/lm" {
		return nil, fmt.Errorf(
			"stage %q is %s; want train/gan, train/vae or train/lm",
			model.Stage,
			model.Kind,
		)
	}
	m, err := export.Load(model.Dir)
	if err != nil {
		return nil, err
	}
	switch format {
	case "onnx":
		err = m.WriteONNX(dir, p)
	case "safetensors":
		err = m.WriteSafetensors(dir, p)
	case "torchscript":
		err = writeTorchScript(m, dir, p)
	default:
		err = fmt.Errorf("export format %q: want onnx, safetensors or torchscript", format)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DescribeDataset is what a model card says of the data in artifact a.
func DescribeDataset(a *pipeline.Artifact) (*export.Dataset, error) { return describeDataset(a) }

// writeTorchScript builds each network's module through libtorch and then
// the model card, which hashes the files.
func writeTorchScript(m *export.Model, dir string, p export.Provenance) error {
	nets, err := m.Nets()
	if err != nil {
		return err
	}
	for _, net := range nets {
		var vars []torch.ScriptVar
		for _, v := range net.Tensors(m.Weights) {
			vars = append(vars, torch.ScriptVar{Name: v.Name, T: v.T, Buffer: v.Buffer})
		}
		path := filepath.Join(dir, export.TorchScriptFile(net))
		if err := torch.WriteTorchScript(path, m.ScriptClass(net), m.TorchScript(net), vars); err != nil {
			return err
		}
	}
	return m.WriteTorchScriptCard(dir, p)
}

// provenance gathers what the card says of the model's origin. The run ID
// is not among it: a stage cannot know it (export.Provenance says why).
func provenance(rc *pipeline.RunContext, model *pipeline.Artifact) (export.Provenance, error) {
	p := export.Provenance{
		PipeVersion: pipeline.Version(), TrainStage: model.Stage, TrainKind: model.Kind,
		Metrics: maps.Clone(model.Metrics),
	}
	if p.Metrics == nil {
		p.Metrics = map[string]float64{}
	}
	if ev, ok := rc.Inputs["eval"]; ok {
		maps.Copy(p.Metrics, ev.Metrics)
	}
	if data, ok := rc.Inputs["data"]; ok {
		d, err := describeDataset(data)
		if err != nil {
			return p, err
		}
		p.Dataset = d
	}
	return p, nil
}

// describeDataset reads only the header of an image dataset's file: the
// images' shape and the source its stage recorded. Other data (a language
// model's tokens) is named by its stage alone.
func describeDataset(a *pipeline.Artifact) (*export.Dataset, error) {
	if !a.Has(stages.DataFile) {
		return &export.Dataset{Stage: a.Stage, Kind: a.Kind}, nil
	}
	f, err := tensor.OpenSafetensors(a.Path(stages.DataFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, ok := f.Info("images")
	if !ok || len(info.Shape) < 3 {
		return nil, fmt.Errorf("input data from stage %q: %s holds no images", a.Stage, stages.DataFile)
	}
	d := &export.Dataset{Stage: a.Stage, Kind: a.Kind, Source: f.Metadata["source"],
		Images: info.Shape[0], Shape: info.Shape[1:]}
	if len(d.Shape) == 2 {
		d.Shape = append([]int{1}, d.Shape...)
	}
	return d, nil
}
