"""Ember frames in Python: to and from pandas and NumPy, reading and writing tables.

Numeric columns, dense vectors and timestamps cross without a copy where the layouts allow:
an Ember frame made from NumPy arrays reads their memory (keep them unchanged while the
frame lives), and `to_numpy` / `to_pandas` of a one-partition frame hand out read-only
views of Ember's memory.
"""
import html
import json

import numpy as np

from ember import _ember
from ember._ember import EmberError

# NumPy dtypes that cross as they are.
_NUMERIC = {
    np.dtype("float64"): "float64",
    np.dtype("float32"): "float32",
    np.dtype("int64"): "int64",
    np.dtype("int32"): "int32",
    np.dtype("bool"): "bool",
}
# Narrower integers widen to int32, unsigned ones to int64 (uint64 only when it fits).
_WIDEN = {
    np.dtype("int8"): "int32",
    np.dtype("int16"): "int32",
    np.dtype("uint8"): "int32",
    np.dtype("uint16"): "int32",
    np.dtype("uint32"): "int64",
    np.dtype("float16"): "float32",
}


def _is_bool(v):
    return isinstance(v, (bool, np.bool_))


def _column_from_list(name, values):
    """(name, ember type, values, mask) of a Python list: numbers, booleans, str, bytes or
    None; rows of numbers make a vector column."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (list, tuple, np.ndarray)) for v in present):
        if len(present) < len(values):
            raise EmberError(f"column '{name}': a vector column cannot hold None rows yet")
        return _column_from_values(name, np.asarray(values, dtype=np.float64))
    mask = np.array([v is None for v in values]) if len(present) < len(values) else None
    fill = lambda zero: [zero if v is None else v for v in values]  # noqa: E731
    if present and all(_is_bool(v) for v in present):
        return (name, "bool", np.array(fill(False), dtype=np.bool_), mask)
    if present and all(isinstance(v, (int, np.integer)) and not _is_bool(v) for v in present):
        return (name, "int64", np.array(fill(0), dtype=np.int64), mask)
    if present and all(isinstance(v, (int, float, np.integer, np.floating)) and not _is_bool(v)
                       for v in present):
        return (name, "float64", np.array(fill(0.0), dtype=np.float64), mask)
    kind = "binary" if present and isinstance(present[0], bytes) else "string"
    return (name, kind, list(values), None)  # Ember names the first row of another type


def _column_from_values(name, values):
    """(name, ember type, values, mask) for one column given as a NumPy array or a list."""
    if hasattr(values, "tocsr") and hasattr(values, "shape"):  # a SciPy sparse matrix
        m = values.tocsr()
        m.sort_indices()
        return (name, f"sparse_vector[{m.shape[1]}]",
                (m.indptr.astype(np.int64), m.indices.astype(np.int32),
                 m.data.astype(np.float64)), None)
    if not isinstance(values, np.ndarray):
        return _column_from_list(name, list(values))
    arr = values
    if arr.ndim == 2:
        if arr.dtype.kind not in "fiub":
            raise EmberError(
                f"column '{name}': a 2-D array is a vector column and must hold numbers, "
                f"not {arr.dtype}")
        return (name, f"vector[{arr.shape[1]}]",
                np.ascontiguousarray(arr, dtype=np.float64), None)
    if arr.ndim != 1:
        raise EmberError(f"column '{name}': expected a 1-D array, got {arr.ndim} dimensions")
    return _column_from_1d(name, arr, None)


def _column_from_1d(name, arr, mask):
    dt = arr.dtype
    if dt in _NUMERIC:
        return (name, _NUMERIC[dt], np.ascontiguousarray(arr), mask)
    if dt in _WIDEN:
        t = _WIDEN[dt]
        return (name, t, arr.astype(t), mask)
    if dt == np.dtype("uint64"):
        if len(arr) and arr.max() > np.iinfo(np.int64).max:
            raise EmberError(f"column '{name}': uint64 values above 2^63-1 do not fit int64")
        return (name, "int64", arr.astype(np.int64), mask)
    if dt.kind == "M":  # datetime64: instants in UTC
        nat = np.isnat(arr)
        micros = arr.astype("datetime64[us]").astype(np.int64)
        mask = nat if nat.any() else mask
        if dt == np.dtype("datetime64[D]"):
            return (name, "date", arr.astype(np.int64).astype(np.int32), mask)
        return (name, "timestamp", micros, mask)
    if dt.kind in "OUS":
        # pandas marks a missing string as None or NaN.
        values = [None if (isinstance(v, float) and v != v) else v for v in arr.tolist()]
        c = _column_from_list(name, values)
        if c[1] in ("bool", "int64", "float64") and dt.kind == "O":
            raise EmberError(
                f"column '{name}': an object column of numbers or booleans; convert it with "
                f".astype('{c[1]}') (or pandas' nullable types for missing values)")
        return c
    raise EmberError(
        f"column '{name}': dtype {dt} is not supported; convert it to float64, int64, bool, "
        "str or datetime64 first")


def _columns_from_pandas(pdf):
    import pandas as pd

    cols = []
    for name in pdf.columns:
        if not isinstance(name, str):
            raise EmberError(f"column {name!r}: column names must be strings")
        s = pdf[name]
        dt = s.dtype
        if isinstance(dt, pd.CategoricalDtype):
            values = [None if pd.isna(v) else str(v) for v in s.astype(object)]
            cols.append((name, "string", values, None))
        elif isinstance(dt, pd.DatetimeTZDtype):
            utc = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            cols.append(_column_from_1d(name, utc, None))
        elif isinstance(dt, pd.api.extensions.ExtensionDtype) and not isinstance(dt, np.dtype):
            mask = s.isna().to_numpy()
            kind = getattr(dt, "kind", "O")
            if kind in "iufb":
                numpy_type = {"b": np.bool_, "f": np.float64}.get(kind, np.int64)
                values = s.to_numpy(dtype=numpy_type, na_value=0)
                if kind in "iu" and dt.itemsize <= 4 and kind == "i":
                    values = values.astype(np.int32)
                c = _column_from_1d(name, values, mask if mask.any() else None)
                cols.append(c)
            else:  # pandas' string dtype and other object-like ones
                values = [None if m else v for v, m in zip(s.astype(object), mask)]
                cols.append(_column_from_1d(name, np.asarray(values, dtype=object), None))
        elif dt == object:
            values = s.tolist()
            if values and all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
                cols.append((name, f"vector[{len(values[0])}]",
                             np.ascontiguousarray(np.vstack(values), dtype=np.float64), None))
            else:
                cols.append(_column_from_1d(name, s.to_numpy(), None))
        else:
            cols.append(_column_from_1d(name, s.to_numpy(), None))
    return cols


class DataFrame:
    """A table of typed columns held by Ember (in one or more partitions)."""

    def __init__(self, frame):
        if not isinstance(frame, _ember.Frame):
            raise TypeError("make frames with ember.DataFrame.from_pandas, from_arrays or read_csv")
        self._f = frame

    # Making frames ---------------------------------------------------------------------
    @staticmethod
    def from_pandas(pdf):
        """A frame of a pandas DataFrame's columns (numbers without a copy where possible)."""
        return DataFrame(_ember.Frame.from_columns(_columns_from_pandas(pdf)))

    @staticmethod
    def from_arrays(columns=None, **kwargs):
        """A frame from {name: array or list}: 1-D NumPy arrays and lists of numbers, str or
        None; 2-D arrays (rows x n) become vector[n] columns, SciPy sparse matrices
        sparse_vector[n] columns."""
        data = dict(columns or {}, **kwargs)
        return DataFrame(_ember.Frame.from_columns(
            [_column_from_values(n, v) for n, v in data.items()]))

    # Shape -------------------------------------------------------------------------------
    @property
    def columns(self):
        return [f[0] for f in self._f.schema()]

    @property
    def schema(self):
        """{name: Ember type} in column order."""
        return {f[0]: f[1] for f in self._f.schema()}

    @property
    def num_rows(self):
        return self._f.num_rows

    def __len__(self):
        return self._f.num_rows

    # Getting data out --------------------------------------------------------------------
    def to_numpy(self, column):
        """Column `column` as a NumPy array: numbers as they are (nulls as NaN for floats, an
        error for other types: use to_pandas), vectors as a 2-D float64 array (rows x n),
        dates and timestamps as datetime64, strings as an object array."""
        t = self.schema.get(column)
        values, mask = self._f.column(column)
        arr = _to_array(t, values, mask)
        if mask is not None and arr.dtype.kind in "iub":
            raise EmberError(f"column '{column}' ({t}) has nulls; to_pandas keeps them as <NA>")
        return arr

    def to_pandas(self):
        """A pandas DataFrame: integers with nulls as Int64/Int32, booleans with nulls as
        boolean, strings as object (None for null), timestamps as datetime64[ns, UTC], dates as
        datetime64, vectors as one NumPy array per row, lists and structs as Python objects."""
        import pandas as pd

        data = {}
        for name, t, _nullable, _meta in self._f.schema():
            values, mask = self._f.column(name)
            data[name] = _to_series(pd, name, t, values, mask)
        return pd.DataFrame(data, copy=False)

    def metadata(self, column):
        """Column `column`'s metadata as a dict (SparkML's ML attributes under "ml_attr")."""
        for name, _type, _nullable, meta in self._f.schema():
            if name == column:
                return json.loads(meta) if meta else {}
        raise EmberError(f"no column '{column}'; columns are {', '.join(self.columns)}")

    def head(self, n=5):
        return self._f.head(n)

    def write(self, path):
        """Writes the frame as CSV or JSON Lines by the path's extension (.csv, .jsonl, .gz)."""
        _ember.write_table(self._f, str(path))

    # Display ----------------------------------------------------------------------------
    def __repr__(self):
        rows = self._f.head(10)
        names = self.columns
        widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
        line = lambda cells: "  ".join(c.ljust(w)[:40] for c, w in zip(cells, widths))  # noqa: E731
        out = [line(names)] + [line(r) for r in rows]
        if self.num_rows > len(rows):
            out.append(f"... ({self.num_rows} rows)")
        return "\n".join(out)

    def _repr_html_(self):
        rows = self._f.head(20)
        head = "".join(
            f"<th>{html.escape(n)}<br><small>{html.escape(t)}</small></th>"
            for n, t in self.schema.items())
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        more = "" if self.num_rows <= len(rows) else f"<p>{self.num_rows} rows</p>"
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _to_array(t, values, mask):
    if t in ("float64", "float32"):
        if mask is not None:
            values = values.copy()
            values[mask] = np.nan
        return values
    if t == "date":
        out = values.astype(np.int64).astype("datetime64[D]")
    elif t == "timestamp":
        out = values.view("datetime64[us]")
    elif isinstance(values, list):
        return np.asarray(values, dtype=object)
    else:
        return values
    if mask is not None:
        out = out.copy()
        out[mask] = np.datetime64("NaT")
    return out


def _to_series(pd, name, t, values, mask):
    if t in ("int64", "int32") and mask is not None:
        return pd.arrays.IntegerArray(values.copy(), mask)
    if t == "bool" and mask is not None:
        return pd.arrays.BooleanArray(values.copy(), mask)
    if t == "timestamp":
        return pd.Series(_to_array(t, values, mask)).dt.tz_localize("UTC")
    if t.startswith(("vector[", "sparse_vector[")):
        rows = [None if mask is not None and mask[i] else values[i] for i in range(len(values))]
        return pd.Series(rows, dtype=object)
    if t.startswith(("list<", "struct<")):
        return pd.Series([None if v is None else json.loads(v) for v in values], dtype=object)
    arr = _to_array(t, values, mask)
    if arr.dtype == object:
        return pd.Series(arr, dtype=object)
    return arr


def read_table(path, *, schema=None, delimiter=None, header=None, skip_lines=None,
               names=None, null_values=None, format=None):
    """Reads a CSV or JSON Lines file (or a folder of them) by extension, .gz too.

    schema: {name: type} such as {"age": "int64", "day": "date"} instead of inferring;
    delimiter: one character or "whitespace"; header: False when the file has none;
    names: the columns' names; null_values: the tokens read as null (default: the empty
    field only); format: "csv" or "json" whatever the extension."""
    options = dict(schema=schema, delimiter=delimiter, header=header, skip_lines=skip_lines,
                   names=names, null_values=null_values, format=format)
    return DataFrame(_ember.read_table(str(path), options))


def read_csv(path, **options):
    """read_table for CSV (see read_table for the options)."""
    options.setdefault("format", "csv")
    return read_table(path, **options)


def read_json(path, **options):
    """read_table for JSON Lines (see read_table for the options)."""
    options.setdefault("format", "json")
    return read_table(path, **options)


def nominal_values(df, column):
    """The nominal values a column carries (a label indexer's labels, in index order)."""
    vals = df.metadata(column).get("ml_attr", {}).get("vals")
    if vals is None:
        raise EmberError(f"column '{column}' carries no nominal values")
    return list(vals)
