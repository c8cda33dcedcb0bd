"""scikit-learn's side of bench/pipeline: OneHotEncoder on the string columns, the numeric
columns passed through, StandardScaler (without centring: the matrix is sparse, as
Ember's), LogisticRegression (lbfgs) with the same L2 strength as Ember's regParam.
Prints one line: sklearn fit_seconds=... transform_seconds=... rows=... auc=...
The transform time is the median of REPEATS calls of predict_proba on the test rows, after
one untimed warm-up call.
Usage: sklearn_pipeline.py DATA_DIR REG_PARAM [REPEATS=1]"""
import statistics
import sys
import time

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

data, reg = sys.argv[1], float(sys.argv[2])
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
train = pd.read_csv(f"{data}/train.csv")
test = pd.read_csv(f"{data}/test.csv")
numeric = [f"x{i}" for i in range(6)]
cats = ["c0", "c1", "c2"]
X, y = train[numeric + cats], train["label"]
# Spark's objective mean(loss) + reg/2 |w|^2 is scikit-learn's with C = 1 / (reg * n).
model = Pipeline([
    ("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), cats)],
                                 remainder="passthrough", sparse_threshold=1.0)),
    ("scale", StandardScaler(with_mean=False)),
    ("lr", LogisticRegression(C=1.0 / (reg * len(train)), max_iter=100, tol=1e-6)),
])
t = time.perf_counter()
model.fit(X, y)
fit = time.perf_counter() - t
p = model.predict_proba(test[numeric + cats])[:, 1]  # warm-up, untimed
times = []
for _ in range(repeats):
    t = time.perf_counter()
    p = model.predict_proba(test[numeric + cats])[:, 1]
    times.append(time.perf_counter() - t)
score = statistics.median(times)
print(f"sklearn fit_seconds={fit:.4f} transform_seconds={score:.4f} rows={len(test)} "
      f"auc={roc_auc_score(test['label'], p):.6f}")
