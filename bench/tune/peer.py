"""scikit-learn's GridSearchCV on the grid of space.json, with Ember's folds (tune.h FoldOf:
splitmix64(splitmix64(seed) + row) mod k), scored by ROC AUC, refitting the best on every
row, n_jobs=-1. Spark's regParam r over n training rows is scikit-learn's C = 1 / (r n).
Prints `seconds=... best_auc=... best=...`."""
import sys
import time

import numpy as np

start = time.time()
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import Pipeline

path, folds, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
M = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(x):
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


df = pd.read_csv(path)
y = df.pop("label").to_numpy()
X = df.to_numpy()
with np.errstate(over="ignore"):
    fold = splitmix64(splitmix64(np.uint64(seed)) + np.arange(len(y), dtype=np.uint64))
fold = (fold % np.uint64(folds)).astype(int)
n_train = len(y) * (folds - 1) / folds
regs = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
Cs = [1.0 / (r * n_train) for r in regs]
grid = [
    {"clf": [LogisticRegression()], "clf__C": Cs},
    {"clf": [LogisticRegression(penalty="l1", solver="liblinear")],
     "clf__C": Cs},
    {"clf": [HistGradientBoostingClassifier(early_stopping=False)],
     "clf__max_depth": [3, 6], "clf__learning_rate": [0.05, 0.1], "clf__max_iter": [50, 100]},
]
search = GridSearchCV(Pipeline([("clf", LogisticRegression())]), grid, scoring="roc_auc",
                      cv=PredefinedSplit(fold), n_jobs=-1, refit=True)
search.fit(X, y)
best = ",".join(f"{k[5:]}={v:.6g}" for k, v in search.best_params_.items() if k != "clf")
# Fit and score seconds summed over the folds, per model family (as the trials table's).
family = {}
res = search.cv_results_
for i, clf in enumerate(res["param_clf"]):
    name = "gbdt" if "HistGradient" in type(clf).__name__ else (
        "lr_l1" if clf.penalty == "l1" else "lr_l2")
    family[name] = family.get(name, 0) + (res["mean_fit_time"][i] + res["mean_score_time"][i]) * folds
families = ",".join(f"{k}:{family[k]:.1f}" for k in ("lr_l2", "lr_l1", "gbdt"))
print(f"seconds={time.time() - start:.3f} best_auc={search.best_score_:.5f} "
      f"families={families} best={type(search.best_params_['clf']).__name__}({best})")
