#!/usr/bin/env bash
# train_step.sh: time one training step of the article's MLP GAN (one D and
# one G update, batch 64, 2 threads) in pipe's torch package and in Debian's
# PyTorch 1.13 (python3-torch) on the same libtorch, and print the ratio
# (pipe / python; the target is at most 1.10).
#
# Usage: bench/train_step.sh [steps] [threads] [rounds]
#
# Both sides get OMP_WAIT_POLICY=PASSIVE (busy-waiting OpenMP threads slow a
# shared 2-core machine badly) and OPENBLAS_NUM_THREADS equal to the thread
# count, since OpenBLAS keeps its own threads whatever libtorch's setting.
# The two run alternately (rounds times, 5 by default) and the best of each
# is kept, which damps the noise of a shared machine without hiding a real
# difference; the median of each is printed beside it, and the CPU time per
# step of all threads (threads spinning while they wait count there too; at
# one thread the two sides' CPU times agree). On a loaded machine the rounds
# spread widely: read the ratio with the spread.
set -euo pipefail

steps=${1:-200}
threads=${2:-2}
rounds=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3

export OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_NUM_THREADS=$threads
export OMP_NUM_THREADS=$threads

"$root/scripts/prepare-gotch.sh"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go test -c -o "$bin/torch.test" ./torch)

gos=() pys=() gocpu=() pycpu=()
for round in $(seq "$rounds"); do
	out=$("$python" "$root/bench/train_step.py" "$steps" "$threads")
	py=$(awk '/^python_ms_per_step/ {print $2}' <<<"$out")
	pyc=$(awk '/^python_cpu_ms_per_step/ {print $2}' <<<"$out")
	out=$(cd "$root/torch" && PIPE_BENCH_THREADS=$threads "$bin/torch.test" -test.run '^$' \
		-test.bench '^BenchmarkGANStep$' -test.benchtime "${steps}x")
	go=$(awk '/^BenchmarkGANStep/ {printf "%.3f", $3 / 1e6}' <<<"$out")
	goc=$(awk '/^BenchmarkGANStep/ {for (i = 1; i < NF; i++) if ($(i + 1) == "cpu-ms/op") print $i}' <<<"$out")
	echo "round $round: pipe ${go} ms/step (cpu ${goc}), python ${py} ms/step (cpu ${pyc})" >&2
	gos+=("$go") pys+=("$py") gocpu+=("$goc") pycpu+=("$pyc")
done

# best and median of a list of numbers
best() { printf '%s\n' "$@" | sort -g | head -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

best_go=$(best "${gos[@]}") best_py=$(best "${pys[@]}")
med_go=$(median "${gos[@]}") med_py=$(median "${pys[@]}")
cpu_go=$(best "${gocpu[@]}") cpu_py=$(best "${pycpu[@]}")
echo "threads:        $threads (OMP_WAIT_POLICY=$OMP_WAIT_POLICY, OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS)"
echo "rounds:         $rounds of $steps steps each side, alternating; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pipe (gotch):   best $best_go ms/step, median $med_go; best cpu $cpu_go ms/step"
echo "python (torch): best $best_py ms/step, median $med_py; best cpu $cpu_py ms/step"
awk -v a="$best_go" -v b="$best_py" -v c="$med_go" -v d="$med_py" -v e="$cpu_go" -v f="$cpu_py" \
	'BEGIN {printf "ratio:          %.2f best, %.2f median, %.2f cpu (target <= 1.10)\n", a / b, c / d, e / f}'
