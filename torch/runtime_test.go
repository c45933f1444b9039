package torch

import (
	"strings"
	"testing"

	"github.com/sugarme/gotch"
)

func TestDevice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		want    gotch.Device
		wantErr bool
	}{
		{"cpu", gotch.CPU, false},
		{"CPU", gotch.CPU, false},
		{"auto", gotch.CudaIfAvailable(), false},
		{"tpu", gotch.CPU, true},
	} {
		got, err := Device(tc.name)
		if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("Device(%q) = %v, %v; want %v, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
	if !gotch.CUDA.IsAvailable() {
		if _, err := Device("cuda"); err == nil {
			t.Errorf(`Device("cuda") on a machine without CUDA: no error`)
		}
	}
}

func TestVersionAndThreads(t *testing.T) {
	if v := Version(); !strings.HasPrefix(v, "1.") && !strings.HasPrefix(v, "2.") {
		t.Errorf("Version() = %q, want a libtorch version", v)
	}
	openblas, err := SetThreads(2)
	if err != nil {
		t.Fatal(err)
	}
	if got := Threads(); got != 2 {
		t.Errorf("after SetThreads(2), Threads() = %d", got)
	}
	t.Logf("libtorch %s, OpenBLAS took the thread count: %v", Version(), openblas)
	if _, err := SetThreads(0); err == nil {
		t.Error("SetThreads(0): no error")
	}
}
