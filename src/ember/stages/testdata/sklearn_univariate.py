"""P-values of the univariate tests of Spark's UnivariateFeatureSelector on a CSV (label in
the last column), for Ember's differential test: scikit-learn's f_classif (ANOVA) and
f_regression, and SciPy's chi2_contingency without Yates' correction per feature.

Usage: /usr/bin/python3 sklearn_univariate.py DATA.csv anova|regression|chi2
"""
import json
import sys

import numpy as np
from scipy.stats import chi2_contingency
from sklearn.feature_selection import f_classif, f_regression


def main():
    path, test = sys.argv[1], sys.argv[2]
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1]
    if test == "anova":
        p = f_classif(x, y)[1]
    elif test == "regression":
        p = f_regression(x, y)[1]
    else:
        p = []
        for j in range(x.shape[1]):
            values, labels = np.unique(x[:, j]), np.unique(y)
            table = np.array([[np.sum((x[:, j] == v) & (y == c)) for c in labels] for v in values])
            p.append(chi2_contingency(table, correction=False)[1])
    print(json.dumps({"p": [float(v) for v in p]}))


if __name__ == "__main__":
    main()
