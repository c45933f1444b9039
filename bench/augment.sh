#!/bin/sh
# bench/augment.sh: run the same augmentations on the same images through
# torchvision (Debian's python3-torchvision, one thread) and through pipe's
# augment package, and print the throughput ratio per core.
#
# Workloads (the transforms are in bench/augment_ref.py and
# bench/cmd/augment/main.go):
#   fmnist  Fashion-MNIST 1x28x28: RandomCrop(28, padding=4), HFlip, Normalize
#   cifar   3x32x32 seeded random colour images: the same plus ColorJitter(0.4, 0.4, 0.4, 0.1)
#
# Environment: FMNIST (IDX images, default Debian's dataset-fashion-mnist),
# N_FMNIST (10000), N_CIFAR (2000), JOBS (workers for the parallel pipe run,
# default nproc), REPEAT (3). Each figure is the best of REPEAT interleaved
# runs, which tames but does not remove the noise of a shared machine.
# "per core" divides the JOBS-worker rate by JOBS; on a loaded machine the
# -j1 column is the better per-core figure.
set -eu
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
FMNIST=${FMNIST:-/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz}
N_FMNIST=${N_FMNIST:-10000}
N_CIFAR=${N_CIFAR:-2000}
JOBS=${JOBS:-$(nproc)}
REPEAT=${REPEAT:-3}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/augment" ./bench/cmd/augment
$PY bench/augment_ref.py make-colour "$tmp/colour.u8" "$N_CIFAR"

rate() { $PY -c 'import json,sys; print(json.load(sys.stdin)["images_per_sec"])'; }
best() { $PY -c 'import sys; print(max(map(float, sys.argv[1:])))' "$@"; }

printf '%-8s %14s %14s %8s %14s %14s %8s\n' workload 'torchvision/s' 'pipe -j1/s' ratio \
	"pipe -j$JOBS/s" 'per core/s' ratio
for w in fmnist cifar; do
	if [ "$w" = fmnist ]; then src=$FMNIST n=$N_FMNIST; else src=$tmp/colour.u8 n=$N_CIFAR; fi
	ref=0 one=0 par=0
	i=0
	while [ "$i" -lt "$REPEAT" ]; do
		ref=$(best "$ref" "$($PY bench/augment_ref.py "$w" "$src" "$n" | rate)")
		one=$(best "$one" "$("$tmp/augment" -workload "$w" -images "$src" -n "$n" -j 1 | rate)")
		par=$(best "$par" "$("$tmp/augment" -workload "$w" -images "$src" -n "$n" -j "$JOBS" | rate)")
		i=$((i + 1))
	done
	$PY -c '
import sys
w, ref, one, par, jobs = sys.argv[1], *map(float, sys.argv[2:])
core = par / jobs
print(f"{w:<8} {ref:14.0f} {one:14.0f} {one/ref:7.1f}x {par:14.0f} {core:14.0f} {core/ref:7.1f}x")
' "$w" "$ref" "$one" "$par" "$JOBS"
done
