#!/bin/sh
# Log-mel of 60 s of 48 kHz audio in pipe (package audio) and in torchaudio
# 0.13 (Debian's /usr/bin/python3), same setting: n_fft 1024, hop 256, 80 HTK
# mels, power, centred with reflect padding, then AmplitudeToDB(top_db=80).
# Prints both times (best and median of REPEAT after a warm-up; loading not
# timed) and CPU seconds per run, the ratios, and the largest difference
# between the two outputs in dB. CPU time is the steadier figure when other
# work shares the machine; wall time is what the issue's target is about.
#
#   bench/mel.sh            # from the repository root
#   REPEAT=15 bench/mel.sh
#
# The input is the alsa-utils voice prompts (/usr/share/sounds/alsa), tiled
# to 60 s; a synthetic chirp plus noise when they are absent. Timings on a
# shared machine are noisy: run it twice before believing a figure.
set -eu
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp/in.wav" <<'PY'
import glob, sys, wave
import numpy as np
n = 60 * 48000
parts = []
for p in sorted(glob.glob("/usr/share/sounds/alsa/*.wav")):
    with wave.open(p) as w:
        if w.getframerate() == 48000 and w.getsampwidth() == 2 and w.getnchannels() == 1:
            parts.append(np.frombuffer(w.readframes(w.getnframes()), "<i2"))
if parts:
    x = np.resize(np.concatenate(parts), n)
else:
    t = np.arange(n) / 48000
    rng = np.random.default_rng(1)
    sig = 0.3 * np.sin(2 * np.pi * (100 + 200 * t) * t) + 0.01 * rng.standard_normal(n)
    x = (sig * 32767).astype("<i2")
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
    w.writeframes(x.astype("<i2").tobytes())
PY

go build -o "$tmp/mel" ./bench/cmd/mel
set -- $(/usr/bin/python3 bench/mel_ref.py "$tmp/in.wav" "$REPEAT" "$tmp/ref.f32" 2>/dev/null)
ta_best=$1 ta_med=$2 ta_cpu=$3 ta_threads=$4
set -- $("$tmp/mel" -wav "$tmp/in.wav" -repeat "$REPEAT" -ref "$tmp/ref.f32")
go_best=$1 go_med=$2 go_cpu=$3 go_procs=$4 diff=$5

echo "log-mel of 60 s at 48 kHz (n_fft 1024, hop 256, 80 mels, top_db 80), best of $REPEAT"
printf 'torchaudio  best %.3f s  median %.3f s  cpu %.3f s/run  (torch.get_num_threads() %s)\n' \
    "$ta_best" "$ta_med" "$ta_cpu" "$ta_threads"
printf 'pipe        best %.3f s  median %.3f s  cpu %.3f s/run  (GOMAXPROCS %s)\n' \
    "$go_best" "$go_med" "$go_cpu" "$go_procs"
awk -v g="$go_best" -v t="$ta_best" -v gm="$go_med" -v tm="$ta_med" -v gc="$go_cpu" -v tc="$ta_cpu" 'BEGIN {
    printf "ratio pipe/torchaudio  wall best %.2f  median %.2f  cpu %.2f  (below 1: pipe is faster)\n",
        g / t, gm / tm, gc / tc }'
echo "max |pipe - torchaudio| = $diff dB"
