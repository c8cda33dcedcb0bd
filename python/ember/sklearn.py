"""Ember pipelines as scikit-learn estimators, so GridSearchCV, cross_val_score and
scikit-learn's pipelines take them:

    from ember.sklearn import EmberClassifier
    search = GridSearchCV(EmberClassifier(), {"model": [ember.LogisticRegression(regParam=r)
                                                        for r in (0.01, 0.1)]}, cv=5)
    search.fit(X, y)

`model` is the Ember estimator TrainClassifier (or TrainRegressor) trains; `stages` are Ember
stages that run before it (SqlTransformer, ...). X is a NumPy array (columns x0, x1, ...) or a
pandas DataFrame (its column names); the model is fitted and scored in Ember.
"""
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

import ember


def _frame(X):
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got {X.ndim} dimensions")
    return pd.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])})


class _EmberEstimator(BaseEstimator):
    _label = "__ember_label"

    def __init__(self, model=None, stages=()):
        self.model = model
        self.stages = stages

    def _train_stage(self):
        raise NotImplementedError

    def _fit_frame(self, X, labels):
        pdf = _frame(X)
        self.feature_names_in_ = np.asarray(pdf.columns, dtype=object)
        self.n_features_in_ = pdf.shape[1]
        pdf[self._label] = labels
        pipeline = ember.Pipeline(stages=list(self.stages) + [self._train_stage()])
        self.model_ = pipeline.fit(pdf)
        return self

    def _score(self, X):
        return self.model_.transform(_frame(X)).to_pandas()


class EmberClassifier(ClassifierMixin, _EmberEstimator):
    """TrainClassifier as a scikit-learn classifier (default model: LogisticRegression)."""

    def _train_stage(self):
        params = {"labelCol": self._label}
        if self.model is not None:
            params["model"] = self.model
        return ember.TrainClassifier(**params)

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        # Labels cross as text and come back through this map, whatever their type.
        self._names = {str(c): c for c in self.classes_}
        return self._fit_frame(X, [str(v) for v in y])

    def predict(self, X):
        out = self._score(X)
        return np.array([self._names[v] for v in out["predictedLabel"]], dtype=self.classes_.dtype)

    def predict_proba(self, X):
        frame = self.model_.transform(_frame(X))
        probability = frame.to_numpy("probability")
        # The probability slots follow the label indexer's order: the nominal values on the
        # prediction column; scikit-learn wants classes_ order.
        order = ember.frame.nominal_values(frame, "prediction")
        return np.ascontiguousarray(probability[:, [order.index(str(c)) for c in self.classes_]])


class EmberRegressor(RegressorMixin, _EmberEstimator):
    """TrainRegressor as a scikit-learn regressor (default model: LinearRegression)."""

    def _train_stage(self):
        params = {"labelCol": self._label}
        if self.model is not None:
            params["model"] = self.model
        return ember.TrainRegressor(**params)

    def fit(self, X, y):
        return self._fit_frame(X, np.asarray(y, dtype=np.float64))

    def predict(self, X):
        return self._score(X)["prediction"].to_numpy(dtype=np.float64)
