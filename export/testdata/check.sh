#!/bin/sh
# Checks pipe's exports outside pipe: ONNX in onnxruntime-node, TorchScript in
# Python's torch.jit.load, safetensors with numpy and json alone, each on the
# same inputs as pipe's own forward pass. Run from the repository root:
#
#   export/testdata/check.sh             # the committed fixture cases
#   export/testdata/check.sh --full      # plus the article's sizes, in a temporary directory
#
# Needs node and npm (onnxruntime-node is installed here on first use) and
# Debian's python3-torch and python3-numpy.
set -eu
here=$(dirname "$0")
dir=$here
extra=""
if [ "${1:-}" = "--full" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	extra="-export.full -export.dir=$dir"
fi
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
	# The CUDA download is for GPUs and needs github.com; the CPU build is in the package.
	(cd "$here" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --no-audit --no-fund)
fi
go test ./torch -count=1 -run TestExportTorchScript -args -export.fixtures $extra
node "$here/check_onnx.mjs" "$dir"
/usr/bin/python3 "$here/check_torchscript.py" "$dir"
/usr/bin/python3 "$here/read_safetensors.py" "$dir"
