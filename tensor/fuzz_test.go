package tensor

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// addFiles seeds a fuzz target with the fixtures matching pattern.
func addFiles(f *testing.F, pattern string) {
	paths, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed files for %s", pattern)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkReadError: a failed read is either a FormatError or an I/O error
// from the input, never anything else.
func checkReadError(t *testing.T, err error) {
	var fe *FormatError
	if !errors.As(err, &fe) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
}

func FuzzReadSafetensors(f *testing.F) {
	addFiles(f, "safetensors/*.safetensors")
	f.Add(stFile(`{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}))
	f.Add(
		stFile(
			`{"__metadata__":{"k":"v"},"b":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}}`,
			[]byte{7},
		),
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := ReadSafetensors(bytes.NewReader(b))
		x, ierr := ReadSafetensorsIndex(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			checkReadError(t, err)
			if ierr != nil {
				return
			}
			// The index validates the same header; only loading may fail.
			for _, name := range x.Names() {
				if _, err := x.Tensor(name); err != nil {
					return
				}
			}
			t.Fatalf("ReadSafetensors failed (%v) but the index loads every tensor", err)
		}
		if ierr != nil {
			t.Fatalf("ReadSafetensors succeeded but ReadSafetensorsIndex = %v", ierr)
		}
		for name, x := range ts {
			if err := x.Check(); err != nil {
				t.Fatalf("tensor %q: %v", name, err)
			}
		}

		var buf bytes.Buffer
		if err := WriteSafetensors(&buf, ts, meta); err != nil {
			t.Fatalf("WriteSafetensors of what was read: %v", err)
		}
		ts2, meta2, err := ReadSafetensors(&buf)
		if err != nil {
			t.Fatalf("reading back what was written: %v", err)
		}
		if len(ts2) != len(ts) || len(meta2) != len(meta) {
			t.Fatalf(
				"round trip: %d tensors, %d metadata; want %d, %d",
				len(ts2),
				len(meta2),
				len(ts),
				len(meta),
			)
		}
		for name, x := range ts {
			if !equalTensors(ts2[name], x) {
				t.Fatalf("round trip changed tensor %q", name)
			}
		}
		for k, v := range meta {
			if meta2[k] != v {
				t.Fatalf("round trip changed metadata %q: %q to %q", k, v, meta2[k])
			}
		}
	})
}

func FuzzReadNPY(f *testing.F) {
	addFiles(f, "npy/*.npy")
	f.Add(npyFile("{'descr': '<f2', 'fortran_order': True, 'shape': (2, 2), }\n", make([]byte, 8)))
	f.Add(npyFile("{'descr': '>u4', 'fortran_order': False, 'shape': (), }\n", []byte{1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadNPY(bytes.NewReader(b))
		if err != nil {
			checkReadError(t, err)
			return
		}
		if err := x.Check(); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatalf("WriteNPY of what was read: %v", err)
		}
		y, err := ReadNPY(&buf)
		if err != nil {
			t.Fatalf("reading back what was written: %v", err)
		}
		if !equalTensors(x, y) {
			t.Fatalf("round trip changed %s %v into %s %v", x.DType, x.Shape, y.DType, y.Shape)
		}
	})
}

func FuzzReadIDX(f *testing.F) {
	addFiles(f, "idx/*.idx")
	f.Add([]byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6})
	f.Add([]byte{0, 0, 0x0b, 1, 0, 0, 0, 2, 0x80, 0, 0x7f, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b))
		// Unknown length must give the same answer.
		y, err2 := ReadIDX(io.MultiReader(bytes.NewReader(b)))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("known length: %v; unknown length: %v", err, err2)
		}
		if err != nil {
			checkReadError(t, err)
			checkReadError(t, err2)
			return
		}
		if err := x.Check(); err != nil {
			t.Fatal(err)
		}
		if !equalTensors(x, y) {
			t.Fatal("known and unknown length read different tensors")
		}
		var buf bytes.Buffer
		if err := WriteIDX(&buf, x); err != nil {
			t.Fatalf("WriteIDX of what was read: %v", err)
		}
		z, err := ReadIDX(&buf)
		if err != nil || !equalTensors(x, z) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
