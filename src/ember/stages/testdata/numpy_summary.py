"""Per-column statistics of a CSV (the last column, a label, is ignored) with NumPy and
SciPy, as Spark defines them, for SummarizeData's differential test: sample variance and
standard deviation (n - 1), skewness and excess kurtosis with bias (SciPy's defaults, Spark's
formulas), and the quantiles of rank ceil(q n) (NumPy's "inverted_cdf", Spark's exact
approxQuantile).

Usage: /usr/bin/python3 numpy_summary.py DATA.csv
"""
import json
import sys

import numpy as np
from scipy import stats

QUANTILES = [0, 0.25, 0.5, 0.75, 1, 0.005, 0.01, 0.05, 0.95, 0.99, 0.995]


def main():
    x = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)[:, :-1]
    out = []
    for j in range(x.shape[1]):
        v = x[:, j]
        out.append({
            "variance": float(np.var(v, ddof=1)),
            "std": float(np.std(v, ddof=1)),
            "skewness": float(stats.skew(v)),
            "kurtosis": float(stats.kurtosis(v)),
            "unique": int(len(np.unique(v))),
            "quantiles": [float(q) for q in np.quantile(v, QUANTILES, method="inverted_cdf")],
        })
    print(json.dumps({"columns": out}))


if __name__ == "__main__":
    main()
