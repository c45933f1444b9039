// Ops gotch v0.7.0 lacks, called from ops.go. Each takes and returns
// gotch's tensor handles (at::Tensor pointers) and reports a libtorch error
// through *err (malloc'ed; the caller frees it) instead of throwing across
// the cgo boundary.
//
// Only per-operator ATen headers are included: the whole of torch.h would
// add about a minute to a cold build of this package.

#include <ATen/core/Tensor.h>
#include <ATen/ops/leaky_relu.h>

#include <cstring>
#include <exception>

extern "C" void *pipe_leaky_relu(void *x, double slope, char **err) {
	try {
		return new at::Tensor(at::leaky_relu(*static_cast<at::Tensor *>(x), slope));
	} catch (const std::exception &e) {
		*err = strdup(e.what());
	}
	return nullptr;
}
