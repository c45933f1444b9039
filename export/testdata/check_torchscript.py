#!/usr/bin/python3
"""Runs pipe's TorchScript exports in Python's torch.jit.load.

For every case directory here (gan-mlp, vae-conv, ...) it loads each
<net>.pt, runs forward on the inputs in io.safetensors and compares with
pipe's outputs there, which pipe's own forward pass computed. The .pt files
are not committed; make them first:

    go test ./torch -run TestExportTorchScript -args -export.fixtures
    /usr/bin/python3 export/testdata/check_torchscript.py

An argument names another directory of cases instead, such as one made
with -export.dir=/tmp/full -export.full (the article's sizes).

Uses Debian's python3-torch and numpy only. Exits 1 when any output differs
from pipe's by more than 1e-5.
"""

import json
import os
import struct
import sys

import numpy as np
import torch

TOLERANCE = 1e-5
HERE = os.path.dirname(os.path.abspath(__file__))
NETS = {
    "generator": (["z"], ["images"]),
    "encoder": (["images"], ["mu", "logvar"]),
    "decoder": (["z"], ["images"]),
    "lm": (["ids"], ["logits"]),
}


def read_safetensors(path):
    """A plain safetensors reader: 8-byte header length, JSON header, data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": "<f4", "I64": "<i8"}[info["dtype"]]
        start, end = info["data_offsets"]
        buf = data[8 + n + start : 8 + n + end]
        out[name] = np.frombuffer(buf, dtype=dtype).reshape(info["shape"])
    return out


def check_case(case_dir, models_dir):
    io = read_safetensors(os.path.join(case_dir, "io.safetensors"))
    worst = 0.0
    checked = 0
    for net, (inputs, outputs) in NETS.items():
        path = os.path.join(models_dir, net + ".pt")
        if not os.path.exists(path):
            continue
        module = torch.jit.load(path)
        module.eval()
        args = [torch.from_numpy(io[f"{net}.{name}"].copy()) for name in inputs]
        # Batch sizes, and for the language model sequence lengths too (a
        # causal model's first positions depend only on themselves).
        runs = [(len(args[0]), None), (1, None), (2, None)]
        if net == "lm":
            runs += [(len(args[0]), 1), (len(args[0]), 5)]
        for batch, seq in runs:
            with torch.no_grad():
                got = module(*[a[:batch, :seq] for a in args])
            if not isinstance(got, tuple):
                got = (got,)
            for name, g in zip(outputs, got):
                want = io[f"{net}.{name}"][:batch, :seq]
                d = float(np.max(np.abs(g.numpy() - want)))
                worst = max(worst, d)
                if batch == len(args[0]):
                    print(f"{os.path.basename(case_dir)} {net} {name} {list(g.shape)}: max abs diff {d:.3g}")
        checked += 1
    if checked == 0:
        raise SystemExit(f"{models_dir}: no .pt files; run the Go test with -export.fixtures first")
    return worst


def main():
    if len(sys.argv) > 2:
        raise SystemExit("usage: check_torchscript.py [cases-dir]")
    root = sys.argv[1] if len(sys.argv) == 2 else HERE
    worst = 0.0
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        if os.path.exists(os.path.join(d, "io.safetensors")):
            worst = max(worst, check_case(d, d))
    print(f"worst max abs diff {worst:.3g} (tolerance {TOLERANCE:g})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
