"""Make the TorchScript feature extractor and expected features that
TestScriptFeatures checks pipe's torch.LoadScript against.

Usage: /usr/bin/python3 make_features_model.py  (run in torch/testdata)

Writes, beside this script:
  features_model.pt              a small CNN (conv, ReLU, conv, ReLU, global
                                 average and max pooling, linear) saved with
                                 torch.jit.script by Debian's python3-torch 1.13;
                                 it maps [B, 1, 28, 28] images in [0, 1] to [B, 24]
  features_expected.safetensors  "images": 10 seeded random U8 images
                                 [10, 1, 28, 28]; "features": what the model gives
                                 for them, F32 [10, 24], after dividing by 255 as
                                 pipe does

The safetensors file is written with numpy and json only. The model
normalises its input itself ((x - 0.5) / 0.5), as Inception ports do, so
the test also checks that pipe hands it [0, 1] values.
"""
import json
import struct

import numpy as np
import torch
from torch import nn


class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(32, 24)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - 0.5) / 0.5
        h = torch.relu(self.conv1(x))
        h = torch.relu(self.conv2(h))
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        return self.fc(pooled)


def write_safetensors(path, tensors):
    names = {np.dtype(np.uint8): "U8", np.dtype(np.float32): "F32"}
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"made_by": "make_features_model.py", "torch": torch.__version__}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)


def main():
    torch.manual_seed(20261204)
    model = torch.jit.script(Features().eval())
    model.save("features_model.pt")

    gen = torch.Generator().manual_seed(7)
    images = torch.randint(0, 256, (10, 1, 28, 28), dtype=torch.uint8, generator=gen)
    loaded = torch.jit.load("features_model.pt")
    with torch.no_grad():
        feats = loaded(images.float() / 255)
    write_safetensors("features_expected.safetensors",
                      {"images": images.numpy(), "features": feats.numpy()})
    print("features", tuple(feats.shape), "sum", float(feats.double().sum()))


if __name__ == "__main__":
    main()
