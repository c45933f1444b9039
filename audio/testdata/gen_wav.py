"""WAV fixtures for the reader: one file per format, with the expected samples.

Called by gen.py. Headers are written by hand (struct) so that every field is
under our control; pcm16_stereo is written with Python's wave module instead, as
a check that the two agree with what real writers produce. The expected value of
each sample follows from the format (signed PCM: v / 2^(bits-1); 8-bit PCM is
unsigned: (v - 128) / 128; float64 rounded to float32) and is compared with
torchaudio.load where sox can read the file.
"""
import json
import os
import struct
import wave

import numpy as np
import torchaudio

GUID_TAIL = bytes([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])


def chunk(cid, payload):
    pad = b"\x00" if len(payload) % 2 else b""
    return cid + struct.pack("<I", len(payload)) + payload + pad


def riff(chunks):
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt_plain(tag, ch, rate, bits, cb_size=None):
    block = ch * bits // 8
    p = struct.pack("<HHIIHH", tag, ch, rate, rate * block, block, bits)
    if cb_size is not None:
        p += struct.pack("<H", cb_size)
    return p


def fmt_ext(sub, ch, rate, container, valid, mask):
    block = ch * container // 8
    return struct.pack("<HHIIHHHHI", 0xFFFE, ch, rate, rate * block, block, container, 22,
                       valid, mask) + struct.pack("<H", sub) + GUID_TAIL


def ints(rng, bits, shape):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    v = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    v[0, 0], v[-1, -1] = lo, hi  # the extremes must decode too
    return v


def pack_int(v, bits):
    """Interleave frames (frames x channels) of signed ints as little-endian bytes."""
    nb = bits // 8
    out = bytearray()
    for x in v.reshape(-1):
        out += int(x).to_bytes(nb, "little", signed=True)
    return bytes(out)


def case_files(here, name, data, rate, expected, note):
    path = os.path.join(here, "wav", name + ".wav")
    with open(path, "wb") as f:
        f.write(data)
    write_expected(here, name, path, rate, expected, note)


def write_expected(here, name, path, rate, expected, note):
    expected = np.asarray(expected, dtype=np.float32)  # frames x channels
    check = {}
    try:
        got, sr = torchaudio.load(path)
        diff = float(np.abs(got.numpy().T - expected).max())
        check = dict(torchaudio_load_rate=sr, torchaudio_load_max_abs_diff=diff)
        if not np.isfinite(diff):
            # sox 14.4.2 decodes 24-in-32 extensible PCM as float: garbage.
            check = dict(torchaudio_load_rate=sr, torchaudio_load_error="non-finite samples")
    except Exception as e:  # sox cannot read every variant; say so
        check = dict(torchaudio_load_error=str(e).splitlines()[0][:200])
    meta = dict(file=name + ".wav", rate=rate, note=note, frames=expected.shape[0],
                channels=[[float(v) for v in expected[:, c]] for c in range(expected.shape[1])],
                **check)
    with open(os.path.join(here, "wav", name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wav/{name}: {expected.shape[0]} frames x {expected.shape[1]} ch, {check}")


def main(here):
    rng = np.random.default_rng(6)
    n = 37

    # 8-bit PCM is unsigned with 128 as zero.
    v = ints(rng, 8, (n, 1))
    case_files(here, "pcm8_mono", riff([chunk(b"fmt ", fmt_plain(1, 1, 8000, 8)),
                                        chunk(b"data", (v + 128).astype(np.uint8).tobytes())]),
               8000, v / 128.0, "PCM 8-bit unsigned, odd-length data chunk with pad byte")

    v = ints(rng, 16, (n, 2))
    path = os.path.join(here, "wav", "pcm16_stereo.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(v.astype("<i2").tobytes())
    write_expected(here, "pcm16_stereo", path, 16000, v / 32768.0, "PCM 16-bit, Python wave module")

    v = ints(rng, 24, (n, 2))
    case_files(here, "pcm24_stereo", riff([chunk(b"fmt ", fmt_plain(1, 2, 44100, 24)),
                                           chunk(b"data", pack_int(v, 24))]),
               44100, v / 2.0**23, "PCM 24-bit packed")

    v = ints(rng, 32, (n, 1))
    case_files(here, "pcm32_mono", riff([chunk(b"fmt ", fmt_plain(1, 1, 48000, 32)),
                                         chunk(b"data", pack_int(v, 32))]),
               48000, v / 2.0**31, "PCM 32-bit")

    f = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    f[3, 0], f[4, 1] = 1.5, -2.25  # out of range: kept, not clipped
    case_files(here, "float32_stereo", riff([chunk(b"fmt ", fmt_plain(3, 2, 22050, 32, 0)),
                                             chunk(b"fact", struct.pack("<I", n)),
                                             chunk(b"data", f.astype("<f4").tobytes())]),
               22050, f, "IEEE float 32-bit, 18-byte fmt, fact chunk")

    d = rng.uniform(-1, 1, (n, 1))
    d[5, 0] = 1e-40  # subnormal in float32
    case_files(here, "float64_mono", riff([chunk(b"fmt ", fmt_plain(3, 1, 16000, 64, 0)),
                                           chunk(b"data", d.astype("<f8").tobytes())]),
               16000, d.astype(np.float32), "IEEE float 64-bit, rounded to float32")

    v = ints(rng, 16, (n, 6))
    case_files(here, "ext_pcm16_6ch", riff([chunk(b"fmt ", fmt_ext(1, 6, 48000, 16, 16, 0x3F)),
                                            chunk(b"data", pack_int(v, 16))]),
               48000, v / 32768.0, "WAVE_FORMAT_EXTENSIBLE, PCM 16-bit, 5.1")

    v = ints(rng, 24, (n, 2))
    case_files(here, "ext_pcm24in32", riff([chunk(b"fmt ", fmt_ext(1, 2, 96000, 32, 24, 0x3)),
                                            chunk(b"data", pack_int(v << 8, 32))]),
               96000, v / 2.0**23, "WAVE_FORMAT_EXTENSIBLE, 24 valid bits in 32-bit containers")

    f = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
    case_files(here, "ext_float32_3ch", riff([chunk(b"fmt ", fmt_ext(3, 3, 32000, 32, 32, 0x7)),
                                              chunk(b"data", f.astype("<f4").tobytes())]),
               32000, f, "WAVE_FORMAT_EXTENSIBLE, IEEE float 32-bit, 3 channels")

    v = ints(rng, 16, (n, 1))
    case_files(here, "pcm16_chunks", riff([chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00pipe\x00"),
                                           chunk(b"fmt ", fmt_plain(1, 1, 11025, 16)),
                                           chunk(b"junk", b"abc"),
                                           chunk(b"data", pack_int(v, 16)),
                                           chunk(b"id3 ", b"trailing")]),
               11025, v / 32768.0, "odd-sized chunks before and after data (pad bytes)")

    v = ints(rng, 24, (n, 5))
    case_files(here, "pcm24_5ch", riff([chunk(b"fmt ", fmt_plain(1, 5, 8000, 24)),
                                        chunk(b"data", pack_int(v, 24))]),
               8000, v / 2.0**23, "PCM 24-bit, 5 channels")
