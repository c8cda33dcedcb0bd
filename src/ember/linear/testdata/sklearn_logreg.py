"""Fits scikit-learn's LogisticRegression on a CSV (label in the last column) and prints the
coefficients and intercepts as JSON, for Ember's differential tests.

Usage: /usr/bin/python3 sklearn_logreg.py DATA.csv REG_PARAM ELASTIC_NET MULTINOMIAL(0|1)
Ember's objective (1/n) sum loss + reg * ((1-a)/2 |w|^2 + a |w|_1) is scikit-learn's with
C = 1 / (reg * n) and l1_ratio = a.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression


def main():
    path, reg, alpha, multi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1].astype(int)
    c = 1.0 / (reg * len(y))
    if alpha > 0:
        model = LogisticRegression(penalty="elasticnet", solver="saga", C=c, l1_ratio=alpha, tol=1e-12,
                                   max_iter=200000, multi_class="multinomial" if multi else "ovr")
    else:
        # newton-cg stops on the gradient, so it converges tightly even on badly scaled data
        # (lbfgs stops on the relative decrease and can be 1e-4 off there).
        model = LogisticRegression(C=c, solver="newton-cg", tol=1e-12, max_iter=100000,
                                   multi_class="multinomial" if multi else "ovr")
    model.fit(x, y)
    intercepts = model.intercept_ - (model.intercept_.mean() if multi else 0.0)
    print(json.dumps({"coefficients": model.coef_.ravel().tolist(), "intercepts": intercepts.tolist()}))


if __name__ == "__main__":
    main()
