"""Ember from Python: frames, every registered stage as a class, pipelines and models.

    import ember
    df = ember.read_csv("iris.csv")
    model = ember.Pipeline(stages=[ember.TrainClassifier(labelCol="species")]).fit(df)
    model.transform(df).to_pandas()
    model.save("model")            # the directory `ember serve` and `ember transform` take

Stage classes are generated at import from the stages this build of Ember registers, with
their params as keyword arguments (see `explainParams()`); errors are `ember.EmberError`
(a ValueError) carrying Ember's message.
"""
from pkgutil import extend_path

# The compiled extension may live in a build directory's ember/ beside this one.
__path__ = extend_path(__path__, __name__)

from ember._ember import EmberError, __version__  # noqa: E402
from ember.frame import DataFrame, read_csv, read_json, read_table  # noqa: E402
from ember.stages import (  # noqa: E402
    Estimator,
    Model,
    Pipeline,
    Server,
    Stage,
    Transformer,
    load,
    serve,
    stage_classes,
)

_stages = stage_classes()
globals().update(_stages)

__all__ = [
    "DataFrame",
    "EmberError",
    "Estimator",
    "Model",
    "Pipeline",
    "Server",
    "Stage",
    "Transformer",
    "load",
    "read_csv",
    "read_json",
    "read_table",
    "serve",
    "__version__",
] + sorted(_stages)
