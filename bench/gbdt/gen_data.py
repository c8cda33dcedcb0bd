"""Data for bench/gbdt, written as CSV (header f0..f{d-1},label) train/test pairs.

  gen_data.py higgs DIR ROWS   a Higgs-like binary task: 28 features (21 "low-level"
                               kinematics-like values and 7 nonlinear "high-level"
                               combinations of them), label from a noisy nonlinear logit;
                               80/20 split, seed 7.
  gen_data.py breast DIR SRC   scikit-learn's breast cancer data (SRC, as Debian's
                               python3-sklearn ships it) with a seeded 80/20 split.
"""
import os
import sys

import numpy as np


def write(path, x, y):
    d = x.shape[1]
    header = ",".join([f"f{j}" for j in range(d)] + ["label"])
    data = np.column_stack([x, y])
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt=["%.7g"] * d + ["%d"])


def split(out, x, y, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    cut = int(0.8 * len(y))
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "train.csv"), x[order[:cut]], y[order[:cut]])
    write(os.path.join(out, "test.csv"), x[order[cut:]], y[order[cut:]])


def higgs(out, rows):
    rng = np.random.default_rng(7)
    low = np.empty((rows, 21), dtype=np.float64)
    low[:, 0::3] = rng.exponential(1.0, size=(rows, 7))  # momenta
    low[:, 1::3] = rng.normal(0.0, 1.2, size=(rows, 7))  # pseudorapidities
    low[:, 2::3] = rng.uniform(-np.pi, np.pi, size=(rows, 7))  # angles
    pt, eta, phi = low[:, 0::3], low[:, 1::3], low[:, 2::3]
    high = np.column_stack([
        np.sqrt(2 * pt[:, 0] * pt[:, 1] * (np.cosh(eta[:, 0] - eta[:, 1]) - np.cos(phi[:, 0] - phi[:, 1]))),
        np.sqrt(2 * pt[:, 2] * pt[:, 3] * (np.cosh(eta[:, 2] - eta[:, 3]) - np.cos(phi[:, 2] - phi[:, 3]))),
        pt[:, 0] + pt[:, 1] + pt[:, 2],
        np.abs(eta[:, 0] - eta[:, 2]),
        np.cos(phi[:, 1] - phi[:, 4]),
        pt[:, 4] * np.exp(-np.abs(eta[:, 5])),
        np.log1p(pt[:, 5] * pt[:, 6]),
    ])
    x = np.column_stack([low, high])
    logit = (0.9 * np.log1p(high[:, 0]) - 0.6 * np.log1p(high[:, 1]) + 0.3 * high[:, 3] - 0.4 * high[:, 4] +
             0.5 * np.sin(phi[:, 0]) * eta[:, 1] + 0.2 * pt[:, 2] - 0.8 + rng.logistic(0, 1, rows))
    y = (logit > 0).astype(np.int64)
    split(out, x, y, 11)


def breast(out, src):
    with open(src) as f:
        f.readline()  # "569,30,malignant,benign"
        data = np.loadtxt(f, delimiter=",")
    split(out, data[:, :-1], data[:, -1].astype(np.int64), 5)


if __name__ == "__main__":
    if sys.argv[1] == "higgs":
        higgs(sys.argv[2], int(sys.argv[3]))
    else:
        breast(sys.argv[2], sys.argv[3])
