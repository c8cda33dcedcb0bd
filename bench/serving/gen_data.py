"""Writes the serving benchmark's data: 10,000 training rows of three numeric columns and
four string columns (5, 10, 20 and 50 categories) with a 0/1 label from a logistic model
(train.csv), and one request body per route (lr_body.json, select_body.json), as in
../shared/reference/serving-anchors.md. Deterministic (seed 11).
Usage: gen_data.py OUT_DIR"""
import json
import os
import sys

import numpy as np

out = sys.argv[1]
n = 10000
rng = np.random.default_rng(11)
x = rng.normal(size=(n, 3)) * np.array([1.0, 10.0, 100.0])
cards = [5, 10, 20, 50]
cats = [rng.integers(0, k, size=n) for k in cards]
effects = [rng.normal(scale=0.8, size=k) for k in cards]
logit = (x / np.array([1.0, 10.0, 100.0])) @ rng.normal(size=3) + sum(e[c] for e, c in zip(effects, cats))
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
os.makedirs(out, exist_ok=True)
names = ["x0", "x1", "x2", "s0", "s1", "s2", "s3", "label"]
with open(os.path.join(out, "train.csv"), "w") as f:
    f.write(",".join(names) + "\n")
    for i in range(n):
        row = [f"{v:.6g}" for v in x[i]] + [f"{p}{c[i]}" for p, c in zip("abcd", cats)] + [str(y[i])]
        f.write(",".join(row) + "\n")
request = {"x0": 0.37, "x1": -4.2, "x2": 118.5, "s0": "a3", "s1": "b7", "s2": "c11", "s3": "d42"}
with open(os.path.join(out, "lr_body.json"), "w") as f:
    json.dump(request, f)
with open(os.path.join(out, "select_body.json"), "w") as f:
    json.dump({"x0": 0.37, "x1": -4.2, "x2": 118.5}, f)
