"""scikit-learn's KMeans on bench/kmeans's CSV: Lloyd from k-means++ (n_init 1, tol 1e-4 and
max_iter 300: scikit-learn's defaults), THREADS threads (OpenMP, via threadpoolctl). Reading
is not timed. Prints one line of key=value: fit_s, inertia, iterations.

Usage: /usr/bin/python3 peer.py DATA.csv K THREADS SEED
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


def main():
    path, k, threads, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.ascontiguousarray(pd.read_csv(path, float_precision="round_trip").to_numpy())
    with threadpool_limits(limits=threads):
        t = time.perf_counter()
        model = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x)
        fit_s = time.perf_counter() - t
    print(f"sklearn fit_s={fit_s:.3f} inertia={model.inertia_:.6e} iterations={model.n_iter_}")


if __name__ == "__main__":
    main()
