// Package neural registers the stage kinds that train or run networks on
// libtorch through package torch: train/gan, train/vae, train/classifier,
// train/lm, generate/images, generate/text, features/images, eval/recon,
// eval/perplexity, eval/bleu and the export kinds. Importing it links
// libtorch.
//
// The adapters translate parameters and artifacts; training itself, its
// checkpoints and its numerical guards live in package torch.
package neural

import (
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/torch"
)

func init() {
	// Run records name the libtorch a run used and the device auto means.
	pipeline.TorchInfo = func() (string, string) {
		dev, err := torch.Device("auto")
		name := "cpu"
		if err == nil && dev.IsCuda() {
			name = "cuda"
		}
		return torch.Version(), name
	}
}
