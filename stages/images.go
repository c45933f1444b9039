package stages

import (
	"fmt"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

// DataFile is the file an image or tensor dataset stage writes.
const DataFile = "data.safetensors"

// Dataset is an image dataset as stages pass it along.
type Dataset struct {
	Images *tensor.Tensor // N x C x H x W
	Labels *tensor.Tensor // N, or nil
	Meta   map[string]string
}

// ReadDataset reads the dataset an upstream stage wrote.
func ReadDataset(a *pipeline.Artifact) (*Dataset, error) {
	if !a.Has(DataFile) {
		return nil, fmt.Errorf("input from stage %q (%s) has no %s: is it an image dataset?", a.Stage, a.Kind, DataFile)
	}
	ts, meta, err := tensor.ReadSafetensorsFile(a.Path(DataFile))
	if err != nil {
		return nil, err
	}
	d := &Dataset{Images: ts["images"], Labels: ts["labels"], Meta: meta}
	if d.Images == nil {
		return nil, fmt.Errorf("%s from stage %q holds no tensor \"images\"", DataFile, a.Stage)
	}
	if len(d.Images.Shape) != 4 {
		return nil, fmt.Errorf("%s from stage %q: images have shape %v, want N x C x H x W", DataFile, a.Stage, d.Images.Shape)
	}
	if d.Labels != nil && (len(d.Labels.Shape) != 1 || d.Labels.Shape[0] != d.Images.Shape[0]) {
		return nil, fmt.Errorf("%s from stage %q: %d images but labels of shape %v", DataFile, a.Stage,
			d.Images.Shape[0], d.Labels.Shape)
	}
	return d, nil
}

// Write stores the dataset under dir as DataFile.
func (d *Dataset) Write(dir string) error {
	ts := map[string]*tensor.Tensor{"images": d.Images}
	if d.Labels != nil {
		ts["labels"] = d.Labels
	}
	return tensor.WriteSafetensorsFile(dir+"/"+DataFile, ts, d.Meta)
}

// Float01 returns the images as float32, with U8 images scaled to [0, 1]
// as torchvision's ToTensor does.
func (d *Dataset) Float01() []float32 {
	v := d.Images.Float32s()
	if d.Images.DType == tensor.Uint8 {
		for i := range v {
			v[i] /= 255
		}
	}
	return v
}
