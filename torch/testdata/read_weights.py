"""Open the weights pipe's torch package saves, the way outside tools would.

Usage: /usr/bin/python3 read_weights.py DIR

model.safetensors is read with numpy and json only (no safetensors
package): an 8-byte little-endian header length, a JSON header, raw
little-endian data. model.pt is opened with torch.jit.load. The script
checks that both hold the same names and identical values, and prints one
line per tensor,

    tensor NAME SHAPE DTYPE SUM FIRST LAST

(SHAPE as 2x3x4, SUM the float64 sum of the values, FIRST and LAST the first
and last values in row-major order, all as Python's shortest repr) so that
the Go test compares them with the values it saved, and a final
"ok <count>". Any mismatch between the two files exits non-zero.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        arr = np.frombuffer(data[lo:hi], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out, meta


def read_varstore(path):
    import torch

    module = torch.jit.load(path)
    out = {}
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        out[name] = t.detach().numpy()
    if not out:  # older layouts keep tensors as plain attributes
        for name in dir(module):
            v = getattr(module, name)
            if isinstance(v, torch.Tensor):
                out[name] = v.detach().numpy()
    return out


def main():
    d = sys.argv[1]
    st, meta = read_safetensors(d + "/model.safetensors")
    print("metadata", json.dumps(meta, sort_keys=True))
    vs = read_varstore(d + "/model.pt")
    # gotch may store a dotted name with another separator; compare on dots.
    vs = {k.replace("|", ".").replace("/", "."): v for k, v in vs.items()}
    if sorted(st) != sorted(vs):
        sys.exit(f"names differ:\nsafetensors {sorted(st)}\nvarstore    {sorted(vs)}")
    for name in sorted(st):
        a, b = st[name], vs[name]
        if a.shape != b.shape or not np.array_equal(a, b):
            sys.exit(f"{name}: safetensors {a.shape} and varstore {b.shape} differ")
        shape = "x".join(str(d) for d in a.shape) or "scalar"
        flat = a.reshape(-1)
        total = float(a.astype(np.float64).sum())
        print(f"tensor {name} {shape} {a.dtype} {total!r} {float(flat[0])!r} {float(flat[-1])!r}")
    print("ok", len(st))


if __name__ == "__main__":
    main()
