#!/bin/sh
# bench/augment.sh: run the same augmentations on the same images through
# torchvision (Debian's python3-torchvision, one thread) and through pipe's
# augment package, and print the throughput ratio per core.
#
# Workloads (the transforms are in bench/augment_ref.py and
# bench/cmd/augment/main.go):
#   fmnist  Fashion-MNIST 1x28x28: RandomCrop(28, padding=4), HFlip, Normalize
#   cifar   3x32x32 seeded random colour images (CIFAR-10 is not installed
#           here): the same plus ColorJitter(0.4, 0.4, 0.4, 0.1)
# Both sides start from float32 tensors in [0, 1] already in memory and
# apply the transforms one image at a time.
#
# Two rates per run: images per wall-clock second, and images per CPU
# second (user + system time of the process, all threads, Go's garbage
# collector included). On a machine shared with other work the wall clock
# counts time we were not running; CPU time does not, so the per-core ratio
# is taken from it. Even so, figures from a busy machine are noisy (caches
# and SMT siblings are shared): each is the best of REPEAT interleaved runs.
#
# Columns: torchvision on one thread; pipe with one worker and GOMAXPROCS=1
# (one core, its collector on the same core); pipe with JOBS workers.
#
# Environment: FMNIST (IDX images, default Debian's dataset-fashion-mnist),
# N_FMNIST (10000), N_CIFAR (2000), JOBS (default nproc), REPEAT (3).
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

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for w in fmnist cifar; do
	if [ "$w" = fmnist ]; then src=$FMNIST n=$N_FMNIST; else src=$tmp/colour.u8 n=$N_CIFAR; fi
	: >"$tmp/$w.ref" && : >"$tmp/$w.one" && : >"$tmp/$w.par"
	i=0
	while [ "$i" -lt "$REPEAT" ]; do
		$PY bench/augment_ref.py "$w" "$src" "$n" >>"$tmp/$w.ref"
		GOMAXPROCS=1 "$tmp/augment" -workload "$w" -images "$src" -n "$n" -j 1 >>"$tmp/$w.one"
		"$tmp/augment" -workload "$w" -images "$src" -n "$n" -j "$JOBS" >>"$tmp/$w.par"
		i=$((i + 1))
	done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

$PY - "$tmp" "$JOBS" <<'PYEOF'
import json, sys
tmp, jobs = sys.argv[1], int(sys.argv[2])

def best(path, key):
    return max(json.loads(l)[key] for l in open(path) if l.strip())

print(f"{'workload':<8} {'rate':<14} {'torchvision':>12} {'pipe 1 core':>12} {'ratio':>7}"
      f" {'pipe -j' + str(jobs):>12} {'per core':>10} {'ratio':>7}")
for w in ("fmnist", "cifar"):
    for key, label in (("images_per_sec", "img/s wall"), ("images_per_cpu_sec", "img/CPU-s")):
        ref, one, par = (best(f"{tmp}/{w}.{k}", key) for k in ("ref", "one", "par"))
        # The parallel run's CPU rate is already per core; its wall rate
        # is divided by the number of workers.
        core = par if key == "images_per_cpu_sec" else par / jobs
        print(f"{w:<8} {label:<14} {ref:12.0f} {one:12.0f} {one / ref:6.1f}x"
              f" {par:12.0f} {core:10.0f} {core / ref:6.1f}x")
PYEOF
