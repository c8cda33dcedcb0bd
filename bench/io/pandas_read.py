"""Reads a CSV with pandas.read_csv R times; prints "pandas seconds=S rows=K" per run.

Usage: /usr/bin/python3 pandas_read.py FILE RUNS
"""
import sys
import time

import pandas as pd


def main():
    path, runs = sys.argv[1], int(sys.argv[2])
    for _ in range(runs):
        t0 = time.perf_counter()
        df = pd.read_csv(path)
        s = time.perf_counter() - t0
        print(f"pandas seconds={s:.4f} rows={len(df)}", flush=True)


if __name__ == "__main__":
    main()
