"""Fits scikit-learn's LinearSVC with the hinge loss and no intercept on a CSV (label 0/1 in
the last column) and prints the coefficients as JSON, for Ember's differential tests.

Usage: /usr/bin/python3 sklearn_svc.py DATA.csv REG_PARAM
Ember's (and Spark's) objective without an intercept or standardization,
(1/n) sum hinge + reg/2 |b|^2, is liblinear's 1/2 |b|^2 + C sum hinge with C = 1 / (reg n).
"""
import json
import sys

import numpy as np
from sklearn.svm import LinearSVC


def main():
    path, reg = sys.argv[1], float(sys.argv[2])
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1]
    model = LinearSVC(loss="hinge", C=1.0 / (reg * len(y)), fit_intercept=False, dual=True,
                      tol=1e-9, max_iter=1000000)
    model.fit(x, y)
    print(json.dumps({"coefficients": np.ravel(model.coef_).tolist()}))


if __name__ == "__main__":
    main()
