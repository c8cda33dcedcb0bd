"""Data for bench/kmeans: ROWS rows of DIMS features around 60 Gaussian centres of different
spreads (seed 7), as CSV with header f0..f{d-1}.

Usage: gen_data.py OUT.csv ROWS DIMS
"""
import sys

import numpy as np


def main():
    out, rows, dims = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 6, size=(60, dims))
    spread = rng.uniform(0.5, 2.5, size=60)
    which = rng.integers(0, 60, size=rows)
    x = centres[which] + rng.normal(0, 1, size=(rows, dims)) * spread[which, None]
    np.savetxt(out, x, delimiter=",", header=",".join(f"f{j}" for j in range(dims)), comments="",
               fmt="%.6g")


if __name__ == "__main__":
    main()
