"""Ember from Python against Ember from C++ and scikit-learn (bench/python/run.sh):
  1. one-row transform of the bench/pipeline LR pipeline: microseconds per call from Python
     and the same call timed in C++ (inside the extension, no Python in the loop); and
     scikit-learn's predict_proba of one row of the same pipeline;
  2. DataFrame.from_pandas + to_pandas of ROWS x 20 float64 columns against one memcpy of
     the same bytes;
  3. the bench/pipeline transform of the test rows: rows/s from Python and from C++.
Medians; every figure is printed with its ratio.
Usage: bench.py DATA_DIR REG_PARAM CALLS REPEATS"""
import statistics
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import ember

data, reg, calls, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
numeric = [f"x{i}" for i in range(6)]
cats = ["c0", "c1", "c2"]
keep = ["label", "rawPrediction", "probability", "prediction"]

train = ember.read_csv(f"{data}/train.csv")
test = ember.read_csv(f"{data}/test.csv")
model = ember.Pipeline(stages=[
    ember.StringIndexer(inputCols=cats, outputCols=["i0", "i1", "i2"], handleInvalid="keep"),
    ember.OneHotEncoder(inputCols=["i0", "i1", "i2"], outputCols=["o0", "o1", "o2"],
                        dropLast=False),
    ember.VectorAssembler(inputCols=["o0", "o1", "o2"] + numeric, outputCol="raw"),
    ember.StandardScaler(inputCol="raw", outputCol="features"),
    ember.LogisticRegression(regParam=reg, maxIter=100, tol=1e-6, standardization=False),
]).fit(train)


def median_us(f, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


# 1. One row.
one_pdf = pd.read_csv(f"{data}/test.csv", nrows=1)
one = ember.DataFrame.from_pandas(one_pdf)
py_us = median_us(lambda: model.transform(one, columns=["probability"]), calls)
cpp_us = statistics.median(model._m.time_transform(one._f, ["probability"], calls)) * 1e6
py_pandas_us = median_us(
    lambda: model.transform(one_pdf, columns=["probability"]).to_numpy("probability"), calls)
train_pdf = pd.read_csv(f"{data}/train.csv")
sk = Pipeline([
    ("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), cats)],
                                 remainder="passthrough", sparse_threshold=1.0)),
    ("scale", StandardScaler(with_mean=False)),
    ("lr", LogisticRegression(C=1.0 / (reg * len(train_pdf)), max_iter=100, tol=1e-6)),
]).fit(train_pdf[numeric + cats], train_pdf["label"])
one_x = one_pdf[numeric + cats]
sk_us = median_us(lambda: sk.predict_proba(one_x), max(calls // 10, 100))
print(f"one row: python {py_us:.1f} us/call, c++ {cpp_us:.1f} us/call, overhead "
      f"{py_us - cpp_us:+.1f} us; from a pandas row and back to NumPy {py_pandas_us:.1f} us; "
      f"scikit-learn predict_proba {sk_us:.1f} us ({sk_us / py_us:.1f}x slower than ember "
      f"from python)")

# 2. pandas to Ember and back. A pandas frame holds its float64 columns in one 2-D block;
# read_csv and a dict of columns make each column contiguous (Ember takes it as it is),
# while a frame made from a row-major 2-D array holds each column strided, so Ember's
# columnar layout needs a transpose (timed beside numpy's own transpose copy).
rows = 1_000_000
rng = np.random.default_rng(0)
by_column = pd.DataFrame({f"f{i}": rng.normal(size=rows) for i in range(20)})
row_major = rng.normal(size=(rows, 20))
by_row = pd.DataFrame(row_major, columns=[f"f{i}" for i in range(20)])
dst = np.empty_like(row_major)
copy_ms = median_us(lambda: np.copyto(dst, row_major), 5) / 1e3
transpose_ms = median_us(lambda: np.ascontiguousarray(row_major.T), 5) / 1e3
column_ms = median_us(lambda: ember.DataFrame.from_pandas(by_column).to_pandas(), 5) / 1e3
row_ms = median_us(lambda: ember.DataFrame.from_pandas(by_row).to_pandas(), 5) / 1e3
print(f"from_pandas + to_pandas of {rows} x 20 float64 (one memcpy of the "
      f"{row_major.nbytes / 1e6:.0f} MB: {copy_ms:.1f} ms): columns contiguous (read_csv, a "
      f"dict) {column_ms:.2f} ms ({column_ms / copy_ms:.3f}x memcpy, no copy); from a "
      f"row-major 2-D array {row_ms:.1f} ms ({row_ms / copy_ms:.2f}x memcpy; numpy's "
      f"transpose copy alone {transpose_ms:.1f} ms)")

# 3. The bench/pipeline transform.
model.transform(test, columns=keep)  # warm-up
py_s = median_us(lambda: model.transform(test, columns=keep), repeats) / 1e6
cpp_s = statistics.median(model._m.time_transform(test._f, keep, repeats))
n = len(test)
print(f"transform of {n} rows: python {n / py_s:,.0f} rows/s, c++ {n / cpp_s:,.0f} rows/s "
      f"({cpp_s / py_s:.3f}x of c++)")
