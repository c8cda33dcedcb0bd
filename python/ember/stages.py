"""Every registered stage as a Python class, generated at import from Ember's registry.

A stage holds its params as Ember's JSON spec does; every change is checked by Ember itself,
so a bad value raises EmberError naming the stage, the param and what it accepts. Fitting
and transforming run in Ember with the GIL released.
"""
import difflib
import json
import re

import numpy as np

from ember import _ember
from ember._ember import EmberError
from ember.frame import DataFrame


def _json_value(value):
    """A param value as JSON: stages become their specs, NumPy scalars and arrays plain."""
    if isinstance(value, Stage):
        return value._spec()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _frame(df):
    if isinstance(df, DataFrame):
        return df._f
    try:
        import pandas as pd

        if isinstance(df, pd.DataFrame):
            return DataFrame.from_pandas(df)._f
    except ImportError:
        pass
    raise TypeError(f"expected an ember.DataFrame or a pandas DataFrame, got {type(df).__name__}")


def _cap(name):
    return name[:1].upper() + name[1:]


class Stage:
    """A pipeline stage: its type's params, set by keyword or with setX()."""

    _type = None
    _info = None  # the registry entry: doc, params

    def __init__(self, **params):
        self._params = {}
        for name, value in params.items():
            self._put(name, value)
        self._check()

    # Params ------------------------------------------------------------------------------
    @classmethod
    def _param(cls, name):
        for p in cls._info["params"]:
            if p["name"] == name:
                return p
        names = [p["name"] for p in cls._info["params"]]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise TypeError(f"{cls._type} has no param '{name}'{hint} Its params: {', '.join(names)}")

    def _put(self, name, value):
        self._param(name)
        self._params[name] = _json_value(value)

    def _check(self):
        """Ember checks the spec; a complaint about a param not set yet (a required one left
        at its default) waits for fit or transform, so stages can be built up with setX()."""
        try:
            _ember.check_spec(json.dumps(self._spec()))
        except EmberError as e:
            named = re.search(r"param '([^']+)'", str(e))
            if named is None or named.group(1) in self._params:
                raise

    def _spec(self):
        return {"type": self._type, "params": dict(self._params)}

    def set(self, name, value):
        """Sets param `name` (checked by Ember); returns the stage, so calls chain."""
        old = self._params.get(name, _MISSING)
        self._put(name, value)
        try:
            self._check()
        except EmberError:
            if old is _MISSING:
                del self._params[name]
            else:
                self._params[name] = old
            raise
        return self

    def get(self, name):
        """Param `name`: its value if set, else its default."""
        p = self._param(name)
        if name in self._params:
            return self._params[name]
        return json.loads(p["default"])

    def isSet(self, name):
        self._param(name)
        return name in self._params

    def params(self):
        """{name: value} of every param (defaults included)."""
        return {p["name"]: self.get(p["name"]) for p in self._info["params"]}

    def explainParams(self):
        """One line per param: name, doc, default and current value."""
        lines = []
        for p in self._info["params"]:
            current = f", current: {json.dumps(self._params[p['name']])}" if p["name"] in self._params else ""
            constraint = f", {p['constraint']}" if p["constraint"] else ""
            lines.append(f"{p['name']}: {p['doc']} ({p['type']}{constraint}; default: "
                         f"{p['default']}{current})")
        return "\n".join(lines)

    def copy(self, extra=None):
        c = type(self).__new__(type(self))
        c._params = dict(self._params)
        for k, v in (extra or {}).items():
            c._put(k, v)
        c._check()
        return c

    def __repr__(self):
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in self._params.items())
        return f"{self._type}({args})"


_MISSING = object()


class Estimator(Stage):
    """A stage that learns: fit(df) returns a Model."""

    def fit(self, df):
        return _model(_ember.fit(json.dumps(self._spec()), _frame(df)))


class Transformer(Stage):
    """A stage that needs no fitting: transform(df) returns a new frame."""

    def transform(self, df):
        return DataFrame(_ember.transform_spec(json.dumps(self._spec()), _frame(df)))

    def fit(self, df):
        """A transformer is its own model (so it can end a Pipeline's fit)."""
        return _model(_ember.fit(json.dumps(self._spec()), _frame(df)))


class Pipeline(Estimator):
    """Stages fitted in order: Pipeline(stages=[...]).fit(df) returns one Model."""

    _type = "Pipeline"

    def __init__(self, stages=()):
        self._stages = list(stages)
        for s in self._stages:
            if not isinstance(s, Stage):
                raise TypeError(f"Pipeline stages must be ember stages, got {type(s).__name__}")
        self._check()

    def _spec(self):
        return {"stages": [s._spec() for s in self._stages]}

    def getStages(self):
        return list(self._stages)

    def setStages(self, stages):
        self._stages = list(stages)
        self._check()
        return self

    def explainParams(self):
        return "stages: the stages, fitted in order"

    def __repr__(self):
        return "Pipeline(stages=[" + ", ".join(repr(s) for s in self._stages) + "])"


class Model:
    """A fitted model (or any transformer): transform, save, and the params it was made with.
    Saved models are the directories `ember transform`, `ember eval` and `ember serve` take."""

    def __init__(self, *args, **kwargs):
        raise TypeError("models come from fit() or ember.load(path)")

    def transform(self, df, columns=None):
        """The model's output frame; with `columns`, only those (computed by the pipeline's
        fused row loop where it applies, as `ember transform --cols`)."""
        return DataFrame(self._m.transform(_frame(df), list(columns or [])))

    def save(self, path, overwrite=False):
        """Saves to directory `path` (replaced atomically with overwrite=True)."""
        self._m.save(str(path), overwrite)

    @property
    def uid(self):
        return self._m.uid

    @property
    def typeName(self):
        return self._m.type_name

    def params(self):
        return json.loads(self._m.params_json())

    def feature_importances(self, importance_type="gain", normalize=True):
        """A tree model's importance of each slot of its features column (for a pipeline,
        its last tree model's): "gain" (the total gain of the splits on the slot, as
        scikit-learn's and Spark's impurity decrease) or "split" (how many splits use it);
        shares summing to 1 with `normalize` (Spark's and scikit-learn's convention).
        Raises for a model without trees."""
        values = self._m.feature_importances(importance_type)
        total = sum(values)
        if normalize and total > 0:
            values = [v / total for v in values]
        return values

    def __repr__(self):
        return f"{self._m.type_name}(uid={self._m.uid!r})"


_MODEL_CLASSES = {}


def _model(native):
    cls = _MODEL_CLASSES.get(native.type_name, Model)
    m = Model.__new__(cls)
    m._m = native
    return m


def load(path):
    """Loads a saved model (from Python, `ember fit` or `ember tune`)."""
    return _model(_ember.Model.load(str(path)))


class Server:
    """A model served over HTTP in the background (see ember.serve); stop() ends it."""

    def __init__(self, native, tmp):
        self._s = native
        self._tmp = tmp

    @property
    def port(self):
        return self._s.port

    @property
    def url(self):
        return f"http://127.0.0.1:{self._s.port}"

    def stop(self):
        """Answers what is in flight, then stops."""
        self._s.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __del__(self):
        if getattr(self, "_s", None) is not None and self._s.running:
            self.stop()


def serve(model, port=0, *, path="/predict", host="127.0.0.1", reply_cols=(), api_key="",
          threads=0):
    """Serves `model` (a Model, or a saved model's directory) as `ember serve` does, in the
    background: POST JSON rows to server.url + path. port=0 takes a free port
    (server.port). Use as a context manager, or call stop()."""
    import tempfile

    tmp = None
    if isinstance(model, Model):
        tmp = tempfile.TemporaryDirectory(prefix="ember-serve-")
        model.save(f"{tmp.name}/model")
        model_dir = f"{tmp.name}/model"
    else:
        model_dir = str(model)
    try:
        native = _ember.Serving.start(model_dir, host, int(port), path, list(reply_cols),
                                      api_key, int(threads))
    except BaseException:
        if tmp is not None:
            tmp.cleanup()
        raise
    return Server(native, tmp)


def _make_accessors(cls, p):
    name = p["name"]

    def setter(self, value):
        return self.set(name, value)

    def getter(self):
        return self.get(name)

    setter.__doc__ = f"Sets {name}: {p['doc']}"
    getter.__doc__ = f"{name}: {p['doc']} (default {p['default']})"
    setattr(cls, "set" + _cap(name), setter)
    setattr(cls, "get" + _cap(name), getter)


def _doc(info):
    lines = [info["doc"], "", "Params (keyword arguments):"]
    for p in info["params"]:
        constraint = f", {p['constraint']}" if p["constraint"] else ""
        lines.append(f"    {p['name']} ({p['type']}{constraint}; default {p['default']}): {p['doc']}")
    return "\n".join(lines)


def stage_classes():
    """{type name: class} for every stage in Ember's registry."""
    classes = {}
    for info in _ember.registry():
        name = info["name"]
        if name in ("Pipeline", "PipelineModel"):
            continue
        if info["fitted"]:
            cls = type(name, (Model,), {"__doc__": info["doc"] + "\n\nA fitted model: from fit() "
                                        "or ember.load().", "__module__": "ember"})
            _MODEL_CLASSES[name] = cls
        else:
            base = Estimator if info["estimator"] else Transformer
            cls = type(name, (base,), {"_type": name, "_info": info, "__doc__": _doc(info),
                                       "__module__": "ember"})
            for p in info["params"]:
                _make_accessors(cls, p)
        classes[name] = cls
    return classes
