#!/usr/bin/python3
"""Generate augment/testdata/generated.json with torchvision 0.14 (tensor path).

Run with Debian's interpreter from the repository root:

    /usr/bin/python3 augment/testdata/gen.py

It covers what the shared refcases (augment_cases.json) lack: rotations at
arbitrary angles (nearest and bilinear, expand, centre, per-channel fill,
fill=None), resize (nearest, bilinear, bicubic, antialiased, one-channel),
centre crop, RandomCrop with pad_if_needed, vertical flip, all 24
ColorJitter orders, hue at the edges of its range, normalize with a
broadcast mean, quarter turns of a 4x6 image, and paddings torch refuses
(recorded with the error it raised). Random transforms are run through their real
forward() with get_params replaced by fixed values, so the code under test
is torchvision's own, minus its random draws.

The output uses the refcases' case format (name, op, params, input,
expected, exact, abs_tolerance), so the Go test reads both with one loader.
"""

import itertools
import json
import os
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated.json")

torch.manual_seed(20260603)
cases = []


def short(v):
    # The shortest decimal that reads back as the same float32 keeps the
    # file small; readers must convert to float32 (the Go test does).
    if isinstance(v, list):
        return [short(x) for x in v]
    return float(repr(np.float32(v)))


def arr(t):
    data = t.tolist()
    if t.dtype == torch.float32:
        data = short(data)
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": data}


def add(name, op, params, img, out, exact, tol=0.0, note=None):
    c = {"name": name, "op": op, "params": params, "input": arr(img), "expected": arr(out),
         "exact": exact, "abs_tolerance": tol}
    if note:
        c["note"] = note
    cases.append(c)


def rand_img(c, h, w):
    return torch.rand(c, h, w, dtype=torch.float32)


def ramp(c, h, w):
    return torch.arange(c * h * w, dtype=torch.float32).reshape(c, h, w)


MODES = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR,
         "bicubic": InterpolationMode.BICUBIC}

# Rotations. Nearest results are compared exactly, bilinear to 2e-6
# (float32 accumulation order inside grid_sample).
rgb = rand_img(3, 7, 9)
sq = rand_img(1, 8, 8)
mnist_like = (torch.rand(1, 28, 28) > 0.6).float() * torch.rand(1, 28, 28)
for img_name, img in [("rgb7x9", rgb), ("sq8", sq), ("m28", mnist_like)]:
    for angle in [-170.0, -33.3, 12.5, 45.0, 61.7, 135.0]:
        for interp in ["nearest", "bilinear"]:
            for expand in [False, True]:
                if img_name == "m28" and angle not in (12.5, -33.3):
                    continue
                fill = [0.0]
                out = F.rotate(img, angle, MODES[interp], expand=expand, fill=fill)
                add(f"rotate_{img_name}_{angle}_{interp}_expand{int(expand)}", "F.rotate",
                    {"angle": angle, "interpolation": interp, "expand": expand, "fill": fill},
                    img, out, interp == "nearest", 2e-6)
for interp in ["nearest", "bilinear"]:
    out = F.rotate(rgb, 30.0, MODES[interp], expand=False, center=[2, 5], fill=[0.25, 0.5, 1.0])
    add(f"rotate_rgb_center_fill3_{interp}", "F.rotate",
        {"angle": 30.0, "interpolation": interp, "expand": False, "center": [2, 5],
         "fill": [0.25, 0.5, 1.0]}, rgb, out, interp == "nearest", 2e-6)
    out = F.rotate(rgb, -20.0, MODES[interp], expand=True, fill=[0.7])
    add(f"rotate_rgb_expand_fill07_{interp}", "F.rotate",
        {"angle": -20.0, "interpolation": interp, "expand": True, "fill": [0.7]},
        rgb, out, interp == "nearest", 2e-6)
    out = F.rotate(rgb, 17.0, MODES[interp], expand=False, fill=None)
    add(f"rotate_rgb_fill_none_{interp}", "F.rotate",
        {"angle": 17.0, "interpolation": interp, "expand": False, "fill": None},
        rgb, out, interp == "nearest", 2e-6,
        "fill=None: bilinear borders are not multiplied by the mask")

# RandomRotation's forward with the angle fixed: its default fill=0 is
# passed on as [0.0], which masks bilinear borders.
for interp in ["nearest", "bilinear"]:
    t = T.RandomRotation(degrees=(40.0, 40.0), interpolation=MODES[interp])
    out = t(rgb)
    add(f"random_rotation_collapsed_40_{interp}", "F.rotate",
        {"angle": 40.0, "interpolation": interp, "expand": False, "fill": [0.0]},
        rgb, out, interp == "nearest", 2e-6, "T.RandomRotation(degrees=(40, 40)) forward")

# Resize (tensor path, antialias off as torchvision 0.14 defaults).
src = rand_img(3, 7, 9)
for size in [[5, 4], [13, 17], [14, 18], [7, 9], [3, 3], [20, 5]]:
    for interp in ["nearest", "bilinear", "bicubic"]:
        out = F.resize(src, size, MODES[interp])
        add(f"resize_{size[0]}x{size[1]}_{interp}", "F.resize",
            {"size": size, "interpolation": interp}, src, out, interp == "nearest", 2e-6)
for size, max_size in [([5], None), ([12], None), ([6], 8)]:
    out = F.resize(src, size, InterpolationMode.BILINEAR, max_size=max_size)
    add(f"resize_short{size[0]}_max{max_size}", "F.resize",
        {"size": size, "max_size": max_size or 0, "interpolation": "bilinear"}, src, out, False, 2e-6)
m = rand_img(1, 28, 28)
for interp in ["bilinear", "bicubic"]:
    out = F.resize(m, [32, 32], MODES[interp])
    add(f"resize_28_to_32_{interp}", "F.resize", {"size": [32, 32], "interpolation": interp},
        m, out, False, 2e-6)

# Centre crop: smaller, larger (zero padding split left = deficit // 2) and
# odd slack (Python's round halves to even).
cc = ramp(2, 5, 6)
for size in [[3, 3], [4, 5], [2, 3], [7, 9], [8, 6], [5, 6], [1, 1]]:
    add(f"center_crop_{size[0]}x{size[1]}", "F.center_crop", {"size": size},
        cc, F.center_crop(cc, size), True)

# RandomCrop forward with get_params fixed, including pad_if_needed.
orig_get_params = T.RandomCrop.get_params
crop_src = ramp(2, 5, 6)
crop_cases = [
    ((8, 9), None, True, 0.3, "constant", (1, 2)),
    ((8, 9), None, True, 0, "edge", (3, 3)),
    ((8, 9), None, True, 0, "reflect", (0, 3)),
    ((8, 9), None, True, 0, "symmetric", (3, 0)),
    ((9, 10), [1, 2], True, 0, "reflect", (0, 2)),
    ((4, 4), [1, 0, 2, 1], False, 0.5, "constant", (2, 3)),
    ((6, 7), [5], False, 0, "symmetric", (4, 9)),
    ((5, 6), None, False, 0, "constant", (0, 0)),
]
for size, padding, pin, fill, mode, (i, j) in crop_cases:
    def fixed(img, output_size, i=i, j=j):
        return i, j, output_size[0], output_size[1]
    T.RandomCrop.get_params = staticmethod(fixed)
    t = T.RandomCrop(size, padding=padding, pad_if_needed=pin, fill=fill, padding_mode=mode)
    out = t(crop_src)
    add(f"randomcrop_{size[0]}x{size[1]}_pad{padding}_ifneeded{int(pin)}_{mode}_i{i}_j{j}",
        "RandomCrop forward with get_params fixed",
        {"size": list(size), "padding": padding, "pad_if_needed": pin, "fill": fill,
         "padding_mode": mode, "top_i": i, "left_j": j}, crop_src, out, True)
T.RandomCrop.get_params = orig_get_params

# Padding at the limits of reflect (n-1) and symmetric (n).
pimg = ramp(1, 3, 4)
add("pad_reflect_limit", "F.pad", {"padding": [3, 2], "padding_mode": "reflect"}, pimg,
    F.pad(pimg, [3, 2], padding_mode="reflect"), True)
add("pad_symmetric_limit", "F.pad", {"padding": [4, 3], "padding_mode": "symmetric"}, pimg,
    F.pad(pimg, [4, 3], padding_mode="symmetric"), True)
add("pad_edge_ltrb", "F.pad", {"padding": [0, 2, 3, 1], "padding_mode": "edge"}, pimg,
    F.pad(pimg, [0, 2, 3, 1], padding_mode="edge"), True)

add("vflip_rgb", "F.vflip", {}, rgb, F.vflip(rgb), True)

# ColorJitter forward with get_params fixed, in all 24 orders.
cj_img = rand_img(3, 6, 7)
factors = {"brightness": 1.15, "contrast": 0.7, "saturation": 1.6, "hue": -0.12}
orig_cj = T.ColorJitter.get_params
for perm in itertools.permutations(range(4)):
    def fixed_cj(b, c, s, h, perm=perm):
        return torch.tensor(perm), factors["brightness"], factors["contrast"], \
            factors["saturation"], factors["hue"]
    T.ColorJitter.get_params = staticmethod(fixed_cj)
    t = T.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.8, hue=0.2)
    add("colorjitter_order_" + "".join(map(str, perm)), "ColorJitter forward with fn_idx fixed",
        {"fn_idx": list(perm), "factors": factors}, cj_img, t(cj_img), False, 1e-5)
T.ColorJitter.get_params = orig_cj

# Hue and saturation on awkward pixels: grays, primaries, zeros and ones.
edge = torch.tensor([
    [[0.0, 1.0, 0.5, 1.0, 0.0, 0.2, 0.9, 1.0], [0.3, 0.3, 1e-7, 0.999, 0.6, 0.6, 0.1, 0.25]],
    [[0.0, 1.0, 0.5, 0.0, 1.0, 0.2, 0.9, 0.0], [0.3, 0.6, 0.0, 1.0, 0.6, 0.1, 0.1, 0.25]],
    [[0.0, 1.0, 0.5, 0.0, 0.0, 0.7, 0.1, 1.0], [0.3, 0.1, 0.0, 0.999, 0.1, 0.6, 0.9, 0.75]],
], dtype=torch.float32)
for hf in [-0.5, -0.37, 0.0, 0.1, 0.5]:
    add(f"hue_edges_{hf}", "F.adjust_hue", {"hue_factor": hf}, edge, F.adjust_hue(edge, hf), False, 1e-6)
for sf in [0.0, 0.4, 2.5]:
    add(f"saturation_edges_{sf}", "F.adjust_saturation", {"saturation_factor": sf}, edge,
        F.adjust_saturation(edge, sf), False, 1e-6)
big = rand_img(3, 32, 32)
add("hue_rgb32_0.23", "F.adjust_hue", {"hue_factor": 0.23}, big, F.adjust_hue(big, 0.23), False, 1e-6)
add("contrast_rgb32_0.6", "F.adjust_contrast", {"contrast_factor": 0.6}, big,
    F.adjust_contrast(big, 0.6), False, 2e-6)
# Larger images exercise the cascade of partial sums in torch's mean.
for shape in [(3, 64, 80), (1, 120, 150)]:
    im = rand_img(*shape)
    add(f"contrast_{shape[1]}x{shape[2]}x{shape[0]}_1.7", "F.adjust_contrast", {"contrast_factor": 1.7},
        im, F.adjust_contrast(im, 1.7), False, 2e-6)
gray1 = rand_img(1, 5, 6)
add("contrast_gray_1.4", "F.adjust_contrast", {"contrast_factor": 1.4}, gray1,
    F.adjust_contrast(gray1, 1.4), False, 2e-6)
add("hue_gray_unchanged", "F.adjust_hue", {"hue_factor": 0.3}, gray1, F.adjust_hue(gray1, 0.3), True)
add("brightness_gray_0.5", "F.adjust_brightness", {"brightness_factor": 0.5}, gray1,
    F.adjust_brightness(gray1, 0.5), True)

add("normalize_broadcast", "F.normalize", {"mean": [0.5], "std": [0.5]}, gray1,
    F.normalize(gray1, [0.5], [0.5]), True)
add("normalize_rgb", "F.normalize", {"mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.243, 0.261]},
    big, F.normalize(big, [0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261]), True)

# Rotations by multiples of 90 degrees of a 4x6 image (H - W even, so no
# half-pixel ties), with and without expand, and of a square by 270 and
# -90: nearest must equal rot90 exactly, bilinear within float32 noise.
rect = rand_img(2, 4, 6)
for angle in [90.0, -90.0, 180.0, 270.0]:
    for interp in ["nearest", "bilinear"]:
        for expand in [False, True]:
            out = F.rotate(rect, angle, MODES[interp], expand=expand, fill=[0.5])
            add(f"rotate_rect4x6_{angle}_{interp}_expand{int(expand)}", "F.rotate",
                {"angle": angle, "interpolation": interp, "expand": expand, "fill": [0.5]},
                rect, out, interp == "nearest", 2e-6)
for angle in [270.0, -90.0]:
    out = F.rotate(sq, angle, InterpolationMode.NEAREST, fill=[0.0])
    add(f"rotate_sq8_{angle}_nearest", "F.rotate",
        {"angle": angle, "interpolation": "nearest", "expand": False, "fill": [0.0]}, sq, out, True,
        note="equals torch.rot90(img, k=%d, dims=(-2, -1))" % (int(angle) // 90))

# Padding torch refuses: reflect needs padding < the dimension, symmetric
# padding <= the dimension. The case records the error torch raised; the
# Go side must refuse too.
for name, padding, mode in [("pad_reflect_too_large_error", [6, 0], "reflect"),
                            ("pad_reflect_too_large_height_error", [0, 4], "reflect"),
                            ("pad_symmetric_too_large_error", [7, 1], "symmetric")]:
    x = ramp(1, 4, 6)
    try:
        F.pad(x, padding, padding_mode=mode)
    except Exception as e:  # torch raises RuntimeError or IndexError
        c = {"name": name, "op": "F.pad", "params": {"padding": padding, "padding_mode": mode},
             "input": arr(x), "expected": None, "exact": True, "abs_tolerance": 0.0,
             "error": f"{type(e).__name__}: {e}"}
        cases.append(c)
    else:
        raise SystemExit(f"{name}: torch accepted the padding")

# Antialiased resize (F.resize(..., antialias=True), tensor path): the
# filter widens with the downscaling factor. Down, up, one axis only, and
# a large factor, in bilinear and bicubic.
aa_src = rand_img(3, 40, 52)
for size in [[13, 11], [20, 26], [40, 17], [9, 52], [5, 7], [57, 61], [40, 52]]:
    for interp in ["bilinear", "bicubic"]:
        out = F.resize(aa_src, size, MODES[interp], antialias=True)
        add(f"resize_aa_{size[0]}x{size[1]}_{interp}", "F.resize",
            {"size": size, "interpolation": interp, "antialias": True}, aa_src, out, False, 2e-6)

# One-channel images are also "channels last" contiguous, and ATen's
# bilinear resize then takes another kernel (it accumulates in double).
one = rand_img(1, 7, 9)
for size in [[5, 4], [13, 17], [3, 3], [7, 20]]:
    out = F.resize(one, size, InterpolationMode.BILINEAR)
    add(f"resize_1ch_{size[0]}x{size[1]}_bilinear", "F.resize",
        {"size": size, "interpolation": "bilinear"}, one, out, False, 2e-6)

# Antialiased resize of a one-channel image (also channels-last contiguous).
for size in [[3, 4], [11, 5]]:
    out = F.resize(one, size, InterpolationMode.BILINEAR, antialias=True)
    add(f"resize_aa_1ch_{size[0]}x{size[1]}_bilinear", "F.resize",
        {"size": size, "interpolation": "bilinear", "antialias": True}, one, out, False, 2e-6)

doc = {
    "generated_by": "augment/testdata/gen.py",
    "environment": {"python": sys.version.split()[0], "torch": torch.__version__,
                    "torchvision": torchvision.__version__},
    "cases": cases,
}
with open(OUT, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {OUT}", file=sys.stderr)
