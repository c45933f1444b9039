#!/bin/sh
# bench/fid.sh: Fréchet distance of two 10,000 x 2048 float32 feature sets
# (.npy), end to end, in pipe and in pytorch-fid's route on the same files:
#
#   pipe       package metrics through bench/cmd/fid (per-step times), and
#              the real command `pipe eval fid --json x.npy y.npy` timed as a
#              whole process (start-up, reading, statistics, distance)
#   reference  NumPy mean and np.cov in float64, then SciPy's sqrtm of S1 S2
#              with pytorch-fid 0.3.0's control flow (bench/fid_ref.py), and
#              the symmetric eigh route for comparison
#
# Each side runs REPEAT times (default 2); the best wall time of each step
# is kept. The machine may be shared: CPU seconds (all threads) are printed
# beside wall seconds, and figures should be read with that in mind.
#
#   bench/fid.sh                 # from anywhere; a temporary work directory
#   REPEAT=3 bench/fid.sh /tmp/fid-bench   # keep the generated files there
#
# Needs Go and Debian's /usr/bin/python3 with numpy and scipy. Building
# cmd/pipe compiles the libtorch bindings (minutes the first time); set
# PIPE_BIN to an already built pipe to skip that, or PIPE_BIN=none to skip
# the whole-command timing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
REPEAT=${REPEAT:-2}
work=${1:-}
if [ -z "$work" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

if [ ! -f "$work/x.npy" ] || [ ! -f "$work/y.npy" ]; then
	echo "generating 2 x 10000 x 2048 float32 features in $work" >&2
	/usr/bin/python3 "$root/bench/fid_ref.py" gen "$work"
fi

(cd "$root" && go build -o "$work/fid" ./bench/cmd/fid)
pipe_bin=${PIPE_BIN:-}
if [ -z "$pipe_bin" ]; then
	echo "building cmd/pipe" >&2
	(cd "$root" && go build -o "$work/pipe" ./cmd/pipe)
	pipe_bin=$work/pipe
fi

: >"$work/runs.txt"
i=0
while [ "$i" -lt "$REPEAT" ]; do
	i=$((i + 1))
	echo "run $i/$REPEAT: pipe (metrics)" >&2
	"$work/fid" -x "$work/x.npy" -y "$work/y.npy" >>"$work/runs.txt"
	if [ "$pipe_bin" != none ]; then
		echo "run $i/$REPEAT: pipe eval fid" >&2
		t0=$(date +%s.%N)
		"$pipe_bin" eval fid --json "$work/x.npy" "$work/y.npy" >"$work/eval.json"
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "cli_wall=%.3f\n", b - a }' >>"$work/runs.txt"
		/usr/bin/python3 -c 'import json,sys; print("cli_fd=%.12f" % json.load(open(sys.argv[1]))["value"])' \
			"$work/eval.json" >>"$work/runs.txt"
	fi
	echo "run $i/$REPEAT: reference (numpy + scipy)" >&2
	/usr/bin/python3 "$root/bench/fid_ref.py" time "$work" >>"$work/runs.txt"
done

# Keep the smallest value of every *_wall and *_cpu key, the last of the
# others, and print the comparison.
tr ' ' '\n' <"$work/runs.txt" | awk -F= -v repeat="$REPEAT" '
	NF == 2 && $1 ~ /_(wall|cpu)$/ { if (!($1 in v) || $2 + 0 < v[$1] + 0) v[$1] = $2; next }
	NF == 2 { v[$1] = $2 }
	END {
		printf "10,000 x 2048 float32 features per set, best of %d runs, GOMAXPROCS %s\n", repeat, v["pipe_gomaxprocs"]
		printf "pipe:      %6.2f s wall compute (stats %.2f, distance %.2f), %6.2f s CPU; reading .npy %.2f s\n",
			v["pipe_total_wall"], v["pipe_stats_wall"], v["pipe_dist_wall"], v["pipe_total_cpu"], v["pipe_load_wall"]
		if ("cli_wall" in v)
			printf "pipe eval fid, whole process: %.2f s wall\n", v["cli_wall"]
		printf "reference: %6.2f s wall compute (stats %.2f, sqrtm %.2f), %6.2f s CPU; np.load %.2f s; eigh route %.2f s instead of sqrtm\n",
			v["ref_total_wall"], v["ref_stats_wall"], v["ref_sqrtm_wall"], v["ref_total_cpu"], v["ref_load_wall"], v["ref_eigh_wall"]
		printf "ratio reference / pipe, compute: %.2fx wall, %.2fx CPU\n",
			v["ref_total_wall"] / v["pipe_total_wall"], v["ref_total_cpu"] / v["pipe_total_cpu"]
		printf "ratio reference / pipe, with reading: %.2fx wall\n",
			(v["ref_total_wall"] + v["ref_load_wall"]) / v["pipe_e2e_wall"]
		if ("cli_wall" in v)
			printf "ratio reference (with np.load) / pipe eval fid process: %.2fx wall\n",
				(v["ref_total_wall"] + v["ref_load_wall"]) / v["cli_wall"]
		# The bound: the two covariances alone are 2 * n * d * (d+1) / 2
		# multiply-adds, 2 * 10000 * 2048 * 2049 flops; the issue puts them
		# at about 1 s of float64 arithmetic on this machine.
		flops = 2 * 10000 * 2048 * 2049
		printf "pipe covariances: %.1f GFLOP/s; pipe compute / 1 s bound: %.2f; compute / its own statistics time: %.2f\n",
			flops / v["pipe_stats_wall"] / 1e9, v["pipe_total_wall"] / 1.0, v["pipe_total_wall"] / v["pipe_stats_wall"]
		tol = 1e-9 * v["ref_trace_sum"]
		d = v["pipe_fd"] - v["ref_fd"]; if (d < 0) d = -d
		e = v["pipe_fd"] - v["ref_fd_eigh"]; if (e < 0) e = -e
		printf "FD pipe %.9f, pytorch-fid %.9f, eigh %.9f\n", v["pipe_fd"], v["ref_fd"], v["ref_fd_eigh"]
		printf "|pipe - pytorch-fid| = %.3g, |pipe - eigh| = %.3g (tolerance 1e-9*T = %.3g)\n", d, e, tol
		if ("cli_fd" in v) {
			c = v["cli_fd"] - v["pipe_fd"]; if (c < 0) c = -c
			printf "|pipe eval fid - metrics| = %.3g\n", c
		}
	}'
