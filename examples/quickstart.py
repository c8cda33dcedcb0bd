"""Ember's quick start from Python, on the same real data as the C++ one (scikit-learn's copy
of the Wisconsin breast cancer data, from Debian's python3-sklearn):
  read the CSV -> pandas -> split 80/20 -> fit a featurize + logistic regression pipeline
  -> accuracy on the held-out rows -> the same with gradient-boosted trees -> save -> load
  (the directory `ember serve` takes) -> score new rows.
Usage: python3 examples/quickstart.py BREAST_CANCER_CSV OUT_DIR
"""
import os
import sys
import time

import numpy as np

import ember


def main(csv_path, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(csv_path) as f:
        counts = f.readline().strip().split(",")
    classes = counts[2:]  # "569,30,malignant,benign"
    names = [f"f{i}" for i in range(int(counts[1]))] + ["target"]
    df = ember.read_csv(csv_path, header=False, skip_lines=1, names=names)
    pdf = df.to_pandas()
    pdf["label"] = [classes[int(t)] for t in pdf.pop("target")]
    print(f"read {len(pdf)} rows x {len(pdf.columns)} columns")

    rng = np.random.default_rng(7)
    test = rng.random(len(pdf)) < 0.2
    train, held_out = pdf[~test], pdf[test]

    results = {}
    for model in (ember.LogisticRegression(regParam=0.01), ember.GBDTClassifier()):
        pipeline = ember.Pipeline(stages=[ember.TrainClassifier(labelCol="label", model=model)])
        start = time.perf_counter()
        fitted = pipeline.fit(train)
        seconds = time.perf_counter() - start
        scored = fitted.transform(held_out.drop(columns=["label"])).to_pandas()
        accuracy = float((scored["predictedLabel"].to_numpy() == held_out["label"].to_numpy()).mean())
        results[model._type] = (fitted, accuracy)
        print(f"{model._type}: accuracy {accuracy:.4f} on {len(held_out)} held-out rows "
              f"(fit {seconds:.2f} s)")

    best_name = max(results, key=lambda k: results[k][1])
    best = results[best_name][0]
    best.save(f"{out_dir}/model", overwrite=True)
    loaded = ember.load(f"{out_dir}/model")
    new_rows = held_out.drop(columns=["label"]).head(3)
    print(f"saved {best_name} to {out_dir}/model; scores of 3 new rows:")
    print(loaded.transform(new_rows).to_pandas()[["predictedLabel", "probability"]])
    print(f"serve it: ember serve {out_dir}/model")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
