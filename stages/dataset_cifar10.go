package stages

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(datasetCIFAR10{}) }

// datasetCIFAR10 reads the binary version of CIFAR-10 (data_batch_1.bin
// ... data_batch_5.bin, test_batch.bin). It does not read the Python
// (pickle) version or CIFAR-100, whose records carry two label bytes.
type datasetCIFAR10 struct{}

func (datasetCIFAR10) Kind() string { return "dataset/cifar10" }
func (datasetCIFAR10) Version() int { return 1 }

func (datasetCIFAR10) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "images",
		Doc: "3x32x32 U8 images and labels from CIFAR-10 binary batches " +
			"(records of 1 label byte and 3072 pixel bytes, planes R, G, B)",
		Params: []pipeline.Param{
			{Name: "files", Type: pipeline.Paths, Required: true,
				Doc: "batch files in order, globs allowed: data_batch_*.bin or test_batch.bin"},
			{Name: "limit", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "keep the first N images; 0 keeps all"},
		},
		Unseeded: true,
	}
}

// cifarClasses are CIFAR-10's label names, as its batches.meta.txt lists
// them; label k is cifarClasses[k].
var cifarClasses = []string{"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck"}

const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
	cifarRecord = 1 + cifarPixels
)

func (datasetCIFAR10) Run(ctx context.Context, rc *pipeline.RunContext) error {
	limit := rc.Params.Int("limit")
	var pix []byte
	var labels []int64
	var names []string
	for _, f := range rc.Params.Strings("files") {
		if err := ctx.Err(); err != nil {
			return err
		}
		if limit > 0 && len(labels) >= limit {
			break
		}
		p, l, err := readCIFARFile(f)
		if err != nil {
			return err
		}
		pix, labels = append(pix, p...), append(labels, l...)
		names = append(names, filepath.Base(f))
	}
	n := len(labels)
	if limit > 0 && limit < n {
		n = limit
	}
	d := &Dataset{
		Images: &tensor.Tensor{DType: tensor.Uint8, Shape: []int{n, 3, cifarSide, cifarSide},
			Data: pix[:n*cifarPixels]},
		Labels: tensor.FromInt64(labels[:n], n),
		Meta: map[string]string{"source": strings.Join(names, ","),
			"classes": jsonList(cifarClasses)},
	}
	rc.Log.Info("dataset read", "images", n, "files", len(names))
	rc.Metric("count", float64(n))
	return d.Write(rc.Out)
}

// readCIFARFile reads one batch file: its pixels, record after record
// without the label bytes (so N x 3 x 32 x 32 in CHW order), and its labels.
func readCIFARFile(path string) ([]byte, []int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	pix, labels, err := readCIFAR(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return pix, labels, nil
}

// readCIFAR parses CIFAR-10 records from r. An empty input, a trailing
// partial record and a label above 9 are errors: each means the file is
// not what it claims to be (CIFAR-100 records, say, are 3074 bytes).
func readCIFAR(r io.Reader) ([]byte, []int64, error) {
	var pix []byte
	var labels []int64
	rec := make([]byte, cifarRecord)
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, rec)
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			return nil, nil, fmt.Errorf("record %d is truncated: %d of %d bytes "+
				"(CIFAR-10 binary records are 1 label byte and 3072 pixel bytes)", i, n, cifarRecord)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read record %d: %w", i, err)
		}
		if rec[0] > 9 {
			return nil, nil, fmt.Errorf("record %d has label %d; CIFAR-10 labels are 0 to 9 "+
				"(is this CIFAR-100, or not a CIFAR binary batch?)", i, rec[0])
		}
		labels = append(labels, int64(rec[0]))
		pix = append(pix, rec[1:]...)
	}
	if len(labels) == 0 {
		return nil, nil, fmt.Errorf("no records (empty file)")
	}
	return pix, labels, nil
}
