"""Fits scikit-learn's naive Bayes of one type on a CSV (label in the last column) and prints
its feature parameters and the training rows' probabilities as JSON, for Ember's
differential tests.

Usage: /usr/bin/python3 sklearn_nb.py DATA.csv TYPE SMOOTHING
  TYPE multinomial | bernoulli | complement | gaussian
The class prior given to multinomial and bernoulli is Spark's smoothed one,
(n_c + smoothing) / (n + k smoothing), so that the probabilities compare too.
"""
import json
import sys

import numpy as np
from sklearn.naive_bayes import BernoulliNB, ComplementNB, GaussianNB, MultinomialNB


def main():
    path, kind, alpha = sys.argv[1], sys.argv[2], float(sys.argv[3])
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1].astype(int)
    counts = np.bincount(y)
    prior = (counts + alpha) / (len(y) + len(counts) * alpha)
    if kind == "multinomial":
        model = MultinomialNB(alpha=alpha, class_prior=prior)
    elif kind == "bernoulli":
        model = BernoulliNB(alpha=alpha, class_prior=prior)
    elif kind == "complement":
        model = ComplementNB(alpha=alpha)
    else:
        model = GaussianNB()
    model.fit(x, y)
    if kind == "gaussian":
        params = {"theta": model.theta_.ravel().tolist(), "sigma": model.var_.ravel().tolist()}
    else:
        params = {"theta": model.feature_log_prob_.ravel().tolist()}
    params["probability"] = model.predict_proba(x).ravel().tolist()
    print(json.dumps(params))


if __name__ == "__main__":
    main()
