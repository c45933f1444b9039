package torch

// #cgo CPPFLAGS: -D_GLIBCXX_USE_CXX11_ABI=1
// #cgo CXXFLAGS: -std=c++17 -O2 -w
// #cgo LDFLAGS: -ltorch_cpu -lc10 -lstdc++
// #include <stdlib.h>
//
// void *pipe_leaky_relu(void *x, double slope, char **err);
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch/ts"
)

// leakyReLU is libtorch's leaky_relu with the given negative slope, through
// ops.cpp: gotch v0.7.0's LeakyRelu fixes the slope at 0.01. It records the
// op for autograd like any other. PReLU with a constant weight gives the
// same values but its backward pass also reduces the weight's gradient over
// every element: on the MLP GAN's [64, 512] activations it took about
// 250 µs against leaky_relu's 30 µs, some 2 ms of a 15-20 ms step.
func leakyReLU(x *ts.Tensor, slope float64) (*ts.Tensor, error) {
	var cerr *C.char
	out := C.pipe_leaky_relu(x.Ctensor(), C.double(slope), &cerr)
	if cerr != nil {
		defer C.free(unsafe.Pointer(cerr))
		return nil, fmt.Errorf("leaky_relu: %s", torchMessage(fmt.Errorf("%s", C.GoString(cerr))))
	}
	return ts.FromCtensor(out), nil
}

// mustLeakyReLU is leakyReLU for inputs the caller has already checked; it
// panics on a libtorch error, as gotch's Must ops end the process.
func mustLeakyReLU(x *ts.Tensor, slope float64) *ts.Tensor {
	y, err := leakyReLU(x, slope)
	if err != nil {
		panic("torch: " + err.Error())
	}
	return y
}
