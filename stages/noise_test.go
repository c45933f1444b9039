package stages

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func TestNoiseImages(t *testing.T) {
	read := func(seed int64) *tensor.Tensor {
		t.Helper()
		full := pipeline.Values{"count": int64(5), "shape": []int64{3, 4, 2}}
		rc := &pipeline.RunContext{Params: full, Out: t.TempDir(), Seed: seed}
		if err := (noiseImages{}).Run(t.Context(), rc); err != nil {
			t.Fatal(err)
		}
		ts, _, err := tensor.ReadSafetensorsFile(filepath.Join(rc.Out, DataFile))
		if err != nil {
			t.Fatal(err)
		}
		return ts["images"]
	}
	a, b, c := read(1), read(1), read(2)
	if got := a.Shape; len(got) != 4 || got[0] != 5 || got[1] != 3 || got[2] != 4 || got[3] != 2 {
		t.Fatalf("shape %v, want [5 3 4 2]", got)
	}
	for _, v := range a.Float32s() {
		if v < 0 || v >= 1 {
			t.Fatalf("value %v outside [0, 1)", v)
		}
	}
	if !bytes.Equal(a.Data, b.Data) || bytes.Equal(a.Data, c.Data) {
		t.Error("want the same noise for one seed and other noise for another")
	}
	if err := (noiseImages{}).Schema().Params[1].Check([]int64{28, 28}); err == nil {
		t.Error("shape [28 28] accepted")
	}
}
