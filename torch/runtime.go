package torch

// at_set_num_threads and at_manual_seed live in gotch's libtch (torch_api.cpp),
// which every binary importing this package links; gotch v0.7.0 has no Go
// call for either. OpenBLAS's thread setter is looked up at run time because
// libblas.so.3 may be the reference BLAS, which has none.

// #cgo CPPFLAGS: -I/usr/include/torch/csrc/api/include
// #cgo LDFLAGS: -ldl
// #include <stdint.h>
// #include <stdlib.h>
// #include <dlfcn.h>
// #include <torch/version.h>
//
// void at_set_num_threads(int n_threads);
// int at_get_num_threads();
// void at_manual_seed(int64_t seed);
//
// static int pipe_set_blas_threads(int n) {
// 	void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
// 	if (set == NULL) return 0;
// 	set(n);
// 	return 1;
// }
//
// static const char *pipe_torch_version() { return TORCH_VERSION; }
import "C"

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch"
)

// Version is the libtorch version the package was compiled against, e.g.
// "1.13.0" for Debian's libtorch-dev 1.13.1 (its headers say 1.13.0). Run
// records carry it.
func Version() string { return C.GoString(C.pipe_torch_version()) }

// SetThreads sets libtorch's intra-op thread count and, when the BLAS in use
// is OpenBLAS, OpenBLAS's own thread count, which libtorch's setting does
// not reach. It reports whether OpenBLAS took the setting.
//
// OpenMP's spin policy is read from OMP_WAIT_POLICY when the process starts,
// so it cannot be set here: run with OMP_WAIT_POLICY=PASSIVE on a shared
// machine (busy-waiting threads made a GAN epoch 2.4 times slower on two
// cores, see gotch.md).
func SetThreads(n int) (openblas bool, err error) {
	if n < 1 {
		return false, fmt.Errorf("threads must be at least 1, got %d", n)
	}
	C.at_set_num_threads(C.int(n))
	return C.pipe_set_blas_threads(C.int(n)) == 1, nil
}

// Threads is libtorch's current intra-op thread count.
func Threads() int { return int(C.at_get_num_threads()) }

// Seed seeds libtorch's global random generators (CPU and, when present,
// CUDA). Training reseeds at every step from its own seed, so a resumed run
// draws the same numbers as an uninterrupted one.
func Seed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }

// Device maps a device name to a gotch device: "cpu", "cuda" (the first GPU)
// or "auto", which is CUDA when libtorch sees a GPU and the CPU otherwise.
//
// Only the CPU path is tested: this machine's libtorch is CPU-only.
func Device(name string) (gotch.Device, error) {
	switch strings.ToLower(name) {
	case "", "auto":
		return gotch.CudaIfAvailable(), nil
	case "cpu":
		return gotch.CPU, nil
	case "cuda":
		if !gotch.CUDA.IsAvailable() {
			return gotch.CPU, fmt.Errorf(
				"device cuda: libtorch sees no CUDA device (Debian's libtorch is CPU-only)",
			)
		}
		return gotch.CudaBuilder(0), nil
	}
	return gotch.CPU, fmt.Errorf("unknown device %q (want auto, cpu or cuda)", name)
}
