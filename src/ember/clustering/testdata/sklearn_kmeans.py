"""Runs scikit-learn's Lloyd k-means from given centres on a CSV (the last column, a label,
is ignored) and prints the final centres, labels and inertia as JSON, for Ember's
differential tests.

Usage: /usr/bin/python3 sklearn_kmeans.py DATA.csv CENTRES.csv MAX_ITER
"""
import json
import sys

import numpy as np
from sklearn.cluster import KMeans


def main():
    path, centres, max_iter = sys.argv[1], sys.argv[2], int(sys.argv[3])
    x = np.loadtxt(path, delimiter=",", skiprows=1)[:, :-1]
    init = np.loadtxt(centres, delimiter=",", ndmin=2)
    model = KMeans(n_clusters=len(init), init=init, n_init=1, max_iter=max_iter, tol=0.0,
                   algorithm="lloyd").fit(x)
    print(json.dumps({"centers": model.cluster_centers_.ravel().tolist(),
                      "labels": model.labels_.tolist(), "inertia": float(model.inertia_)}))


if __name__ == "__main__":
    main()
