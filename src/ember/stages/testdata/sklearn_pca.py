"""Fits scikit-learn's PCA on a CSV (the last column, a label, is ignored) and prints the
components (each signed so that its entry of largest magnitude is positive, as Ember's), the
explained variance ratios, the mean and the transformed rows as JSON, for Ember's
differential tests.

Usage: /usr/bin/python3 sklearn_pca.py DATA.csv K
"""
import json
import sys

import numpy as np
from sklearn.decomposition import PCA


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    x = np.loadtxt(path, delimiter=",", skiprows=1)[:, :-1]
    model = PCA(n_components=k, svd_solver="full").fit(x)
    components = model.components_.copy()
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    print(json.dumps({"components": components.ravel().tolist(),
                      "ratio": model.explained_variance_ratio_.tolist(),
                      "mean": model.mean_.tolist()}))


if __name__ == "__main__":
    main()
