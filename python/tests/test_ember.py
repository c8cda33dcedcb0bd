"""Tests of the Python package: frames to and from pandas and NumPy, generated stage classes,
pipelines, save/load shared with the CLI, and the errors users meet."""
import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import ember


def iris_like(rows=150, seed=0):
    rng = np.random.default_rng(seed)
    species = np.array(["setosa", "versicolor", "virginica"])[rng.integers(0, 3, rows)]
    centre = {"setosa": 1.0, "versicolor": 3.0, "virginica": 5.0}
    x = np.array([centre[s] for s in species]) + rng.normal(0, 0.3, rows)
    return pd.DataFrame({
        "petal_length": x,
        "petal_width": x / 3 + rng.normal(0, 0.1, rows),
        "species": species,
    })


# Frames ------------------------------------------------------------------------------------

def test_pandas_round_trip_keeps_types_and_nulls():
    pdf = pd.DataFrame({
        "f": [1.5, np.nan, -2.0],
        "i": pd.array([1, None, 3], dtype="Int64"),
        "i32": np.array([1, 2, 3], dtype=np.int32),
        "b": [True, False, True],
        "nb": pd.array([True, None, False], dtype="boolean"),
        "s": ["a", None, "ü"],
        "t": pd.to_datetime(["2024-03-01 10:00", None, "1969-12-31 23:59:59.5"], utc=True),
        "c": pd.Categorical(["x", "y", None]),
    })
    df = ember.DataFrame.from_pandas(pdf)
    assert df.schema == {"f": "float64", "i": "int64", "i32": "int32", "b": "bool",
                         "nb": "bool", "s": "string", "t": "timestamp", "c": "string"}
    back = df.to_pandas()
    assert back["f"].tolist()[0] == 1.5 and np.isnan(back["f"][1])
    assert back["i"].tolist() == [1, pd.NA, 3]
    assert back["nb"].tolist() == [True, pd.NA, False]
    assert back["s"].tolist() == ["a", None, "ü"]
    assert back["t"][0] == pd.Timestamp("2024-03-01 10:00", tz="UTC")
    assert pd.isna(back["t"][1])
    assert back["t"][2] == pd.Timestamp("1969-12-31 23:59:59.5", tz="UTC")
    assert back["c"].tolist() == ["x", "y", None]


def test_numbers_and_vectors_cross_without_a_copy():
    x = np.arange(1000, dtype=np.float64)
    v = np.random.default_rng(1).normal(size=(1000, 4))
    df = ember.DataFrame.from_arrays(x=x, v=v)
    assert df.schema == {"x": "float64", "v": "vector[4]"}
    out = df.to_numpy("x")
    assert np.shares_memory(out, x)
    assert not out.flags.writeable
    vec = df.to_numpy("v")
    assert vec.shape == (1000, 4)
    assert np.shares_memory(vec, v)
    del df, x  # the frame keeps the array alive; the view keeps the frame's column alive
    assert out[999] == 999.0


def test_lists_of_values_and_display():
    df = ember.DataFrame.from_arrays({"n": [1, None, 3], "s": ["a", "b", None],
                                      "flag": [True, None, False], "x": [0.5, 1, None]})
    assert df.schema == {"n": "int64", "s": "string", "flag": "bool", "x": "float64"}
    assert len(df) == 3
    assert "n" in repr(df) and "null" in repr(df)
    assert df._repr_html_().startswith("<table>")


def test_read_and_write_tables(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,day,name\n1,2024-03-01,NA\n2,2024-02-29,\n")
    df = ember.read_csv(path, schema={"id": "int64", "day": "date", "name": "string"})
    pdf = df.to_pandas()
    assert pdf["name"].tolist() == ["NA", None]  # only the empty field is null
    assert str(pdf["day"][0].date()) == "2024-03-01"
    df.write(tmp_path / "out.jsonl")
    again = ember.read_json(tmp_path / "out.jsonl", schema={"id": "int64", "day": "date",
                                                            "name": "string"})
    assert again.to_pandas()["day"].tolist() == pdf["day"].tolist()


# Stages ------------------------------------------------------------------------------------

def test_every_registered_stage_is_a_class_with_its_params():
    for name in ("LogisticRegression", "TrainClassifier", "SqlTransformer", "VectorAssembler",
                 "StringIndexer", "GBDTClassifier"):
        assert hasattr(ember, name), name
    lr = ember.LogisticRegression(regParam=0.1)
    assert lr.getRegParam() == 0.1
    assert lr.getMaxIter() == ember.LogisticRegression().getMaxIter()
    assert lr.setMaxIter(50) is lr and lr.getMaxIter() == 50
    assert "regParam" in lr.explainParams()
    assert "regParam" in ember.LogisticRegression.__doc__
    assert issubclass(ember.LogisticRegression, ember.Estimator)
    assert issubclass(ember.SqlTransformer, ember.Transformer)
    assert issubclass(ember.LogisticRegressionModel, ember.Model)


def test_bad_params_are_errors_that_name_them():
    with pytest.raises(TypeError, match="did you mean 'regParam'"):
        ember.LogisticRegression(regParm=0.1)
    with pytest.raises(ember.EmberError, match="regParam"):
        ember.LogisticRegression(regParam=-1)
    with pytest.raises(ember.EmberError, match="regParam"):
        ember.LogisticRegression(regParam="high")
    lr = ember.LogisticRegression(regParam=0.5)
    with pytest.raises(ember.EmberError):
        lr.setRegParam(-3)
    assert lr.getRegParam() == 0.5  # a refused value leaves the old one


def test_bad_frames_are_errors_that_name_the_column():
    with pytest.raises(ember.EmberError, match=r"column 'mixed': row 2 holds int"):
        ember.DataFrame.from_pandas(pd.DataFrame({"mixed": ["a", "b", 3]}))
    with pytest.raises(ember.EmberError, match=r"column 'z': dtype complex128 is not supported"):
        ember.DataFrame.from_pandas(pd.DataFrame({"z": [1 + 2j]}))
    with pytest.raises(ember.EmberError, match="astype"):
        ember.DataFrame.from_pandas(pd.DataFrame({"o": pd.Series([1, None, 2], dtype=object)}))


def test_pipeline_fits_transforms_saves_and_loads(tmp_path):
    pdf = iris_like()
    df = ember.DataFrame.from_pandas(pdf)
    pipeline = ember.Pipeline(stages=[
        ember.SqlTransformer(statement="SELECT *, petal_length * petal_width AS area FROM __THIS__"),
        ember.TrainClassifier(labelCol="species", model=ember.LogisticRegression(regParam=0.01)),
    ])
    model = pipeline.fit(df)
    out = model.transform(df).to_pandas()
    accuracy = (out["predictedLabel"] == pdf["species"]).mean()
    assert accuracy > 0.9
    model.save(tmp_path / "m")
    loaded = ember.load(tmp_path / "m")
    again = loaded.transform(pdf.drop(columns=["species"])).to_pandas()  # scores without the label
    assert again["predictedLabel"].tolist() == out["predictedLabel"].tolist()
    with pytest.raises(ember.EmberError, match="already exists"):
        model.save(tmp_path / "m")
    model.save(tmp_path / "m", overwrite=True)


def test_errors_from_fit_and_transform_carry_embers_message():
    df = ember.DataFrame.from_arrays(x=np.array([1.0, 2.0]))
    with pytest.raises(ember.EmberError, match="nope"):
        ember.SqlTransformer(statement="SELECT nope FROM __THIS__").transform(df)
    with pytest.raises(ember.EmberError, match="label"):
        ember.TrainClassifier(labelCol="label").fit(df)


@pytest.mark.skipif(not os.environ.get("EMBER_CLI"), reason="needs the ember command")
def test_models_move_between_python_and_the_cli(tmp_path):
    pdf = iris_like()
    pdf.to_csv(tmp_path / "iris.csv", index=False)
    spec = tmp_path / "spec.json"
    spec.write_text('{"stages": [{"type": "TrainClassifier", "params": {"labelCol": "species"}}]}')
    cli = os.environ["EMBER_CLI"]
    subprocess.run([cli, "fit", str(spec), "--data", str(tmp_path / "iris.csv"), "--out",
                    str(tmp_path / "cli_model")], check=True, capture_output=True)
    from_cli = ember.load(tmp_path / "cli_model")
    py_out = from_cli.transform(ember.read_csv(tmp_path / "iris.csv")).to_pandas()
    assert (py_out["predictedLabel"] == pdf["species"]).mean() > 0.9

    model = ember.TrainClassifier(labelCol="species").fit(ember.read_csv(tmp_path / "iris.csv"))
    model.save(tmp_path / "py_model")
    subprocess.run([cli, "transform", str(tmp_path / "py_model"), "--data",
                    str(tmp_path / "iris.csv"), "--out", str(tmp_path / "scored.csv")],
                   check=True, capture_output=True)
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert scored["predictedLabel"].tolist() == py_out["predictedLabel"].tolist()
    shutil.rmtree(tmp_path)


def test_type_stubs_are_current():
    from pathlib import Path

    from ember import _stubs

    stubs = Path(__file__).resolve().parent.parent / "ember" / "__init__.pyi"
    assert stubs.read_text() == _stubs.render(), (
        "python/ember/__init__.pyi is stale: regenerate it with "
        "`python3 -m ember._stubs > python/ember/__init__.pyi` (see ember/_stubs.py)")
    compile(stubs.read_text(), str(stubs), "exec")  # valid Python syntax


def test_scikit_learn_model_selection_drives_ember():
    from sklearn.model_selection import GridSearchCV, cross_val_score

    from ember.sklearn import EmberClassifier, EmberRegressor

    pdf = iris_like(300, seed=3)
    X = pdf[["petal_length", "petal_width"]].to_numpy()
    y = pdf["species"].map({"setosa": 0, "versicolor": 1, "virginica": 2}).to_numpy()
    search = GridSearchCV(
        EmberClassifier(),
        {"model": [ember.LogisticRegression(regParam=r) for r in (0.001, 10.0)]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["model"].getRegParam() == 0.001
    assert search.best_score_ > 0.9
    proba = search.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert (proba.argmax(axis=1) == search.predict(X)).mean() > 0.99
    assert search.predict(X).dtype == y.dtype
    scores = cross_val_score(EmberRegressor(), X[:, :1], X[:, 1], cv=3)
    assert scores.mean() > 0.9


def test_serve_a_fitted_model_in_the_background():
    import json
    import urllib.request

    pdf = iris_like()
    model = ember.TrainClassifier(labelCol="species").fit(pdf)
    with ember.serve(model) as server:
        assert server.port > 0
        body = json.dumps([{"petal_length": 1.0, "petal_width": 0.3},
                           {"petal_length": 5.1, "petal_width": 1.7}]).encode()
        request = urllib.request.Request(server.url + "/predict", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            rows = json.loads(reply.read())
        assert [r["predictedLabel"] for r in rows] == ["setosa", "virginica"]
    with pytest.raises(Exception):
        urllib.request.urlopen(server.url + "/health", timeout=5)


def test_a_stage_registered_in_cpp_appears_with_no_python_written():
    from ember import _ember, stages

    assert "TestOnlyStage" not in stages.stage_classes()
    _ember._register_test_stage()
    cls = stages.stage_classes()["TestOnlyStage"]
    assert issubclass(cls, ember.Transformer)
    assert "renames a column" in cls.__doc__ and "inputCol" in cls.__doc__
    stage = cls(inputCol="x", outputCol="y")
    assert stage.getOutputCol() == "y"
    out = stage.transform(ember.DataFrame.from_arrays(x=np.array([1.0, 2.0])))
    assert out.columns == ["y"]
    with pytest.raises(TypeError, match="did you mean 'inputCol'"):
        cls(inputCols="x")


def test_ctrl_c_cancels_a_long_fit():
    import _thread
    import threading
    import time

    rng = np.random.default_rng(5)
    pdf = pd.DataFrame({"x": rng.normal(size=2000), "label": rng.integers(0, 2, 2000)})
    booster = ember.GBDTClassifier(featuresCol="x_vec", numIterations=1_000_000, maxDepth=2)
    stages = [ember.VectorAssembler(inputCols=["x"], outputCol="x_vec"), booster]
    timer = threading.Timer(0.5, _thread.interrupt_main)  # as Ctrl-C 0.5 s in
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        ember.Pipeline(stages=stages).fit(pdf)
    assert time.monotonic() - start < 30  # a million rounds would take far longer
    timer.join()


def test_tree_models_give_feature_importances():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    pdf = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
                        "label": (x[:, 1] + 0.1 * x[:, 2] > 0).astype(float)})
    assemble = ember.VectorAssembler(inputCols=["a", "b", "c"], outputCol="features")
    forest = ember.RandomForestClassifier(numTrees=20, maxDepth=4, seed=1)
    model = ember.Pipeline(stages=[assemble, forest]).fit(pdf)
    shares = model.feature_importances()
    assert len(shares) == 3 and abs(sum(shares) - 1) < 1e-12
    assert shares[1] == max(shares)
    splits = model.feature_importances("split", normalize=False)
    assert all(float(v).is_integer() for v in splits) and splits[1] > 0
    linear = ember.Pipeline(stages=[assemble, ember.LogisticRegression()]).fit(pdf)
    with pytest.raises(Exception, match="no stage .* has feature importances"):
        linear.feature_importances()


def test_small_frames_reuse_the_bound_kernel_and_grouping_models_still_run():
    pdf = iris_like(60, seed=9)
    model = ember.TrainClassifier(labelCol="species").fit(pdf)
    one = ember.DataFrame.from_pandas(pdf.head(1).drop(columns=["species"]))
    first = model.transform(one, columns=["probability"]).to_numpy("probability")
    again = model.transform(one, columns=["probability"]).to_numpy("probability")
    full = model.transform(pdf).to_pandas()["probability"][0]
    np.testing.assert_allclose(first[0], full)
    np.testing.assert_array_equal(first, again)
    # A model that sorts runs across rows: not one batch at a time.
    ordered = ember.SqlTransformer(
        statement="SELECT species, count(*) AS n FROM __THIS__ GROUP BY species ORDER BY species")
    out = ordered.fit(pdf).transform(pdf).to_pandas()
    assert out["species"].tolist() == sorted(pdf["species"].unique())
    assert out["n"].sum() == 60


def test_scipy_sparse_matrices_are_sparse_vector_columns():
    from scipy import sparse

    m = sparse.random(50, 30, density=0.1, format="csr", random_state=4)
    df = ember.DataFrame.from_arrays(v=m, y=np.arange(50, dtype=np.float64))
    assert df.schema == {"v": "sparse_vector[30]", "y": "float64"}
    np.testing.assert_array_equal(df.to_numpy("v"), m.toarray())
    csc = sparse.random(5, 4, density=0.5, format="csc", random_state=1)  # any SciPy format
    np.testing.assert_array_equal(ember.DataFrame.from_arrays(v=csc).to_numpy("v"),
                                  csc.toarray())


def test_the_docs_examples_run(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "python.md"
    blocks = re.findall(r"```python\n(.*?)```", docs.read_text(), re.S)
    assert len(blocks) >= 2
    iris_like().to_csv(tmp_path / "iris.csv", index=False)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(docs), "exec"), namespace)
    assert (tmp_path / "model" / "metadata.json").exists()
