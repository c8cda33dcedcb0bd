"""The peer of bench/explain: straightforward numpy implementations of the same algorithms as
Ember's, calling the model in batches (the way a user would write them with numpy).

  peer.py DATA_DIR shap ROWS BACKGROUND SAMPLES THREADS
      Kernel SHAP of ROWS rows (after the first BACKGROUND rows of data.csv, which are the
      background): per row, SAMPLES coalitions drawn as the shap package draws them (sizes by
      the Shapley kernel, each with its complement; the empty and full coalitions weighted
      1e8), every coalition x background row built with np.where, scored by python3-xgboost's
      inplace_predict (nthread THREADS) in batches of 200,000 rows, averaged per coalition,
      then weighted least squares with an intercept (np.linalg.lstsq).
  peer.py DATA_DIR lime ROWS BACKGROUND SAMPLES THREADS
      LIME of ROWS rows: SAMPLES samples from Normal(row, background std) per feature, the
      scikit-learn logistic regression's probability (numpy, from lr.json), kernel weights,
      weighted least squares.

Prints: rows_per_s=.. model_fraction=.. (the share of the time in the model's calls).
"""
import math
import sys
import time

import numpy as np


def coalitions(m, n, rng):
    masks = [np.zeros(m), np.ones(m)]
    weights = [1e8, 1e8]
    sizes = np.arange(1, m)
    kernel = (m - 1) / (sizes * (m - sizes))
    kernel /= kernel.sum()
    while len(masks) < n:
        k = rng.choice(sizes, p=kernel)
        mask = np.zeros(m)
        mask[rng.permutation(m)[:k]] = 1
        masks.append(mask)
        masks.append(1 - mask)
        weights += [1.0, 1.0]
    return np.array(masks[:n]), np.array(weights[:n])


def wls(z, y, w):
    a = np.column_stack([np.ones(len(z)), z]) * np.sqrt(w)[:, None]
    return np.linalg.lstsq(a, y * np.sqrt(w), rcond=None)[0]


def main():
    data, method, rows, nbg, samples, threads = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
    table = np.loadtxt(f"{data}/data.csv", delimiter=",", skiprows=1)
    x = table[:, :10]
    background, explained = x[:nbg], x[nbg:nbg + rows]
    rng = np.random.default_rng(0)
    model_s = 0.0
    if method == "shap":
        import xgboost as xgb
        booster = xgb.Booster(model_file=f"{data}/xgb.json")
        booster.set_param({"nthread": threads})
        booster.inplace_predict(x[:10])  # warm up
        t0 = time.perf_counter()
        for row in explained:
            masks, weights = coalitions(10, samples, rng)
            built = np.where(masks[:, None, :] == 1, row[None, None, :], background[None, :, :])
            flat = built.reshape(-1, 10)
            preds = []
            for at in range(0, len(flat), 200000):
                t = time.perf_counter()
                preds.append(booster.inplace_predict(flat[at:at + 200000]))
                model_s += time.perf_counter() - t
            values = np.concatenate(preds).reshape(len(masks), nbg).mean(axis=1)
            wls(masks, values, weights)
    else:
        import json
        lr = json.load(open(f"{data}/lr.json"))
        coef, intercept = np.array(lr["coef"]), lr["intercept"]
        sd = background.std(axis=0, ddof=1)
        t0 = time.perf_counter()
        for row in explained:
            z = rng.normal(size=(samples, 10))
            z[0] = 0
            values = row + z * sd
            t = time.perf_counter()
            p = 1 / (1 + np.exp(-(values @ coef + intercept)))
            model_s += time.perf_counter() - t
            d = np.sqrt((z ** 2).sum(axis=1) / 10)
            w = np.sqrt(np.exp(-(d / 0.75) ** 2))
            wls(values, p, w)
    secs = time.perf_counter() - t0
    print(f"rows_per_s={rows / secs:.3f} model_fraction={model_s / secs:.3f}")


if __name__ == "__main__":
    main()
