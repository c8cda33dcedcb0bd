"""Makes the data and models of bench/explain in OUT_DIR:

  data.csv        5,000 rows of 10 features f0..f9 (uniform in [-2, 2]) and a 0/1 label that
                  depends on them nonlinearly (fixed seed)
  xgb.json        python3-xgboost, 100 trees of depth 6 (binary:logistic), on data.csv: the
                  model both Kernel SHAP implementations explain (Ember imports it with
                  `ember import-xgboost`, so the trees are the same)
  lr.json         scikit-learn's LogisticRegression on data.csv: coefficients and intercept
                  (the LIME peer's model; Ember's LIME explains its own LogisticRegression
                  fitted on the same rows)
"""
import json
import sys

import numpy as np
import xgboost as xgb
from sklearn.linear_model import LogisticRegression


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, size=(5000, 10))
    z = x[:, 0] * x[:, 1] + np.sin(x[:, 2]) + (x[:, 3] > 0) - 0.5 * x[:, 4] + 0.3 * x[:, 5] * x[:, 6]
    y = (z + rng.normal(0, 0.3, size=5000) > 0.3).astype(int)
    header = ",".join(f"f{j}" for j in range(10)) + ",label"
    np.savetxt(f"{out}/data.csv", np.column_stack([x, y]), delimiter=",", header=header,
               comments="", fmt=["%.17g"] * 10 + ["%d"])
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.1,
                         "nthread": 2, "seed": 1}, xgb.DMatrix(x, label=y), num_boost_round=100)
    booster.save_model(f"{out}/xgb.json")
    lr = LogisticRegression(max_iter=1000).fit(x, y)
    json.dump({"coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])},
              open(f"{out}/lr.json", "w"))


if __name__ == "__main__":
    main()
