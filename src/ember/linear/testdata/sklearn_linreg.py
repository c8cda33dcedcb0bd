"""Fits scikit-learn's Ridge / ElasticNet on a CSV (label in the last column) and prints the
coefficients and intercept as JSON, for Ember's differential tests.

Usage: /usr/bin/python3 sklearn_linreg.py DATA.csv REG_PARAM ELASTIC_NET
Ember's objective (1/2n) |y - Xb - b0|^2 + reg ((1-a)/2 |b|^2 + a |b|_1) is Ridge's with
alpha = reg * n when a = 0, and ElasticNet's with alpha = reg, l1_ratio = a otherwise.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import ElasticNet, Ridge


def main():
    path, reg, a = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1]
    if a == 0:
        model = Ridge(alpha=reg * len(y), tol=1e-12)
    else:
        model = ElasticNet(alpha=reg, l1_ratio=a, tol=1e-14, max_iter=1000000)
    model.fit(x, y)
    print(json.dumps({"coefficients": np.ravel(model.coef_).tolist(), "intercept": float(model.intercept_)}))


if __name__ == "__main__":
    main()
