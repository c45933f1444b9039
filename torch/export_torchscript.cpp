// Builds a TorchScript module from variables and the TorchScript source of
// its methods, and saves it: what torch.jit.script(model).save(path) makes
// in Python, without Python. Called from export_torchscript.go.
//
// Errors are reported through a malloc'ed string (the caller frees it)
// instead of throwing across the cgo boundary.

#include <ATen/ops/from_blob.h>
#include <torch/csrc/jit/api/module.h>

#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Builder {
	std::shared_ptr<torch::jit::CompilationUnit> cu;
	std::string cls;
	torch::jit::Module root;
	// Submodules by dotted path ("g", "g.fc1"), created on first use.
	std::map<std::string, torch::jit::Module> subs;
};

// newModule makes an empty module of class __torch__.<name> in cu, with
// the training flag every nn.Module has, set to false (eval mode).
torch::jit::Module newModule(const std::shared_ptr<torch::jit::CompilationUnit> &cu, const std::string &name) {
	torch::jit::Module m(c10::QualifiedName("__torch__." + name), cu);
	m.register_attribute("training", c10::BoolType::get(), false);
	return m;
}

// module returns the module at the dotted path, creating it and its
// parents. Each gets its own class, named after the path, so that two
// submodules with different variables never share a type.
torch::jit::Module module(Builder *b, const std::string &path) {
	if (path.empty()) {
		return b->root;
	}
	auto it = b->subs.find(path);
	if (it != b->subs.end()) {
		return it->second;
	}
	auto dot = path.rfind('.');
	std::string parent = dot == std::string::npos ? "" : path.substr(0, dot);
	std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
	std::string cls = b->cls + "_" + path;
	for (auto &c : cls) {
		if (c == '.') c = '_';
	}
	torch::jit::Module m = newModule(b->cu, cls);
	module(b, parent).register_module(leaf, m);
	b->subs.emplace(path, m);
	return m;
}

// copyError keeps c10's message without the C++ backtrace it appends.
char *copyError(const std::exception &e) {
	if (auto c = dynamic_cast<const c10::Error *>(&e)) {
		return strdup(c->what_without_backtrace());
	}
	return strdup(e.what());
}

} // namespace

extern "C" void *pipe_ts_new(const char *cls, char **err) {
	try {
		auto b = new Builder;
		b->cu = std::make_shared<torch::jit::CompilationUnit>();
		b->cls = cls;
		b->root = newModule(b->cu, cls);
		return b;
	} catch (const std::exception &e) {
		*err = copyError(e);
	}
	return nullptr;
}

// pipe_ts_add registers a copy of the float32 data as the parameter (or,
// with buffer set, the buffer) at the dotted name.
extern "C" void pipe_ts_add(void *h, const char *name, void *data, const int64_t *shape, int ndim,
			    int buffer, char **err) {
	try {
		auto b = static_cast<Builder *>(h);
		std::string full(name);
		auto dot = full.rfind('.');
		std::string path = dot == std::string::npos ? "" : full.substr(0, dot);
		std::string leaf = dot == std::string::npos ? full : full.substr(dot + 1);
		std::vector<int64_t> dims(shape, shape + ndim);
		at::Tensor t = at::from_blob(data, dims, at::TensorOptions().dtype(at::kFloat)).clone();
		module(b, path).register_parameter(leaf, t, buffer != 0);
	} catch (const std::exception &e) {
		*err = copyError(e);
	}
}

// pipe_ts_save compiles src (the module's methods, forward among them)
// against the registered variables and writes the archive to path.
extern "C" void pipe_ts_save(void *h, const char *src, const char *path, char **err) {
	try {
		auto b = static_cast<Builder *>(h);
		b->root.define(src);
		b->root.save(path);
	} catch (const std::exception &e) {
		*err = copyError(e);
	}
}

extern "C" void pipe_ts_free(void *h) { delete static_cast<Builder *>(h); }
