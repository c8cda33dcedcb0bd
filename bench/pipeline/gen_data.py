"""Writes the pipeline benchmark's data: ROWS rows (80% train.csv, 20% test.csv) of six
numeric columns on different scales, three string categories (5, 20 and 100 values) and a
0/1 label drawn from a logistic model of all of them. Deterministic (seed 7).
Usage: gen_data.py OUT_DIR ROWS"""
import os
import sys

import numpy as np

out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)
scales = np.array([1.0, 10.0, 100.0, 0.1, 5.0, 1000.0])
x = rng.normal(size=(n, 6)) * scales
cards = [5, 20, 100]
cats = [rng.integers(0, k, size=n) for k in cards]
effects = [rng.normal(scale=0.8, size=k) for k in cards]
w = rng.normal(size=6)
logit = (x / scales) @ w + sum(e[c] for e, c in zip(effects, cats)) - 0.3
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
names = ["x0", "x1", "x2", "x3", "x4", "x5", "c0", "c1", "c2", "label"]
cut = int(n * 0.8)
os.makedirs(out, exist_ok=True)
for name, lo, hi in [("train.csv", 0, cut), ("test.csv", cut, n)]:
    with open(os.path.join(out, name), "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(lo, hi, 100000):
            j = min(hi, i + 100000)
            cols = [np.char.mod("%.6g", x[i:j, k]) for k in range(6)]
            cols += [np.char.add(p, c[i:j].astype(str)) for p, c in zip(["a", "b", "c"], cats)]
            cols.append(y[i:j].astype(str))
            f.write("\n".join(",".join(r) for r in zip(*cols)) + "\n")
