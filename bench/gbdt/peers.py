"""The peers of bench/gbdt on DATA_DIR/{train,test}.csv (label column "label"):

  peers.py DATA_DIR ROUNDS LEAVES THREADS xgboost   python3-xgboost with Ember's params
  peers.py DATA_DIR ROUNDS LEAVES THREADS sklearn   HistGradientBoostingClassifier
  peers.py DATA_DIR TREES DEPTH THREADS sklearn-rf  RandomForestClassifier (bench/forest):
                                                    TREES trees of depth DEPTH, n_jobs THREADS

Reading is not timed; fit_s covers building the library's matrix and training. Prints one
line of key=value: fit_s, auc, rss_kb (peak, whole process), batch_s (predicting the test
rows), and for xgboost row_us (p50 of inplace_predict on one row).
"""
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def main():
    data, rounds, leaves, threads, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    # round_trip: correctly rounded parsing, as Ember's CSV reader (pandas' default may be off
    # by an ulp, which changes some float32 features and so the model).
    train = pd.read_csv(f"{data}/train.csv", float_precision="round_trip")
    test = pd.read_csv(f"{data}/test.csv", float_precision="round_trip")
    x, y = train.drop(columns=["label"]).to_numpy(), train["label"].to_numpy()
    xt, yt = test.drop(columns=["label"]).to_numpy(), test["label"].to_numpy()
    del train, test
    row_us = float("nan")
    if which == "xgboost":
        import xgboost as xgb
        rate = min(max(float(np.mean(y)), 1e-6), 1 - 1e-6)
        # The XGBoost params Ember's GBDTClassifier sends for these LightGBM-style params.
        params = {"tree_method": "hist", "grow_policy": "lossguide", "max_leaves": leaves, "max_depth": 0,
                  "eta": 0.1, "min_child_weight": 1e-3, "gamma": 0, "alpha": 0, "lambda": 0,
                  "colsample_bytree": 1, "colsample_bynode": 1, "subsample": 1, "seed": 3, "max_bin": 255,
                  "max_delta_step": 0, "nthread": threads, "booster": "gbtree", "verbosity": 0,
                  "objective": "binary:logistic", "base_score": rate}
        t = time.perf_counter()
        booster = xgb.train(params, xgb.DMatrix(x, label=y, nthread=threads), num_boost_round=rounds)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        booster.inplace_predict(xt)
        batch_s = time.perf_counter() - t
        # AUC on the margins: rank-equivalent to the probabilities, without the ties that
        # float32 probabilities add (Ember ranks its margins too).
        p = booster.inplace_predict(xt, predict_type="margin")
        one = [xt[i:i + 1].astype(np.float32) for i in range(min(2000, len(xt)))]
        times = []
        for rnd in range(2):
            for r in one:
                a = time.perf_counter()
                booster.inplace_predict(r)
                if rnd:
                    times.append((time.perf_counter() - a) * 1e6)
        row_us = float(np.median(times))
    elif which == "sklearn-rf":
        from sklearn.ensemble import RandomForestClassifier
        # scikit-learn's defaults (bootstrap, sqrt of the features per split, Gini) but the
        # depth, as Spark's and Ember's forests have one.
        model = RandomForestClassifier(n_estimators=rounds, max_depth=leaves, n_jobs=threads, random_state=3)
        t = time.perf_counter()
        model.fit(x, y)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        p = model.predict_proba(xt)[:, 1]
        batch_s = time.perf_counter() - t
        one = [xt[i:i + 1] for i in range(min(500, len(xt)))]
        times = []
        for rnd in range(2):
            for r in one:
                a = time.perf_counter()
                model.predict_proba(r)
                if rnd:
                    times.append((time.perf_counter() - a) * 1e6)
        row_us = float(np.median(times))
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier
        model = HistGradientBoostingClassifier(max_iter=rounds, max_leaf_nodes=leaves, learning_rate=0.1,
                                               max_bins=255, early_stopping=False, l2_regularization=0.0,
                                               min_samples_leaf=20, random_state=3)
        t = time.perf_counter()
        model.fit(x, y)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        p = model.predict_proba(xt)[:, 1]
        batch_s = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{which} fit_s={fit_s:.3f} auc={roc_auc_score(yt, p):.5f} rss_kb={rss} batch_s={batch_s:.4f} "
          f"row_us={row_us:.2f}")


if __name__ == "__main__":
    main()
