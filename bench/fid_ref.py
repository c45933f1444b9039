#!/usr/bin/python3
"""Reference side of bench/fid.sh: pytorch-fid's Fréchet distance route.

  fid_ref.py gen DIR    write DIR/x.npy and DIR/y.npy (10,000 x 2048 float32)
                        from fixed seeds
  fid_ref.py time DIR   time loading, statistics (NumPy mean and np.cov in
                        float64) and the distance (SciPy sqrtm of S1 S2,
                        pytorch-fid 0.3.0's control flow) on those files;
                        also the symmetric eigh route for comparison. Prints
                        key=value lines.

Run with Debian's /usr/bin/python3 (numpy 1.24, scipy 1.10, OpenBLAS).
"""
import sys
import time

import numpy as np
import scipy.linalg

N, D = 10000, 2048


def gen(out):
    rng = np.random.default_rng(2026)
    x = rng.standard_normal((N, D), dtype=np.float32)
    scale = np.sqrt(np.linspace(0.5, 2.0, D, dtype=np.float32))
    mix = np.eye(D, dtype=np.float32) + rng.standard_normal((D, D), dtype=np.float32) / (4 * np.sqrt(D))
    y = (rng.standard_normal((N, D), dtype=np.float32) * scale) @ mix + 0.05
    np.save(f"{out}/x.npy", x.astype("<f4"))
    np.save(f"{out}/y.npy", y.astype("<f4", copy=False))


def clocks():
    return time.perf_counter(), time.process_time()


def since(start):
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


def pytorch_fid(mu1, s1, mu2, s2, eps=1e-6):
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((s1 + off).dot(s2 + off))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("imaginary component %g" % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def eigh_route(mu1, s1, mu2, s2):
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    lam = np.linalg.eigvalsh(r @ s2 @ r)
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(np.clip(lam, 0, None)))


def timed(dirname):
    t = clocks()
    x, y = np.load(f"{dirname}/x.npy"), np.load(f"{dirname}/y.npy")
    load_wall, load_cpu = since(t)

    t = clocks()
    mu1, s1 = np.mean(x, axis=0, dtype=np.float64), np.cov(x, rowvar=False)
    mu2, s2 = np.mean(y, axis=0, dtype=np.float64), np.cov(y, rowvar=False)
    stats_wall, stats_cpu = since(t)

    t = clocks()
    fd = pytorch_fid(mu1, s1, mu2, s2)
    dist_wall, dist_cpu = since(t)

    t = clocks()
    fd_eigh = eigh_route(mu1, s1, mu2, s2)
    eigh_wall, eigh_cpu = since(t)

    print(f"ref_load_wall={load_wall:.3f} ref_load_cpu={load_cpu:.3f}")
    print(f"ref_stats_wall={stats_wall:.3f} ref_stats_cpu={stats_cpu:.3f}")
    print(f"ref_sqrtm_wall={dist_wall:.3f} ref_sqrtm_cpu={dist_cpu:.3f}")
    print(f"ref_total_wall={stats_wall + dist_wall:.3f} ref_total_cpu={stats_cpu + dist_cpu:.3f}")
    print(f"ref_eigh_wall={eigh_wall:.3f} ref_eigh_cpu={eigh_cpu:.3f}")
    print(f"ref_fd={fd:.12f} ref_fd_eigh={fd_eigh:.12f} ref_trace_sum={np.trace(s1) + np.trace(s2):.6f}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "time"):
        sys.exit(__doc__)
    gen(sys.argv[2]) if sys.argv[1] == "gen" else timed(sys.argv[2])
