"""Writes the model-selection benchmark's data: ROWS rows of a binary task with 20 numeric
features (scikit-learn's make_classification: 10 informative, 4 redundant, 5% label noise),
as CSV with a header and the label last."""
import sys

import numpy as np
from sklearn.datasets import make_classification

out, rows = sys.argv[1], int(sys.argv[2])
X, y = make_classification(n_samples=rows, n_features=20, n_informative=10, n_redundant=4,
                           flip_y=0.05, class_sep=0.8, random_state=0)
header = ",".join([f"f{i}" for i in range(X.shape[1])] + ["label"])
np.savetxt(out, np.column_stack([X, y]), delimiter=",", header=header, comments="",
           fmt=["%.6f"] * X.shape[1] + ["%d"])
