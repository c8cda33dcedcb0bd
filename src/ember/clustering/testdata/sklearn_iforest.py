"""scikit-learn's IsolationForest on a CSV (the last column, a label, is ignored): prints each
row's anomaly score (-score_samples: near 1 for outliers, as Ember's outlierScore) and the
labels at a contamination, as JSON, for Ember's differential tests.

Usage: /usr/bin/python3 sklearn_iforest.py DATA.csv TREES MAX_SAMPLES CONTAMINATION
"""
import json
import sys

import numpy as np
from sklearn.ensemble import IsolationForest


def main():
    x = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)[:, :-1]
    trees, samples, contamination = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    model = IsolationForest(n_estimators=trees, max_samples=samples, contamination=contamination,
                            random_state=0).fit(x)
    print(json.dumps({"score": (-model.score_samples(x)).tolist(),
                      "outlier": (model.predict(x) == -1).astype(int).tolist()}))


if __name__ == "__main__":
    main()
