package stages

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(datasetIDX{}) }

// datasetIDX reads MNIST-format IDX files, such as Debian's Fashion-MNIST.
type datasetIDX struct{}

func (datasetIDX) Kind() string { return "dataset/idx" }
func (datasetIDX) Version() int { return 1 }

func (datasetIDX) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "images",
		Doc:      "images (and labels) from MNIST-format IDX files, gzipped or not",
		Params: []pipeline.Param{
			{Name: "images", Type: pipeline.Path, Required: true,
				Doc: "IDX file of N x H x W (or N x C x H x W) unsigned bytes"},
			{Name: "labels", Type: pipeline.Path, Doc: "IDX file of N labels"},
			{Name: "limit", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "keep the first N images; 0 keeps all"},
		},
		Unseeded: true,
	}
}

func (datasetIDX) Run(ctx context.Context, rc *pipeline.RunContext) error {
	imgPath := rc.Params.String("images")
	images, err := tensor.ReadIDXFile(imgPath)
	if err != nil {
		return err
	}
	switch len(images.Shape) {
	case 3:
		images.Shape = []int{images.Shape[0], 1, images.Shape[1], images.Shape[2]}
	case 4:
	default:
		return fmt.Errorf("%s: shape %v is not a stack of images (want N x H x W)", imgPath, images.Shape)
	}
	d := &Dataset{Images: images, Meta: map[string]string{"source": filepath.Base(imgPath)}}

	if p := rc.Params.String("labels"); p != "" {
		labels, err := tensor.ReadIDXFile(p)
		if err != nil {
			return err
		}
		if len(labels.Shape) != 1 || labels.Shape[0] != images.Shape[0] {
			return fmt.Errorf("%s: %v labels for %d images in %s", p, labels.Shape, images.Shape[0], imgPath)
		}
		d.Labels = tensor.FromInt64(labels.Int64s(), labels.Shape[0])
	}
	if n := rc.Params.Int("limit"); n > 0 && n < images.Shape[0] {
		d.truncate(n)
	}
	rc.Log.Info("dataset read", "images", d.Images.Shape[0], "shape", fmt.Sprint(d.Images.Shape[1:]))
	rc.Metric("count", float64(d.Images.Shape[0]))
	return d.Write(rc.Out)
}

// truncate keeps the first n samples.
func (d *Dataset) truncate(n int) {
	per := d.Images.NumElements() / d.Images.Shape[0] * d.Images.DType.Size()
	d.Images.Data = d.Images.Data[:n*per]
	d.Images.Shape[0] = n
	if d.Labels != nil {
		d.Labels.Data = d.Labels.Data[:n*d.Labels.DType.Size()]
		d.Labels.Shape[0] = n
	}
}
