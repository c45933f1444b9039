#!/usr/bin/python3
"""Regenerate the reference of `pipe audio mel`'s defaults test (Debian's
/usr/bin/python3 with python3-torchaudio 0.13.1 and python3-numpy):

    /usr/bin/python3 cmd/pipe/testdata/audio/gen.py

Writes chirp_16k__defaults.npy: torchaudio.transforms.MelSpectrogram(sample_rate=16000)
with every other argument at its default (n_fft 400, hop 200, 128 HTK mels, no
norm, power 2, center with reflect padding) of torchaudio.load's 1 x 16000 tensor
of audio/testdata/refcases/chirp_16k.wav: 1 x 128 x 81 float32. The other CLI
cases use package audio's committed references.
"""
import os

import numpy as np
import torchaudio

HERE = os.path.dirname(os.path.abspath(__file__))
CHIRP = os.path.join(HERE, "..", "..", "..", "..", "audio", "testdata", "refcases", "chirp_16k.wav")

x, sr = torchaudio.load(CHIRP)
assert sr == 16000 and tuple(x.shape) == (1, 16000)
mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000)(x).numpy().astype("<f4")
np.save(os.path.join(HERE, "chirp_16k__defaults.npy"), mel)
print("chirp_16k__defaults.npy", mel.shape, "max %.6g" % mel.max())
