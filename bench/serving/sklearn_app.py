"""The peers of bench/serving: the same two routes served from Python.
  /predict  scikit-learn Pipeline(OneHotEncoder + StandardScaler + LogisticRegression)
            fitted on train.csv, predict_proba on a one-row DataFrame of the request
  /select   the SELECT projection (y = x0 * 2 + x1, z = x2 - x0) in plain Python
`app` is the FastAPI app (run with uvicorn), `flask_app` the Flask one (gunicorn).
The data directory comes from EMBER_BENCH_DATA."""
import os

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DATA = os.environ["EMBER_BENCH_DATA"]
NUMERIC = ["x0", "x1", "x2"]
STRINGS = ["s0", "s1", "s2", "s3"]
train = pd.read_csv(os.path.join(DATA, "train.csv"))
model = Pipeline([
    ("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), STRINGS)],
                                 remainder="passthrough", sparse_threshold=1.0)),
    ("scale", StandardScaler(with_mean=False)),
    ("lr", LogisticRegression(max_iter=200)),
]).fit(train[NUMERIC + STRINGS], train["label"])


def predict(row):
    p = model.predict_proba(pd.DataFrame([row], columns=NUMERIC + STRINGS))[0]
    return {"probability": [float(p[0]), float(p[1])], "prediction": float(p[1] > 0.5)}


def select(row):
    return {"y": row["x0"] * 2 + row["x1"], "z": row["x2"] - row["x0"]}


try:
    from fastapi import FastAPI, Request

    app = FastAPI()

    @app.post("/predict")
    async def fastapi_predict(request: Request):
        return predict(await request.json())

    @app.post("/select")
    async def fastapi_select(request: Request):
        return select(await request.json())
except ImportError:
    app = None

try:
    from flask import Flask, jsonify, request as flask_request

    flask_app = Flask(__name__)

    @flask_app.post("/predict")
    def flask_predict():
        return jsonify(predict(flask_request.get_json()))

    @flask_app.post("/select")
    def flask_select():
        return jsonify(select(flask_request.get_json()))
except ImportError:
    flask_app = None
