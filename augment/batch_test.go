package augment

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// TestApplyBatchWorkers: the same seed gives the same bytes with 1 and 8
// workers; a different seed gives different bytes.
func TestApplyBatchWorkers(t *testing.T) {
	p := everyOp(t)
	imgs := testBatch(200, 3, 28, 28)
	orig := batchBytes(imgs)

	one, err := p.ApplyBatch(imgs, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	eight, err := p.ApplyBatch(imgs, 7, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(batchBytes(one), batchBytes(eight)) {
		t.Fatal("ApplyBatch(seed 7) with 1 and 8 workers differ")
	}
	if !bytes.Equal(batchBytes(imgs), orig) {
		t.Fatal("ApplyBatch modified its input")
	}
	single, err := p.Apply(imgs[137], 7, 137)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(batchBytes([]Image{single}), batchBytes(one[137:138])) {
		t.Fatal("Apply(img 137) differs from ApplyBatch's image 137")
	}
	other, err := p.ApplyBatch(imgs, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(batchBytes(one), batchBytes(other)) {
		t.Fatal("ApplyBatch with seeds 7 and 8 gave the same bytes")
	}
}

// TestApplyBatchScheduling: the same seed gives the same bytes whatever the
// number of workers, the number of OS threads running them, and the way the
// batch is cut into slices for ApplyBatchAt.
func TestApplyBatchScheduling(t *testing.T) {
	p := everyOp(t)
	imgs := testBatch(150, 3, 28, 28)
	want, err := p.ApplyBatch(imgs, 11, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantBytes := batchBytes(want)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, workers := range []int{2, 3, 16} {
			got, err := p.ApplyBatch(imgs, 11, workers)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(batchBytes(got), wantBytes) {
				t.Errorf("GOMAXPROCS %d, %d workers: batch differs from 1 worker", procs, workers)
			}
		}
	}
	var sliced []Image
	for _, cut := range [][2]int{{0, 7}, {7, 64}, {64, 150}} {
		part, err := p.ApplyBatchAt(imgs[cut[0]:cut[1]], 11, uint64(cut[0]), 3)
		if err != nil {
			t.Fatal(err)
		}
		sliced = append(sliced, part...)
	}
	if !bytes.Equal(batchBytes(sliced), wantBytes) {
		t.Error("ApplyBatchAt over three slices differs from ApplyBatch over the whole batch")
	}
	imgs[70] = NewImage(3, 2, 2)
	_, err = p.ApplyBatchAt(imgs[64:], 11, 64, 2)
	if err == nil || !strings.HasPrefix(err.Error(), "augment image 70:") {
		t.Errorf("ApplyBatchAt(first 64) with a bad image 70: error %v, want it to name image 70", err)
	}
}

func TestApplyErrors(t *testing.T) {
	imgs := testBatch(40, 1, 4, 5)
	imgs[25] = NewImage(1, 2, 2)
	imgs[31] = NewImage(1, 2, 2)
	tests := []struct {
		name string
		op   Op
		want string
	}{
		{
			"crop too large",
			RandomCrop{Size: [2]int{3, 3}},
			"augment image 25: op 0 (RandomCrop): random crop 3x3 of a 2x2 image",
		},
		{
			"reflect too wide",
			RandomCrop{Size: [2]int{2, 2}, Padding: []int{2}, PaddingMode: PadReflect},
			"augment image 25: op 0 (RandomCrop): reflect padding (2, 2) of height 2",
		},
		{
			"normalize channels",
			Normalize{Mean: []float64{1, 2}, Std: []float64{1, 1}},
			"augment image 0: op 0 (Normalize): normalize [1 2] of a 1-channel image",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPipeline(tt.op)
			if err != nil {
				t.Fatal(err)
			}
			for _, workers := range []int{1, 4} {
				_, err := p.ApplyBatch(imgs, 1, workers)
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Errorf("workers %d: error %v, want prefix %q", workers, err, tt.want)
				}
			}
		})
	}
}
