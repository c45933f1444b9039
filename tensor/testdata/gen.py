#!/usr/bin/python3
"""Reference fixtures for package tensor, and a check of what pipe writes.

    /usr/bin/python3 gen.py          # rewrite the fixtures below
    /usr/bin/python3 gen.py check    # load pipe's output (gowritten/) here

Run from anywhere; paths are relative to this file. Needs numpy, torch and
torchvision (Debian's python3-numpy, python3-torch, python3-torchvision).

npy/        arrays written by numpy.save / numpy.lib.format.write_array
idx/        IDX files written by the small writer below (MNIST layout)
safetensors/ files written by the small writer below, which follows the
            format spec and the reference library's layout rules (Python's
            safetensors package is not installed on this machine); bf16
            values come from torch
grid/       inputs and torchvision make_grid + save_image pixels
expected.json  for every file: the pipe dtype and shape it must read as and
            the little-endian bytes of the values (hex), or an error
            substring
gowritten/  written by `go test -run TestGoWritten -update`; `check` loads
            them with numpy and the reader below
"""
import gzip
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# numpy dtype of the values pipe holds after reading each stored kind.
PIPE = {
    "b1": ("U8", "|u1"), "u1": ("U8", "|u1"), "i1": ("I32", "<i4"),
    "i2": ("I32", "<i4"), "u2": ("I32", "<i4"), "i4": ("I32", "<i4"),
    "u4": ("I64", "<i8"), "i8": ("I64", "<i8"), "f2": ("F32", "<f4"),
    "f4": ("F32", "<f4"), "f8": ("F64", "<f8"),
}

expected = {}


def expect(rel, arr, kind=None):
    kind = kind or arr.dtype.str[1:]
    dtype, np_dtype = PIPE[kind]
    expected[rel] = {
        "dtype": dtype,
        "shape": list(arr.shape),
        "hex": np.ascontiguousarray(arr.astype(np_dtype)).tobytes().hex(),
    }


def expect_error(rel, substring):
    expected[rel] = {"error": substring}


def path(rel):
    p = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def special_floats(dt):
    info = np.finfo(dt)
    return np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan,
                     info.tiny, info.tiny / 4, info.max, -info.max,
                     np.pi], dtype=dt)


def gen_npy():
    rng = np.random.default_rng(1)
    arrays = {
        "u1": np.array([[0, 1, 127], [128, 254, 255]], dtype="|u1"),
        "i1": np.array([-128, -1, 0, 1, 127], dtype="|i1"),
        "i2": np.array([[-32768, -1], [0, 32767]], dtype="<i2"),
        "u2": np.array([0, 1, 65535], dtype="<u2"),
        "i4": np.array([[-2**31, -1, 0], [1, 2**31 - 1, 12345]], dtype="<i4"),
        "u4": np.array([0, 1, 2**32 - 1], dtype="<u4"),
        "i8": np.array([-2**63, -1, 0, 1, 2**63 - 1, 2**40], dtype="<i8").reshape(2, 3),
        "f2": special_floats("<f2").reshape(3, 4),
        "f4": special_floats("<f4").reshape(2, 2, 3),
        "f8": special_floats("<f8").reshape(4, 3),
        "b1": np.array([[True, False, True], [False, False, True]]),
        "be_i4": np.array([-5, 7, 2**31 - 1], dtype=">i4"),
        "be_i8": np.array([[-2**63, 3], [4, -5]], dtype=">i8"),
        "be_f4": special_floats(">f4"),
        "be_f8": special_floats(">f8").reshape(2, 6),
        "be_f2": special_floats(">f2"),
        "scalar_f8": np.array(2.75, dtype="<f8"),
        "empty_f4": np.zeros((0, 3), dtype="<f4"),
        "vec_i8": np.arange(-3, 4, dtype="<i8"),
        "fortran_f8": np.asfortranarray(rng.standard_normal((2, 3, 4))),
        "fortran_i4": np.asfortranarray(np.arange(12, dtype="<i4").reshape(3, 4)),
        "fortran_u1": np.asfortranarray(np.arange(30, dtype="|u1").reshape(2, 3, 5)),
    }
    for name, a in arrays.items():
        rel = "npy/%s.npy" % name
        np.save(path(rel), a)
        expect(rel, a)
    assert np.load(path("npy/fortran_f8.npy")).flags.f_contiguous

    a = rng.standard_normal((3, 5)).astype("<f4")
    for v in [(1, 0), (2, 0), (3, 0)]:
        rel = "npy/v%d_f4.npy" % v[0]
        with open(path(rel), "wb") as f:
            np.lib.format.write_array(f, a, version=v)
        expect(rel, a)

    for name, a, msg in [
        ("complex", np.zeros(2, dtype="<c8"), 'dtype "<c8" is not supported'),
        ("u8", np.zeros(2, dtype="<u8"), 'dtype "<u8" is not supported'),
        ("structured", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]), "structured dtype"),
        ("unicode", np.array(["ab", "c"]), 'dtype "<U2" is not supported'),
    ]:
        rel = "npy/bad_%s.npy" % name
        np.save(path(rel), a)
        expect_error(rel, msg)


def idx_bytes(a, code):
    head = struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(">%dI" % a.ndim, *a.shape)
    return head + a.tobytes()


def gen_idx():
    rng = np.random.default_rng(2)
    cases = [
        ("ubyte", 0x08, rng.integers(0, 256, (4, 5, 3)).astype(">u1"), "u1"),
        ("sbyte", 0x09, np.array([-128, -1, 0, 1, 127], dtype=">i1"), "i1"),
        ("short", 0x0B, np.array([[-32768, -2], [3, 32767]], dtype=">i2"), "i2"),
        ("int", 0x0C, np.array([-2**31, -1, 0, 2**31 - 1], dtype=">i4"), "i4"),
        ("float", 0x0D, special_floats(">f4").reshape(3, 4), "f4"),
        ("double", 0x0E, special_floats(">f8").reshape(2, 3, 2), "f8"),
    ]
    for name, code, a, kind in cases:
        rel = "idx/%s.idx" % name
        with open(path(rel), "wb") as f:
            f.write(idx_bytes(a, code))
        expect(rel, a, kind)
    labels = rng.integers(0, 10, 100).astype(">u1")
    rel = "idx/labels-idx1-ubyte.gz"
    with open(path(rel), "wb") as f:
        # mtime=0 keeps the file identical from run to run.
        f.write(gzip.compress(idx_bytes(labels, 0x08), mtime=0))
    expect(rel, labels, "u1")


# Reference library's Dtype order (alignment, then as listed there); the
# writer puts higher ranks first, then sorts by name.
RANK = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
        "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
ST_NUMPY = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "U16": "<u2",
            "F16": "<f2", "I32": "<i4", "U32": "<u4", "F32": "<f4", "F64": "<f8",
            "I64": "<i8", "U64": "<u8", "BF16": "<u2",
            "F8_E4M3": "|u1", "F8_E5M2": "|u1"}


def st_write(filename, tensors, metadata=None):
    """tensors: name -> (dtype name, numpy array holding the stored bytes)."""
    order = sorted(tensors, key=lambda n: (-RANK.index(tensors[n][0]), n))
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for n in order:
        dt, a = tensors[n]
        b = np.ascontiguousarray(a.astype(ST_NUMPY[dt])).tobytes()
        header[n] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(filename, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def st_read(filename):
    """An independent reader that checks the layout as the spec demands."""
    buf = open(filename, "rb").read()
    (n,) = struct.unpack("<Q", buf[:8])
    assert n % 8 == 0 and 8 + n <= len(buf), "header length"
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    end, out = 0, {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        assert b == end, "tensor %s not contiguous" % name
        dt = np.dtype(ST_NUMPY[info["dtype"]])
        assert e - b == int(np.prod(info["shape"])) * dt.itemsize, name
        out[name] = (info["dtype"], np.frombuffer(buf[8 + n + b:8 + n + e], dt).reshape(info["shape"]))
        end = e
    assert 8 + n + end == len(buf), "trailing bytes"
    return out, meta


def gen_safetensors():
    import torch

    rng = np.random.default_rng(3)
    pipe = {
        "weight": ("F32", rng.standard_normal((4, 3)).astype("<f4")),
        "bias": ("F32", special_floats("<f4")),
        "a.f64": ("F64", special_floats("<f8").reshape(3, 4)),
        "steps": ("I64", np.array(123456789012, dtype="<i8")),
        "tokens": ("I32", np.array([[-1, 0, 7], [2**31 - 1, -2**31, 5]], dtype="<i4")),
        "pixels": ("U8", rng.integers(0, 256, (2, 3, 5)).astype("|u1")),
        "empty": ("F32", np.zeros((0, 4), dtype="<f4")),
        "z.odd": ("U8", np.array([1, 2, 3], dtype="|u1")),
    }
    meta = {"format": "pt", "note": "quote \" backslash \\ tab \t é ✓", "step": "7"}
    rel = "safetensors/pipe.safetensors"
    st_write(path(rel), pipe, meta)
    for n, (dt, a) in pipe.items():
        expect(rel + "#" + n, a, a.dtype.str[1:])
    expected[rel + "#__metadata__"] = meta

    floats = rng.standard_normal(7).astype("<f4") * 100
    bf = torch.tensor(floats).to(torch.bfloat16)
    bf_bits = bf.view(torch.int16).numpy().view("<u2")
    foreign = {
        "half": ("F16", special_floats("<f2")),
        "brain": ("BF16", bf_bits),
        "mask": ("BOOL", np.array([[True, False], [False, True]])),
        "i8": ("I8", np.array([-128, 0, 127], dtype="|i1")),
        "i16": ("I16", np.array([-32768, 5, 32767], dtype="<i2")),
        "u16": ("U16", np.array([0, 65535], dtype="<u2")),
        "u32": ("U32", np.array([[0, 2**32 - 1]], dtype="<u4")),
    }
    rel = "safetensors/foreign.safetensors"
    st_write(path(rel), foreign)
    for n, (dt, a) in foreign.items():
        expect(rel + "#" + n, a, a.dtype.str[1:])
    expect(rel + "#brain", bf.float().numpy(), "f4")

    rel = "safetensors/u64.safetensors"
    st_write(path(rel), {"big": ("U64", np.array([1, 2**64 - 1], dtype="<u8"))})
    expect_error(rel, "dtype U64 is not supported")
    rel = "safetensors/f8.safetensors"
    st_write(path(rel), {"q": ("F8_E4M3", np.array([1, 2], dtype="|u1"))})
    expect_error(rel, "dtype F8_E4M3 is not supported")


def gen_grid():
    import torch
    from torchvision.utils import make_grid

    rng = np.random.default_rng(4)
    cases = [
        ("gray5", (5, 1, 4, 3), 3, 0.0, 1.0),
        ("rgb4", (4, 3, 3, 5), 2, -1.0, 1.0),
        ("rgb1", (1, 3, 2, 2), 4, 0.0, 1.0),
        ("nhw7", (7, 3, 4), 3, -0.5, 2.0),
    ]
    for name, shape, cols, lo, hi in cases:
        x = rng.uniform(lo - 0.3 * (hi - lo), hi + 0.3 * (hi - lo), shape).astype("<f4")
        x.flat[0], x.flat[1] = lo, hi  # exact ends of the range
        np.save(path("grid/%s_in.npy" % name), x)
        t = torch.from_numpy(x.astype("<f8"))
        if t.dim() == 3:
            t = t.unsqueeze(1)  # N grey images, as pipe reads N×H×W
        t = (t - lo) / (hi - lo)
        g = make_grid(t, nrow=cols)
        pix = g.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
        np.save(path("grid/%s_want.npy" % name), pix)
        expected["grid/" + name] = {"cols": cols, "lo": lo, "hi": hi}


def check():
    """Load what pipe wrote (gowritten/) and compare with the fixtures."""
    gw = os.path.join(HERE, "gowritten")
    n = 0
    for f in sorted(os.listdir(gw)):
        p = os.path.join(gw, f)
        if f.endswith(".npy"):
            got = np.load(p)
            want = np.load(os.path.join(HERE, "npy", f))
            assert got.dtype == want.dtype and got.shape == want.shape, f
            assert got.tobytes() == np.ascontiguousarray(want).tobytes(), f
            n += 1
        elif f.endswith(".safetensors"):
            got, meta = st_read(p)
            want, wmeta = st_read(os.path.join(HERE, "safetensors", f))
            assert meta == wmeta, (f, meta, wmeta)
            for name, (dt, a) in want.items():
                e = expected["safetensors/%s#%s" % (f, name)]
                gdt, ga = got[name]
                assert gdt == e["dtype"] and list(ga.shape) == e["shape"], (f, name)
                assert ga.tobytes().hex() == e["hex"], (f, name)
            n += 1
    print("check: numpy and the reader here load all %d files pipe wrote" % n)


def main():
    if sys.argv[1:] == ["check"]:
        with open(os.path.join(HERE, "expected.json")) as f:
            expected.update(json.load(f))
        check()
        return
    gen_npy()
    gen_idx()
    gen_safetensors()
    gen_grid()
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
