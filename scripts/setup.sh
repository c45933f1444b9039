#!/usr/bin/env bash
# setup.sh: install what pipe needs on Debian bookworm, and nothing when it
# is all there. Called by `make demo` and `make test`; safe to run again.
#
#   libtorch-dev          libtorch 1.13.1 (CPU), which gotch binds
#   libopenblas0-pthread  a fast BLAS for libtorch's linear layers; without it
#                         libtorch falls back to the slow reference BLAS
#   g++                   cgo compiles gotch's C++ wrappers
#   dataset-fashion-mnist Fashion-MNIST (IDX) for the experiments and tests
#   fortunes              English text for the tokenizer and language model
#   alsa-utils            speech recordings (WAV) for the audio stages
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libtorch-dev libopenblas0-pthread g++ dataset-fashion-mnist fortunes alsa-utils)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
			exit 1
		}
		sudo=sudo
	fi
	echo "setup: installing ${missing[*]}" >&2
	# The package lists of a fresh machine are empty or stale.
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

scripts/prepare-gotch.sh
