// Package export writes pipe's trained networks in formats other tools
// load: ONNX (opset 17) for onnxruntime and other runtimes, safetensors with
// a JSON config for plain readers, the TorchScript source of each network's
// forward for libtorch, and a model card (model.json) for people.
//
// It reads the model.safetensors that package torch saves, whose metadata
// names the architecture (key "pipe.gan", "pipe.vae" or "pipe.lm"), and
// describes each exportable network (the GAN's generator, the VAE's encoder
// and decoder, the language model) as a short list of operations. The ONNX
// and TorchScript writers both walk that list, so the two formats cannot
// disagree on the architecture.
//
// The package is pure Go: it never links libtorch. Building the TorchScript
// archive itself needs libtorch's C++ API and lives in package torch
// (WriteTorchScript); this package only produces the source and the
// parameters that go into it.
//
// What it does not do: export discriminators or training state (optimizer
// moments, checkpoints), quantize, or fuse operations. The ONNX graphs keep
// batch norm as a BatchNormalization node rather than folding it into the
// preceding convolution, so that they mirror pipe's forward op for op.
//
// The networks are described here a second time, after package torch's
// (the variable names, strides, slopes, eps): Nets checks the variables
// against the description, and the parity tests in package torch and the
// scripts in testdata check the outputs, so a change there that this
// package has not followed fails a test. Adding a network means a case in
// Load for its metadata key, its operations (nets.go, lm.go) and their
// ONNX nodes and TorchScript statements.
package export
