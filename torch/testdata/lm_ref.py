"""Make the fixture that TestLMForwardParity checks pipe's torch.LM against.

Usage: /usr/bin/python3 lm_ref.py  (run in torch/testdata; Debian's
python3-torch 1.13, numpy)

Writes lm_ref.safetensors beside this script, holding
  - every weight of a small decoder-only Transformer under the names
    pipe's LM gives its variables (wte.weight, blocks.0.attn.qkv.weight, ...);
  - "input_ids": I64 [3, 11], seeded random token ids;
  - "logits": F32 [3, 11, 50], what PyTorch computes for them in eval mode;
  - "loss": F32 [1], the mean cross-entropy of logits[:, :-1] against
    input_ids[:, 1:];
  - "step.<name>" for every weight: its value after two training steps
    on that loss without dropout, through torch.nn.utils.clip_grad_norm_
    (max norm STEP["clip"]) and torch.optim.AdamW (lr STEP["lr"], weight
    decay STEP["weight_decay"] on tensors of two or more dimensions, none
    on biases and LayerNorm parameters, PyTorch's default betas and eps);
  - "grad_norm": F32 [2], the global gradient norm of each step before
    clipping. Two steps, because Adam's first step does not depend on the
    gradient's scale: only the second shows whether clipping is right.
and, in the metadata under "pipe.lm", the architecture as JSON.

The reference model is built from PyTorch's own modules, not from a
transcription of pipe's code: nn.Embedding for tokens and positions,
nn.TransformerEncoderLayer(norm_first=True, activation="gelu") with a
causal mask for each block (pre-LayerNorm, nn.MultiheadAttention, a GELU
feed-forward network), a final nn.LayerNorm and logits from the token
embedding matrix. Weights are drawn at a larger scale than GPT-2's
initialisation, so that the logits are of order 1-10 and a wrong head
split, mask or scaling cannot hide under the tolerance.

The safetensors file is written with numpy and json only (Debian has no
python3-safetensors).
"""
import json
import struct

import numpy as np
import torch
from torch import nn

CONFIG = {"vocab": 50, "context": 16, "dim": 32, "layers": 2, "heads": 4, "ffn": 48,
          "dropout": 0.1}
STEP = {"lr": 0.01, "weight_decay": 0.1, "clip": 1.0}


class Reference(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab"], c["dim"])
        self.wpe = nn.Embedding(c["context"], c["dim"])
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(c["dim"], c["heads"], dim_feedforward=c["ffn"],
                                       dropout=c["dropout"], activation="gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(c["layers"])])
        self.lnf = nn.LayerNorm(c["dim"])

    def forward(self, ids):
        t = ids.shape[1]
        h = self.wte(ids) + self.wpe(torch.arange(t))
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        for b in self.blocks:
            h = b(h, src_mask=mask)
        return self.lnf(h) @ self.wte.weight.T


def pipe_names(model):
    """Maps pipe's variable names to the reference's parameters."""
    out = {"wte.weight": model.wte.weight, "wpe.weight": model.wpe.weight,
           "lnf.weight": model.lnf.weight, "lnf.bias": model.lnf.bias}
    for i, b in enumerate(model.blocks):
        p = f"blocks.{i}."
        out.update({
            p + "ln1.weight": b.norm1.weight, p + "ln1.bias": b.norm1.bias,
            p + "attn.qkv.weight": b.self_attn.in_proj_weight,
            p + "attn.qkv.bias": b.self_attn.in_proj_bias,
            p + "attn.proj.weight": b.self_attn.out_proj.weight,
            p + "attn.proj.bias": b.self_attn.out_proj.bias,
            p + "ln2.weight": b.norm2.weight, p + "ln2.bias": b.norm2.bias,
            p + "mlp.fc1.weight": b.linear1.weight, p + "mlp.fc1.bias": b.linear1.bias,
            p + "mlp.fc2.weight": b.linear2.weight, p + "mlp.fc2.bias": b.linear2.bias,
        })
    return out


def write_safetensors(path, tensors, metadata):
    names = {np.dtype(np.int64): "I64", np.dtype(np.float32): "F32"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for raw in blobs:
            f.write(raw)


def main():
    torch.manual_seed(20261204)
    model = Reference(CONFIG)
    params = pipe_names(model)
    assert len(params) == len(list(model.parameters()))
    with torch.no_grad():
        for name, p in params.items():
            if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name == "lnf.weight":
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name in ("wte.weight", "wpe.weight"):
                p.copy_(0.5 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
    model.eval()

    ids = torch.randint(0, CONFIG["vocab"], (3, 11), dtype=torch.int64)
    with torch.no_grad():
        logits = model(ids)
        loss = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, CONFIG["vocab"]),
                                           ids[:, 1:].reshape(-1))
        # The float32 result against the same model in float64: the
        # rounding noise any float32 implementation has to live with.
        exact = model.double()(ids)
    noise = (logits.double() - exact).abs().max().item()
    print(f"logits range [{logits.min():.3f}, {logits.max():.3f}], "
          f"float32 vs float64 max difference {noise:.3g}, loss {loss.item():.6f}")

    model.float()
    tensors = {name: p.detach().clone().numpy() for name, p in params.items()}
    tensors["input_ids"] = ids.numpy()
    tensors["logits"] = logits.numpy()
    tensors["loss"] = np.array([loss.item()], dtype=np.float32)

    # Two training steps. train() mode would draw dropout masks pipe cannot
    # reproduce, so dropout is switched off by eval mode: the steps check
    # the loss's gradient, the clipping and AdamW, not the dropout draws.
    decay = [p for p in params.values() if p.dim() >= 2]
    other = [p for p in params.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": STEP["weight_decay"]},
                             {"params": other, "weight_decay": 0.0}], lr=STEP["lr"])
    norms = []
    for _ in range(2):
        opt.zero_grad()
        out = model(ids)
        step_loss = nn.functional.cross_entropy(out[:, :-1].reshape(-1, CONFIG["vocab"]),
                                                ids[:, 1:].reshape(-1))
        step_loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), STEP["clip"]).item())
        opt.step()
    print(f"gradient norms {norms} (clipped to {STEP['clip']})")
    for name, p in params.items():
        tensors["step." + name] = p.detach().clone().numpy()
    tensors["grad_norm"] = np.array(norms, dtype=np.float32)

    meta = {"pipe.lm": json.dumps(CONFIG, sort_keys=True), "pipe.step": json.dumps(STEP),
            "made_by": "lm_ref.py with torch " + torch.__version__}
    write_safetensors("lm_ref.safetensors", tensors, meta)


if __name__ == "__main__":
    main()
