#!/usr/bin/python3
"""Regenerate the fixtures under audio/testdata (run with Debian's /usr/bin/python3).

    /usr/bin/python3 audio/testdata/gen.py

Writes:
  wav/       WAV files of every format the reader accepts (written by hand, and one
             with Python's wave module), each with a JSON file of the expected float32
             samples; the expected values come from the format's definition and are
             cross-checked against torchaudio.load (sox_io backend) where it can read
             the file.
  resample/  torchaudio.functional.resample (sinc_interpolation = Hann-windowed sinc,
             lowpass_filter_width 6, rolloff 0.99) of a fixed float32 signal.
  mel/       torchaudio 0.13 MelSpectrogram, AmplitudeToDB, melscale_fbanks and
             compliance.kaldi.fbank outputs that ../shared/refcases/mel does not hold.
             Cases that it does hold (copied into refcases/) are recomputed and must
             agree to 1e-6 of their maximum: that checks this script against the shared one.

Inputs: refcases/chirp_16k.wav (copied from ../shared/refcases/mel) and the alsa-utils
prompts /usr/share/sounds/alsa/{Front_Center,Rear_Left}.wav; cases of an absent input
are skipped.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = {
    "chirp_16k": os.path.join(HERE, "refcases", "chirp_16k.wav"),
    "front_center": "/usr/share/sounds/alsa/Front_Center.wav",
    "rear_left": "/usr/share/sounds/alsa/Rear_Left.wav",
}
ENV = {"torch": torch.__version__, "torchaudio": torchaudio.__version__, "numpy": np.__version__}

# Settings A-C are those of ../shared/refcases/SPEC-numeric.md B.7; D and E add a
# magnitude spectrogram with a short window and constant padding, and an odd n_fft.
SETTINGS = {
    "A_htk_center_reflect": dict(n_fft=1024, win_length=1024, hop_length=256, f_min=0.0,
                                 f_max=None, n_mels=80, power=2.0, center=True,
                                 pad_mode="reflect", norm=None, mel_scale="htk"),
    "B_slaney_librosa_defaults": dict(n_fft=2048, win_length=2048, hop_length=512, f_min=0.0,
                                      f_max=None, n_mels=128, power=2.0, center=True,
                                      pad_mode="constant", norm="slaney", mel_scale="slaney"),
    "C_htk_slaneynorm_nocenter_win400": dict(n_fft=512, win_length=400, hop_length=160,
                                             f_min=50.0, f_max=7600.0, n_mels=64, power=1.0,
                                             center=False, pad_mode="reflect", norm="slaney",
                                             mel_scale="htk"),
    "D_slaney_constant_mag_win300": dict(n_fft=400, win_length=300, hop_length=100, f_min=20.0,
                                         f_max=6000.0, n_mels=40, power=1.0, center=True,
                                         pad_mode="constant", norm=None, mel_scale="slaney"),
    "E_htk_odd_nfft": dict(n_fft=255, win_length=255, hop_length=64, f_min=0.0, f_max=None,
                           n_mels=32, power=2.0, center=True, pad_mode="reflect",
                           norm="slaney", mel_scale="htk"),
}


def write_f32(path, arr, meta):
    """Write arr as raw little-endian float32 plus a JSON sidecar; return the sha256."""
    arr = np.ascontiguousarray(arr, dtype="<f4")
    data = arr.tobytes()
    sha = hashlib.sha256(data).hexdigest()
    meta = dict(meta, file=os.path.basename(path), dtype="float32", byte_order="little",
                layout="C-order (row-major), last index fastest", shape=list(arr.shape),
                sha256=sha, environment=ENV)
    with open(path, "wb") as f:
        f.write(data)
    with open(path[:-4] + ".json", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return sha


def emit(name, arr, meta):
    """Write mel/<name>.f32 unless refcases/<name>.f32 holds it; then it must agree.

    Not byte for byte: torch's float32 kernels round differently on different CPUs
    (here 1 ulp of the array maximum), so agreement means within 1e-6 of the maximum.
    """
    shared = os.path.join(HERE, "refcases", name + ".f32")
    if os.path.exists(shared):
        want = np.fromfile(shared, dtype="<f4").reshape(arr.shape)
        rel = float(np.abs(arr - want).max() / np.abs(want).max())
        print(f"{name}: recomputed, max diff {rel:.2e} of the maximum vs the shared refcase")
        if rel > 1e-6:
            sys.exit(1)
        return
    write_f32(os.path.join(HERE, "mel", name + ".f32"), arr, meta)
    print(f"{name}: written {arr.shape}")


def load(name):
    path = INPUTS[name]
    if not os.path.exists(path):
        print(f"{name}: {path} absent, skipped")
        return None, None
    x, sr = torchaudio.load(path)
    return x, sr


def mel_cases():
    for inp in INPUTS:
        x, sr = load(inp)
        if x is None:
            continue
        for setting, p in SETTINGS.items():
            t = torchaudio.transforms.MelSpectrogram(sample_rate=sr, window_fn=torch.hann_window, **p)
            mel = t(x)[0]
            params = dict(p, sample_rate=sr)
            call = (f"torchaudio.transforms.MelSpectrogram(sample_rate={sr}, "
                    + ", ".join(f"{k}={v!r}" for k, v in p.items()) + ", window_fn=torch.hann_window)")
            emit(f"{inp}__{setting}", mel.numpy(),
                 dict(kind="mel_spectrogram", input=inp, setting=setting, params=params,
                      axes=["mel_bin", "frame"], torchaudio_call=call))
            for stype, top_db, which in [("power", 80.0, "A_"), ("power", None, "A_"),
                                          ("power", 80.0, "B_"), ("magnitude", 60.0, "C_")]:
                if not setting.startswith(which):
                    continue
                if top_db is None and inp != "chirp_16k":
                    continue
                db = torchaudio.transforms.AmplitudeToDB(stype=stype, top_db=top_db)(mel[None])[0]
                suffix = f"db{int(top_db)}" if top_db is not None else "db"
                if stype == "magnitude":
                    suffix = "mag" + suffix
                emit(f"{inp}__{setting}__{suffix}", db.numpy(),
                     dict(kind="mel_spectrogram_db", input=inp, setting=setting, params=params,
                          db=dict(stype=stype, top_db=top_db, amin=1e-10, ref=1.0),
                          axes=["mel_bin", "frame"],
                          torchaudio_call=f"AmplitudeToDB(stype={stype!r}, top_db={top_db!r})({call}(x))"))
            if inp == "chirp_16k" and setting.startswith("A_"):
                spec = torchaudio.transforms.Spectrogram(
                    n_fft=p["n_fft"], win_length=p["win_length"], hop_length=p["hop_length"],
                    power=p["power"], center=p["center"], pad_mode=p["pad_mode"])(x)[0]
                emit(f"{inp}__{setting}__power_stft", spec.numpy(),
                     dict(kind="power_spectrogram", input=inp, setting=setting, params=params,
                          axes=["freq_bin", "frame"]))


def fbank_cases():
    for setting, p in SETTINGS.items():
        # 48 kHz only where it adds something: empty filters (C), a second grid (A).
        for sr in (16000, 48000) if setting[0] in "AC" else (16000,):
            f_max = p["f_max"] if p["f_max"] is not None else float(sr // 2)
            fb = torchaudio.functional.melscale_fbanks(
                n_freqs=p["n_fft"] // 2 + 1, f_min=p["f_min"], f_max=f_max, n_mels=p["n_mels"],
                sample_rate=sr, norm=p["norm"], mel_scale=p["mel_scale"])
            params = dict(p, sample_rate=sr)
            emit(f"fbank__{setting}__sr{sr}", fb.numpy(),
                 dict(kind="mel_filterbank", setting=setting, sample_rate=sr, params=params,
                      axes=["freq_bin", "mel_bin"],
                      empty_filters=[int(m) for m in np.where(fb.numpy().max(axis=0) == 0)[0]]))


def kaldi_cases():
    variants = {
        "kaldi_fbank80": dict(num_mel_bins=80),
        "kaldi_fbank23_nosnip": dict(snip_edges=False),
        "kaldi_fbank40_lowhigh": dict(num_mel_bins=40, low_freq=60.0, high_freq=-400.0,
                                      frame_length=20.0, frame_shift=12.5,
                                      preemphasis_coefficient=0.0, remove_dc_offset=False),
    }
    for inp in INPUTS:
        x, sr = load(inp)
        if x is None:
            continue
        for name, kw in variants.items():
            args = dict(dither=0.0, sample_frequency=float(sr), **kw)
            out = kaldi.fbank(x * 32768.0, **args)
            emit(f"{inp}__{name}", out.numpy(),
                 dict(kind="kaldi_fbank", input=inp, input_scale=32768.0, kaldi_params=args,
                      axes=["frame", "mel_bin"],
                      torchaudio_call=f"torchaudio.compliance.kaldi.fbank(x * 32768, **{args!r})"))


def resample_cases():
    pairs = [(48000, 16000), (16000, 48000), (44100, 16000), (16000, 22050),
             (22050, 44100), (48000, 44100), (8000, 12000)]
    n = 997
    for orig, new in pairs:
        t = np.arange(n) / orig
        rng = np.random.default_rng(orig * 7 + new)
        sig = 0.4 * np.sin(2 * np.pi * (200 * t + 0.5 * (orig / 2.5) * t * t / (n / orig)))
        sig += 0.1 * rng.standard_normal(n)
        x = torch.from_numpy(sig.astype(np.float32))
        y = torchaudio.functional.resample(x[None], orig, new)[0]
        name = f"resample_{orig}_{new}"
        write_f32(os.path.join(HERE, "resample", name + "__in.f32"), x.numpy(),
                  dict(kind="resample_input", orig_freq=orig))
        write_f32(os.path.join(HERE, "resample", name + ".f32"), y.numpy(),
                  dict(kind="resample", orig_freq=orig, new_freq=new, input=name + "__in.f32",
                       torchaudio_call=f"torchaudio.functional.resample(x, {orig}, {new}) "
                                       "(sinc_interpolation, lowpass_filter_width=6, rolloff=0.99)"))
        print(f"{name}: {n} -> {y.shape[0]} samples")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    import gen_wav  # noqa: E402  (beside this file)

    gen_wav.main(HERE)
    resample_cases()
    mel_cases()
    fbank_cases()
    kaldi_cases()
