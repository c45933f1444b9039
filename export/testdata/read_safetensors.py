#!/usr/bin/python3
"""Reads pipe's safetensors exports with nothing but numpy and json.

For every case directory here it opens safetensors/model.safetensors and
safetensors/config.json (what the export/safetensors stage writes), rebuilds
each network's forward from the layers config.json lists, runs it in numpy
on the inputs in io.safetensors and compares with pipe's outputs there.
The safetensors/ directories are not committed; make them first:

    go test ./torch -run TestExportTorchScript -args -export.fixtures
    /usr/bin/python3 export/testdata/read_safetensors.py

An argument names another directory of cases instead. Exits 1 when any
output differs from pipe's by more than 1e-4 (numpy computes in float64,
pipe in float32).
"""

import json
import math
import os
import struct
import sys

import numpy as np

TOLERANCE = 1e-4
HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    """Header length (8 bytes, little-endian), JSON header, then the data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = data[8 + n + start : 8 + n + end]
        if info["dtype"] == "I64":
            out[name] = np.frombuffer(buf, dtype="<i8").reshape(info["shape"])
        else:
            out[name] = np.frombuffer(buf, dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def conv2d(x, w, b, s, p):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho, wo = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    y = np.zeros((n, o, ho, wo))
    for i in range(k):
        for j in range(k):
            patch = x[:, :, i : i + s * ho : s, j : j + s * wo : s]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return y if b is None else y + b[None, :, None, None]


def conv_transpose2d(x, w, b, s, p):
    n, _, h, wd = x.shape
    _, o, k, _ = w.shape
    hf, wf = (h - 1) * s + k, (wd - 1) * s + k
    y = np.zeros((n, o, hf, wf))
    for i in range(k):
        for j in range(k):
            y[:, :, i : i + s * h : s, j : j + s * wd : s] += np.einsum("nchw,co->nohw", x, w[:, :, i, j])
    y = y[:, :, p : hf - p, p : wf - p]
    return y if b is None else y + b[None, :, None, None]


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def attention(x, wqkv, bqkv, wp, bp, heads):
    """Causal multi-head self-attention, GPT-2's, without dropout."""
    b, t, d = x.shape
    hd = d // heads
    qkv = x @ wqkv.T + bqkv
    q, k, v = (qkv[..., i * d : (i + 1) * d].reshape(b, t, heads, hd).transpose(0, 2, 1, 3) for i in range(3))
    att = (q / math.sqrt(hd)) @ k.transpose(0, 1, 3, 2)
    att = np.where(np.triu(np.ones((t, t), dtype=bool), 1), -np.inf, att)
    att = np.exp(att - att.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
    return y @ wp.T + bp


def run(net, weights, inputs):
    """Runs the layers of one network of config.json on named inputs."""
    values = dict(inputs)

    def var(layer, suffix):
        return weights.get(net["prefix"] + next((q for q in layer.get("params", []) if q.endswith(suffix)), "-"))

    for layer in net["layers"]:
        x, op = values[layer["input"]], layer["op"]
        if op == "linear":
            y = x @ var(layer, ".weight").T + var(layer, ".bias")
        elif op == "conv2d":
            y = conv2d(x, var(layer, ".weight"), var(layer, ".bias"), layer["stride"], layer.get("padding", 0))
        elif op == "conv_transpose2d":
            y = conv_transpose2d(x, var(layer, ".weight"), var(layer, ".bias"), layer["stride"], layer.get("padding", 0))
        elif op == "batch_norm":
            c = (None, slice(None), None, None)
            mean, var_ = var(layer, ".running_mean")[c], var(layer, ".running_var")[c]
            y = (x - mean) / np.sqrt(var_ + layer["eps"]) * var(layer, ".weight")[c] + var(layer, ".bias")[c]
        elif op == "leaky_relu":
            y = np.where(x > 0, x, x * layer["negative_slope"])
        elif op == "relu":
            y = np.maximum(x, 0)
        elif op == "tanh":
            y = np.tanh(x)
        elif op == "sigmoid":
            y = 1 / (1 + np.exp(-x))
        elif op == "reshape":
            y = x.reshape(layer["shape"])
        elif op == "flatten":
            y = x.reshape(x.shape[0], -1)
        elif op == "embedding":
            y = var(layer, ".weight")[x]
        elif op == "add_position":
            y = x + var(layer, ".weight")[: values[layer["input2"]].shape[1]]
        elif op == "layer_norm":
            y = layer_norm(x, var(layer, ".weight"), var(layer, ".bias"), layer["eps"])
        elif op == "gelu":
            y = x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))) / 2
        elif op == "causal_self_attention":
            p = layer["params"]
            w = [weights[net["prefix"] + q] for q in p]
            y = attention(x, w[0], w[1], w[2], w[3], layer["heads"])
        elif op == "add":
            y = x + values[layer["input2"]]
        elif op == "tied_linear":
            y = x @ var(layer, ".weight").T
        else:
            raise SystemExit(f"unknown layer op {op}")
        values[layer["output"]] = y
    return {o["name"]: values[o["name"]] for o in net["outputs"]}


def check_case(case_dir):
    export = os.path.join(case_dir, "safetensors")
    with open(os.path.join(export, "config.json")) as f:
        config = json.load(f)
    weights = read_safetensors(os.path.join(export, config["weights"]))
    io = read_safetensors(os.path.join(case_dir, "io.safetensors"))
    worst = 0.0
    for net in config["networks"]:
        name = net["name"]
        inputs = {p["name"]: io[f"{name}.{p['name']}"] for p in net["inputs"]}
        for out, got in run(net, weights, inputs).items():
            d = float(np.max(np.abs(got - io[f"{name}.{out}"])))
            worst = max(worst, d)
            print(f"{os.path.basename(case_dir)} {config['architecture']} {name} {out} {list(got.shape)}: max abs diff {d:.3g}")
    return worst


def main():
    if len(sys.argv) > 2:
        raise SystemExit("usage: read_safetensors.py [cases-dir]")
    root = sys.argv[1] if len(sys.argv) == 2 else HERE
    worst = 0.0
    for case in sorted(os.listdir(root)):
        if os.path.exists(os.path.join(root, case, "safetensors", "config.json")):
            worst = max(worst, check_case(os.path.join(root, case)))
    print(f"worst max abs diff {worst:.3g} (tolerance {TOLERANCE:g})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
