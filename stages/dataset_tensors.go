package stages

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(datasetTensors{}) }

// datasetTensors gathers tensors a user brings, from .npy and .safetensors
// files, into one safetensors file.
type datasetTensors struct{}

func (datasetTensors) Kind() string { return "dataset/tensors" }
func (datasetTensors) Version() int { return 1 }

func (datasetTensors) Schema() pipeline.Schema {
	return pipeline.Schema{
		Doc: "tensors from .npy and .safetensors files (globs allowed); an .npy file's tensor " +
			"is named after the file, e.g. images.npy gives \"images\"",
		Params: []pipeline.Param{
			{Name: "files", Type: pipeline.Paths, Required: true},
		},
		Unseeded: true,
	}
}

func (datasetTensors) Run(ctx context.Context, rc *pipeline.RunContext) error {
	all := map[string]*tensor.Tensor{}
	from := map[string]string{}
	add := func(name string, t *tensor.Tensor, file string) error {
		if prev, dup := from[name]; dup {
			return fmt.Errorf("tensor %q is in both %s and %s", name, prev, file)
		}
		all[name], from[name] = t, file
		return nil
	}
	for _, f := range rc.Params.Strings("files") {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch ext := strings.ToLower(filepath.Ext(f)); ext {
		case ".npy":
			t, err := tensor.ReadNPYFile(f)
			if err != nil {
				return err
			}
			if err := add(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), t, f); err != nil {
				return err
			}
		case ".safetensors":
			ts, _, err := tensor.ReadSafetensorsFile(f)
			if err != nil {
				return err
			}
			for name, t := range ts {
				if err := add(name, t, f); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%s: unsupported file type %q (want .npy or .safetensors)", f, ext)
		}
	}
	for name, t := range all {
		rc.Log.Debug("tensor", "name", name, "dtype", t.DType, "shape", fmt.Sprint(t.Shape))
	}
	return tensor.WriteSafetensorsFile(filepath.Join(rc.Out, DataFile), all, nil)
}
