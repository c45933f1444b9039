#!/usr/bin/python3
"""Regenerate the fixtures of the audio stages' tests (Debian's /usr/bin/python3,
with python3-torchaudio 0.13 and python3-numpy):

    /usr/bin/python3 stages/testdata/audio/gen.py

Writes, next to this script:
  stereo_16k.wav     16-bit PCM, 2 channels, 16 kHz, 0.5 s, written with Python's
                     wave module: left the first 8000 samples of
                     audio/testdata/refcases/chirp_16k.wav, right the same samples
                     reversed at 30 % amplitude, so the channels differ in time and
                     level.
  resampled_8k.npy   torchaudio.functional.resample(x, 16000, 8000) of it, defaults
                     (sinc_interpolation, width 6, rolloff 0.99): 2 x 4000 float32.
  mel_8k_db60.npy    MelSpectrogram(sample_rate=8000, n_fft=256, hop_length=64,
                     n_mels=40) of that, then AmplitudeToDB('power', top_db=60) on
                     the whole 2 x 40 x frames tensor (the floor is 60 dB below the
                     maximum over both channels).
  mono_mel.npy       x.mean(0, keepdim=True) (the channels averaged in float32), then
                     MelSpectrogram(sample_rate=16000) with every default:
                     1 x 128 x frames, power.
"""
import os
import wave

import numpy as np
import torch
import torchaudio
import torchaudio.functional as F
import torchaudio.transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
CHIRP = os.path.join(HERE, "..", "..", "..", "audio", "testdata", "refcases", "chirp_16k.wav")


def main():
    with wave.open(CHIRP, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 16000
        chirp = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")[:8000]
    left = chirp.astype(np.int32)
    right = np.round(left[::-1] * 0.3).astype(np.int32)
    frames = np.stack([left, right], axis=1).astype("<i2")
    path = os.path.join(HERE, "stereo_16k.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(frames.tobytes())

    x, sr = torchaudio.load(path)
    assert sr == 16000 and tuple(x.shape) == (2, 8000)
    # torchaudio.load divides by 32768: check it read what was written.
    assert torch.equal(x, torch.from_numpy(frames.T.astype(np.float32) / 32768))

    y = F.resample(x, 16000, 8000)
    save("resampled_8k.npy", y)
    mel = T.MelSpectrogram(sample_rate=8000, n_fft=256, hop_length=64, n_mels=40)(y)
    save("mel_8k_db60.npy", T.AmplitudeToDB("power", top_db=60)(mel))

    save("mono_mel.npy", T.MelSpectrogram(sample_rate=16000)(x.mean(0, keepdim=True)))


def save(name, t):
    a = t.numpy().astype("<f4")
    np.save(os.path.join(HERE, name), a)
    print(name, a.shape, "max %.6g" % a.max())


if __name__ == "__main__":
    main()
