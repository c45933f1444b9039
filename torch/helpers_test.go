package torch

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/tensor"
)

// fashionDir is where Debian's dataset-fashion-mnist installs the files.
const fashionDir = "/usr/share/datasets/fashion-mnist/"

var (
	fashionOnce  sync.Once
	fashionTrain *tensor.Tensor
	fashionTest  *tensor.Tensor
	fashionErr   error

	labelsOnce  sync.Once
	labelsTrain *tensor.Tensor
	labelsTest  *tensor.Tensor
	labelsErr   error
)

// fashion returns the first n training (or test) images of Fashion-MNIST,
// U8 [n, 28, 28], skipping the test when the dataset is not installed.
func fashion(t testing.TB, n int, test bool) *tensor.Tensor {
	t.Helper()
	fashionOnce.Do(func() {
		fashionTrain, fashionErr = tensor.ReadIDXFile(fashionDir + "train-images-idx3-ubyte.gz")
		if fashionErr == nil {
			fashionTest, fashionErr = tensor.ReadIDXFile(fashionDir + "t10k-images-idx3-ubyte.gz")
		}
	})
	if os.IsNotExist(fashionErr) {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", fashionErr)
	}
	if fashionErr != nil {
		t.Fatal(fashionErr)
	}
	src := fashionTrain
	if test {
		src = fashionTest
	}
	return firstImages(src, n)
}

// fashionLabels returns the labels of the first n training (or test)
// images of Fashion-MNIST, U8 [n].
func fashionLabels(t testing.TB, n int, test bool) *tensor.Tensor {
	t.Helper()
	labelsOnce.Do(func() {
		labelsTrain, labelsErr = tensor.ReadIDXFile(fashionDir + "train-labels-idx1-ubyte.gz")
		if labelsErr == nil {
			labelsTest, labelsErr = tensor.ReadIDXFile(fashionDir + "t10k-labels-idx1-ubyte.gz")
		}
	})
	if os.IsNotExist(labelsErr) {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", labelsErr)
	}
	if labelsErr != nil {
		t.Fatal(labelsErr)
	}
	src := labelsTrain
	if test {
		src = labelsTest
	}
	return firstImages(src, n)
}

func firstImages(src *tensor.Tensor, n int) *tensor.Tensor {
	per := src.NumElements() / src.Shape[0]
	shape := append([]int{n}, src.Shape[1:]...)
	return &tensor.Tensor{DType: src.DType, Shape: shape, Data: src.Data[:n*per*src.DType.Size()]}
}

// weightsOf returns the model's variables as bytes of safetensors, for
// bit-exact comparison.
func weightsOf(t *testing.T, m *model) []byte {
	t.Helper()
	out := map[string]*tensor.Tensor{}
	for _, v := range m.vars {
		out[v.name] = toTensor(v.t)
	}
	var b bytes.Buffer
	if err := tensor.WriteSafetensors(&b, out, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// maxAbsDiff compares two models variable by variable.
func maxAbsDiff(t *testing.T, a, b *model) float64 {
	t.Helper()
	var worst float64
	for i, v := range a.vars {
		x, y := toTensor(v.t).Float32s(), toTensor(b.vars[i].t).Float32s()
		for k := range x {
			d := float64(x[k] - y[k])
			if d < 0 {
				d = -d
			}
			worst = max(worst, d)
		}
	}
	return worst
}
