package torch

// #cgo CPPFLAGS: -D_GLIBCXX_USE_CXX11_ABI=1
// #cgo CXXFLAGS: -std=c++17 -O2 -w
// #cgo LDFLAGS: -ltorch -ltorch_cpu -lc10 -lstdc++
// #include <stdint.h>
// #include <stdlib.h>
//
// void *pipe_ts_new(const char *cls, char **err);
// void pipe_ts_add(void *h, const char *name, void *data, const int64_t *shape,
//                  int ndim, int buffer, char **err);
// void pipe_ts_save(void *h, const char *src, const char *path, char **err);
// void pipe_ts_free(void *h);
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/pipe-ml/pipe/tensor"
)

// ScriptVar is one variable of a TorchScript module: a parameter, or with
// Buffer set a buffer (batch norm's running statistics). A dotted name
// ("fc1.weight") places it in a submodule ("fc1").
type ScriptVar struct {
	Name   string
	T      *tensor.Tensor // F32
	Buffer bool
}

// WriteTorchScript builds a TorchScript module of class __torch__.<class>
// holding vars, compiles source (TorchScript, with `def forward(self, ...)`
// among its methods) against them and saves the archive at path. Python's
// torch.jit.load and gotch's ts.ModuleLoad open it; the module is in eval
// mode. The archive is written to a temporary file in path's directory and
// renamed, so path is either absent or complete.
//
// It uses libtorch's C++ API (export_torchscript.cpp); gotch v0.7.0 can load
// a module but not build one.
func WriteTorchScript(path, class, source string, vars []ScriptVar) error {
	for _, v := range vars {
		if err := v.T.Check(); err != nil {
			return fmt.Errorf("torchscript %s: %s: %w", path, v.Name, err)
		}
		if v.T.DType != tensor.Float32 || v.T.NumElements() == 0 {
			return fmt.Errorf(
				"torchscript %s: %s is %s %v, want non-empty F32",
				path,
				v.Name,
				v.T.DType,
				v.T.Shape,
			)
		}
	}

	cls := C.CString(class)
	defer C.free(unsafe.Pointer(cls))
	var cerr *C.char
	h := C.pipe_ts_new(cls, &cerr)
	if err := takeError(cerr); err != nil {
		return fmt.Errorf("torchscript %s: %w", path, err)
	}
	defer C.pipe_ts_free(h)

	for _, v := range vars {
		name := C.CString(v.Name)
		// Go memory may be passed to C when it holds no Go pointers, as
		// these slices do; the C++ side copies both before returning.
		dims := make([]C.int64_t, max(1, len(v.T.Shape)))
		for i, d := range v.T.Shape {
			dims[i] = C.int64_t(d)
		}
		buffer := C.int(0)
		if v.Buffer {
			buffer = 1
		}
		cerr = nil
		C.pipe_ts_add(
			h,
			name,
			unsafe.Pointer(&v.T.Data[0]),
			&dims[0],
			C.int(len(v.T.Shape)),
			buffer,
			&cerr,
		)
		C.free(unsafe.Pointer(name))
		if err := takeError(cerr); err != nil {
			return fmt.Errorf("torchscript %s: add %s: %w", path, v.Name, err)
		}
	}

	// The temporary file must sit in path's directory so the rename is
	// atomic.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	src, ctmp := C.CString(source), C.CString(tmp)
	defer C.free(unsafe.Pointer(src))
	defer C.free(unsafe.Pointer(ctmp))
	cerr = nil
	C.pipe_ts_save(h, src, ctmp, &cerr)
	if err := takeError(cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("torchscript %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("torchscript %s: %w", path, err)
	}
	return nil
}

// takeError turns an error string from the C++ side into an error and
// frees it.
func takeError(cerr *C.char) error {
	if cerr == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(cerr))
	return errors.New(strings.TrimSpace(C.GoString(cerr)))
}
