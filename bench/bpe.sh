#!/usr/bin/env bash
# bpe.sh times byte-level BPE training and encoding: pipe (package tokenize,
# through bench/cmd/bpe) against Hugging Face tokenizers (npm, Rust core)
# and SentencePiece (Debian's spm_train), at equal thread counts, and prints
# the ratios. Run from the repository root:
#
#   bench/bpe.sh                 # THREADS=2 SIZE=50000000 ENCODE_BYTES=20000000
#   THREADS=1 RUNS=3 bench/bpe.sh
#
# The corpus (build/bench/big.txt) is made by `bpe corpus` from Debian files
# on this machine, in this order: /usr/share/games/fortunes/* (text files),
# /usr/share/common-licenses/*, /usr/share/doc/*/copyright, then every *.gz
# under /usr/share/doc (changelogs) and /usr/share/man (man page sources),
# decompressed; non-UTF-8 files are skipped, the lot is repeated if short and
# cut at a newline after SIZE bytes. build/bench/big_manifest.tsv lists every
# file with its sha256. Its content depends on the packages installed.
#
# Settings: HF's Node binding trains only with BpeTrainer::default(), so both
# train with vocab 30000, min_frequency 0, no special tokens; the two output
# files are compared byte for byte. SentencePiece runs --model_type=bpe
# --vocab_size=8000 against pipe at vocab 8000. Encoding uses HF's trained
# file on the first ENCODE_BYTES of the corpus, 1000 lines per batch
# (HF encodeBatch / pipe EncodeBatch), and checks both give the same tokens.
#
# Times are wall-clock seconds of the whole process (startup and file
# reading included) and CPU seconds (user+sys); on a shared machine the CPU
# figure is the steadier one. Each figure is the best of RUNS runs.
set -euo pipefail

THREADS=${THREADS:-2}
SIZE=${SIZE:-50000000}
ENCODE_BYTES=${ENCODE_BYTES:-20000000}
RUNS=${RUNS:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/bench
mkdir -p "$out"
cd "$root"

go build -o build/bpe ./bench/cmd/bpe
if [ -z "${HF_NODE_DIR:-}" ] && [ ! -d build/node/node_modules/tokenizers ] &&
	[ ! -d tokenize/testdata/node_modules/tokenizers ]; then
	(mkdir -p build/node && cd build/node && npm init -y >/dev/null && npm install tokenizers@0.23.2 >/dev/null)
fi
corpus=$out/big.txt
if [ ! -f "$corpus" ] || [ "$(stat -c %s "$corpus")" -gt "$SIZE" ] ||
	[ "$(stat -c %s "$corpus")" -lt $((SIZE - 100000)) ]; then
	build/bpe corpus -size "$SIZE" -out "$corpus" -manifest "$out/big_manifest.tsv"
fi
echo "corpus: $corpus, $(stat -c %s "$corpus") bytes, threads $THREADS, load $(cut -d' ' -f1-3 /proc/loadavg)"

export RAYON_NUM_THREADS=$THREADS GOMAXPROCS=$THREADS

# timed NAME CMD...: runs CMD RUNS times, keeps the best wall time, and sets
# WALL_NAME and CPU_NAME; the output of the best run is kept in $out/NAME.log.
timed() {
	local name=$1 best_wall="" best_cpu="" best_rss=""
	shift
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f '%e %U %S %M' -o "$out/$name.time" "$@" >"$out/$name.run.log" 2>&1
		read -r wall user sys rss <"$out/$name.time"
		cpu=$(awk "BEGIN{print $user+$sys}")
		if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then
			best_wall=$wall best_cpu=$cpu best_rss=$rss
			mv "$out/$name.run.log" "$out/$name.log"
		fi
	done
	rm -f "$out/$name.run.log"
	printf -v "WALL_$name" %s "$best_wall"
	printf -v "CPU_$name" %s "$best_cpu"
	printf '  %-14s wall %8.2f s  cpu %8.2f s  rss %6d MB\n' "$name" "$best_wall" "$best_cpu" $((best_rss / 1024))
}
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

echo "training, vocab 30000 (HF Node default trainer):"
timed pipe30k build/bpe train -vocab 30000 -threads "$THREADS" -out "$out/pipe30k.json" "$corpus"
timed hf30k node tokenize/testdata/hf_bench.mjs train "$corpus" "$out/hf30k.json"
if cmp -s "$out/pipe30k.json" "$out/hf30k.json"; then
	parity="identical tokenizer.json ($(grep -m1 -o '[0-9]* merges' "$out/pipe30k.log"))"
else
	parity="DIFFERENT tokenizer.json"
fi
echo "  parity: $parity"
echo "  HF / pipe: wall $(ratio "$WALL_hf30k" "$WALL_pipe30k")x  cpu $(ratio "$CPU_hf30k" "$CPU_pipe30k")x"

if command -v spm_train >/dev/null; then
	echo "training, vocab 8000 (spm_train --model_type=bpe):"
	timed pipe8k build/bpe train -vocab 8000 -threads "$THREADS" "$corpus"
	timed spm8k spm_train --input="$corpus" --model_prefix="$out/spm8k" --model_type=bpe \
		--vocab_size=8000 --num_threads="$THREADS"
	echo "  spm / pipe: wall $(ratio "$WALL_spm8k" "$WALL_pipe8k")x  cpu $(ratio "$CPU_spm8k" "$CPU_pipe8k")x"
else
	echo "training, vocab 8000: spm_train not installed (Debian package sentencepiece); skipped"
fi

echo "encoding $ENCODE_BYTES bytes with HF's vocab-30000 file, batches of 1000 lines:"
timed pipe_enc build/bpe encode -tokenizer "$out/hf30k.json" -threads "$THREADS" \
	-max-bytes "$ENCODE_BYTES" -batch 1000 "$corpus"
timed hf_enc node tokenize/testdata/hf_bench.mjs encode "$out/hf30k.json" "$corpus" "$ENCODE_BYTES" 1000
pipe_line=$(grep '^encode:' "$out/pipe_enc.log")
hf_line=$(grep '^encode:' "$out/hf_enc.log")
echo "  pipe: ${pipe_line#encode: }"
echo "  HF:   ${hf_line#encode: }"
if [ "$(echo "$pipe_line" | cut -d, -f1-4)" = "$(echo "$hf_line" | cut -d, -f1-4)" ]; then
	echo "  parity: same token count and id sum"
else
	echo "  parity: OUTPUTS DIFFER"
fi
pipe_s=$(echo "$pipe_line" | grep -o '[0-9.]* s,' | tr -d ' s,')
hf_s=$(echo "$hf_line" | grep -o '[0-9.]* s,' | tr -d ' s,')
echo "  HF / pipe (encoding loop only): $(ratio "$hf_s" "$pipe_s")x;" \
	"whole process: wall $(ratio "$WALL_hf_enc" "$WALL_pipe_enc")x  cpu $(ratio "$CPU_hf_enc" "$CPU_pipe_enc")x"
