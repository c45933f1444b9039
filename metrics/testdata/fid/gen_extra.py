#!/usr/bin/python3
"""Extra Fréchet-distance cases for metrics' parity tests.

The shared refcases (/work/shared/refcases/fid, copied beside this script)
keep some of the cases SPEC-numeric.md A.6 names for acceptance testing.
This script makes cases of the same kinds from its own seeds and records,
per case, the reference value of the symmetric formulation (SPEC A.1:
eigh-based PSD square root of S1, negative eigenvalues clipped, then
eigvalsh of S1h S2 S1h) and pytorch-fid 0.3.0's sqrtm route for comparison.

Run with Debian's interpreter: /usr/bin/python3 gen_extra.py
(numpy 1.24, scipy 1.10). Writes extra_reference.json and *__X/Y.f32.
"""
import json

import numpy as np
import scipy
import scipy.linalg


def psd_sqrt(s):
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def symmetric_psd(s1, s2):
    r = psd_sqrt(s1)
    lam = np.linalg.eigvalsh(r @ s2 @ r)
    return float(np.sum(np.sqrt(np.clip(lam, 0, None))))


def pytorch_fid(mu1, s1, mu2, s2, eps=1e-6):
    """pytorch-fid 0.3.0's calculate_frechet_distance control flow."""
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((s1 + off).dot(s2 + off))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            return None
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def stats(x):
    x = x.astype(np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def record(name, recipe, x=None, y=None, mu1=None, s1=None, mu2=None, s2=None, reject=False):
    case = {"name": name, "recipe": recipe}
    if x is not None:
        x, y = x.astype(np.float32), y.astype(np.float32)
        for key, arr in (("X", x), ("Y", y)):
            fname = f"{name}__{key}.f32"
            arr.astype("<f4").tofile(fname)
            case[key] = {"file": fname, "shape": list(arr.shape)}
        case.update(kind="features", n1=x.shape[0], n2=y.shape[0], d=x.shape[1])
        mu1, s1 = stats(x)
        mu2, s2 = stats(y)
    else:
        case.update(kind="statistics", mu1=mu1.tolist(), mu2=mu2.tolist(), n1=0, n2=0, d=len(mu1))
        for key, s in (("sigma1", s1), ("sigma2", s2)):
            if np.count_nonzero(s - np.diag(np.diagonal(s))) == 0:
                case[key + "_diag"] = np.diagonal(s).tolist()
            else:
                case[key] = s.tolist()
    case["rank_sigma1"] = int(np.linalg.matrix_rank(s1))
    case["rank_sigma2"] = int(np.linalg.matrix_rank(s2))
    case["components"] = {
        "mean_term_sq_norm": float((mu1 - mu2) @ (mu1 - mu2)),
        "trace_sigma1": float(np.trace(s1)),
        "trace_sigma2": float(np.trace(s2)),
    }
    if reject:
        case["expect_reject"] = True
    else:
        c = case["components"]
        tr = symmetric_psd(s1, s2)
        value = c["mean_term_sq_norm"] + c["trace_sigma1"] + c["trace_sigma2"] - 2 * tr
        case["symmetric_psd"] = {"tr_covmean": tr, "value": value}
        case["pytorch_fid"] = {"value": pytorch_fid(mu1, s1, mu2, s2)}
    return case


def main():
    g = np.random.default_rng
    cases = []

    a = g(11).standard_normal((64, 64)) / 8
    b = g(12).standard_normal((64, 64)) / 8
    x = g(13).standard_normal((600, 64)) @ (np.eye(64) + a)
    y = g(14).standard_normal((600, 64)) @ (np.eye(64) + b) + 0.05
    cases.append(record("g64_correlated_x", "N(0,(I+A)^T(I+A)) vs N(0.05,(I+B)^T(I+B)), A,B ~ N(0,1/64); non-commuting", x, y))

    x = g(21).standard_normal((500, 64))
    y = x + 1e-3 * g(22).standard_normal((500, 64))
    cases.append(record("near_identical_x", "Y = X + 1e-3 noise", x, y))

    x = 1000 + g(31).standard_normal((400, 16))
    y = 1000 + 1.2 * g(32).standard_normal((400, 16))
    cases.append(record("large_offset_x", "features near 1000: two-pass covariance needed", x, y))

    x = g(41).standard_normal((20, 32))
    y = g(42).standard_normal((20, 32)) + 0.3
    cases.append(record("rankdef_n20_d32_x", "N=20 <= D=32: both covariances rank 19", x, y))

    x = g(51).standard_normal((2, 8))
    y = g(52).standard_normal((2, 8))
    cases.append(record("tiny_n2_d8_x", "N=2: rank-1 covariances", x, y))

    x = np.maximum(0, 10 * g(61).standard_normal((40, 256)))
    y = np.maximum(0, 10 * g(62).standard_normal((40, 256)) + 2)
    cases.append(record("relu_n40_d256_x", "ReLU features, N=40 <= D=256", x, y))

    x = g(71).standard_normal((200, 2048))
    y = g(72).standard_normal((200, 2048)) + 0.05
    cases.append(record("g2048_n200_x", "N=200 <= D=2048", x, y))

    d = 2048
    cases.append(record("stats_unit_x", "mu 0 vs 1, S1 = S2 = I (expected exactly 2048)",
                        mu1=np.zeros(d), s1=np.eye(d), mu2=np.ones(d), s2=np.eye(d)))
    cases[-1]["expected_exact"] = 2048.0

    s = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, -0.5]])
    cases.append(record("stats_not_psd_x", "S1 has eigenvalue -0.5: must be rejected",
                        mu1=np.zeros(3), s1=s, mu2=np.zeros(3), s2=np.eye(3), reject=True))
    s = np.array([[1.0, 2.0], [2.0, 1.0]])
    cases.append(record("stats_indefinite_x", "S1 has eigenvalue -1 with positive diagonal: must be rejected",
                        mu1=np.zeros(2), s1=s, mu2=np.zeros(2), s2=np.eye(2), reject=True))

    doc = {
        "generated_by": "gen_extra.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cases": cases,
    }
    with open("extra_reference.json", "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
