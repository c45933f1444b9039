#!/usr/bin/python3
"""torchvision side of bench/augment.sh: time the augment workloads.

    augment_ref.py fmnist IMAGES.gz N        crop(28, pad 4) + hflip + normalize
    augment_ref.py cifar  IMAGES.u8 N        crop(32, pad 4) + hflip + jitter + normalize
    augment_ref.py make-colour OUT.u8 N      write N seeded 3x32x32 uint8 images

Images are converted to float32 tensors in [0, 1] (ToTensor) before the
clock starts, as pipe receives them from its data stage; the timed loop
applies the transform to one image at a time, as a Dataset's __getitem__
does, on one thread. Prints one JSON line: {"workload", "images", "seconds",
"cpu_seconds", "images_per_sec", "images_per_cpu_sec"}; the CPU-time rate
(process_time: this process's user and system time) is the steadier one on
a machine shared with other work.
"""

import gzip
import json
import sys
import time

import numpy as np
import torch
import torchvision.transforms as T


def load_idx_images(path, n):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    if magic != 2051:
        raise SystemExit(f"{path}: not an IDX image file (magic {magic})")
    n = min(n, int(count))
    pix = np.frombuffer(data[16:16 + n * rows * cols], dtype=np.uint8)
    return torch.from_numpy(pix.reshape(n, 1, rows, cols).astype(np.float32) / 255.0)


def load_colour(path, n):
    pix = np.fromfile(path, dtype=np.uint8)
    n = min(n, pix.size // (3 * 32 * 32))
    return torch.from_numpy(pix[: n * 3 * 32 * 32].reshape(n, 3, 32, 32).astype(np.float32) / 255.0)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    what, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "make-colour":
        rng = np.random.default_rng(20260603)
        rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8).tofile(path)
        return

    torch.set_num_threads(1)
    torch.manual_seed(1)
    if what == "fmnist":
        imgs = load_idx_images(path, n)
        tf = T.Compose([T.RandomCrop(28, padding=4), T.RandomHorizontalFlip(),
                        T.Normalize((0.5,), (0.5,))])
    elif what == "cifar":
        imgs = load_colour(path, n)
        tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                        T.ColorJitter(0.4, 0.4, 0.4, 0.1),
                        T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
    else:
        raise SystemExit(f"unknown workload {what!r}\n{__doc__}")

    # One untimed pass over a few images warms up the dispatcher.
    for img in imgs[:32]:
        tf(img)
    start, cpu_start = time.perf_counter(), time.process_time()
    for img in imgs:
        tf(img)
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"workload": what, "images": len(imgs), "seconds": secs, "cpu_seconds": cpu,
                      "images_per_sec": len(imgs) / secs, "images_per_cpu_sec": len(imgs) / cpu}))


if __name__ == "__main__":
    main()
