#!/usr/bin/python3
"""torchaudio side of bench/mel.sh: time log-mel of a WAV file.

    /usr/bin/python3 bench/mel_ref.py IN.wav REPEATS OUT.f32

Times MelSpectrogram(n_fft 1024, hop 256, 80 mels, HTK, power 2, centred with
reflect padding) followed by AmplitudeToDB(top_db=80) on the loaded waveform;
loading and building the transforms are not timed (the filter bank is built
once, in the constructor). Prints one line "best median cpu threads": wall
seconds (best and median run), CPU seconds per run (all threads), threads,
and writes the last output, (80, frames) float32, to OUT.f32 so the Go side
can compare.
"""
import statistics
import sys
import time

import torch
import torchaudio


def main():
    path, repeats, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x, sr = torchaudio.load(path)
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=sr, n_fft=1024, win_length=1024, hop_length=256, n_mels=80,
        power=2.0, center=True, pad_mode="reflect", norm=None, mel_scale="htk")
    to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80.0)
    with torch.inference_mode():
        y = to_db(mel(x))  # warm-up: first calls allocate and load kernels
        times = []
        cpu0 = time.process_time()
        for _ in range(repeats):
            t0 = time.perf_counter()
            y = to_db(mel(x))
            times.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu0) / repeats
    y[0].numpy().astype("<f4").tofile(out)
    print(f"{min(times):.6f} {statistics.median(times):.6f} {cpu:.6f} {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
