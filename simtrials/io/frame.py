"""Reading a DataFrame already in the normalized schema: checked and coerced to its dtypes.

This is :func:`simtrials.schema.validate`, which ``read_ctgov`` applies to DataFrames and to
parquet tables (simtrials' own saved tables and indexes). Columns that already have the
schema's dtype and only valid values, as in a table simtrials wrote, are checked column by
column with vectorized tests; any other column is checked value by value, and the first bad
value raises a :class:`~simtrials.errors.TrialFormatError` naming its row, NCT ID and column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import TrialFormatError
from ..schema import (
    _ALIGNED,
    _ALIGNED_OR_EMPTY,
    COLUMNS,
    DATE_MAX,
    DATE_MIN,
    NCT_ID_PATTERN,
    Column,
    _coerce,
    _missing_item,
    to_frame,
)

__all__ = ["validate_frame"]


def validate_frame(df: pd.DataFrame, *, source: str = "DataFrame") -> pd.DataFrame:
    """See :func:`simtrials.schema.validate`."""
    if not isinstance(df, pd.DataFrame):
        raise TrialFormatError(
            f"expected a pandas DataFrame, got {type(df).__name__}", source=source
        )
    if "nct_id" not in df.columns:
        raise TrialFormatError(
            "the DataFrame has no 'nct_id' column; expected the normalized schema "
            "(see simtrials.schema.COLUMNS)",
            source=source,
            field="nct_id",
        )
    df = df.reset_index(drop=True)
    ids = df["nct_id"].tolist()
    pat = re.compile(NCT_ID_PATTERN)
    for i, nct in enumerate(ids):
        if not isinstance(nct, str) or not pat.fullmatch(nct.strip()):
            raise TrialFormatError(
                f"invalid NCT ID {nct!r}; expected 'NCT' followed by 8 digits",
                source=source,
                position=i,
                field="nct_id",
            )
    if df.columns.duplicated().any():
        out = _by_value(df, list(COLUMNS), ids, source)
    else:
        fast = {c.name: _fast_column(c, df[c.name]) for c in COLUMNS if c.name in df.columns}
        slow = [c for c in COLUMNS if c.name in fast and fast[c.name] is None]
        checked = _by_value(df, slow, ids, source) if slow else None
        data = {}
        for col in COLUMNS:
            if fast.get(col.name) is not None:
                data[col.name] = fast[col.name]
            elif checked is not None and col.name in fast:
                data[col.name] = checked[col.name]
            elif col.kind == "list":
                data[col.name] = pd.Series([[] for _ in range(len(df))], dtype=object)
            else:
                data[col.name] = pd.Series([pd.NA] * len(df), dtype=object)
        out = _coerce(pd.DataFrame(data, index=pd.RangeIndex(len(df))))
    if "source" not in df.columns:
        out["source"] = pd.array([source] * len(out), dtype="string")
    return out


def _by_value(df: pd.DataFrame, cols: list[Column], ids: list, source: str) -> pd.DataFrame:
    """Check ``cols`` of ``df`` value by value, record by record; a table of all columns."""
    names = [c.name for c in cols]
    records = df[[n for n in dict.fromkeys(names) if n in df.columns]].to_dict("records")
    rows = []
    for i, rec in enumerate(records):
        clean = {}
        for col in cols:
            if col.name not in rec:
                continue
            try:
                clean[col.name] = _check_value(col, rec[col.name])
            except (TypeError, ValueError) as exc:
                raise TrialFormatError(
                    str(exc), source=source, position=i, nct_id=str(ids[i]), field=col.name
                ) from None
        rows.append(clean)
    return to_frame(rows)


def _fast_column(col: Column, s: pd.Series) -> pd.Series | None:
    """``s`` cleaned as :func:`~simtrials.schema.to_frame` would, when it already has the
    schema's dtype and only valid values; ``None`` when it must be checked value by value."""
    s = s.reset_index(drop=True)
    if col.kind == "text":
        if not isinstance(s.dtype, pd.StringDtype):
            return None
        t = s.astype("string").str.strip()
        return t.mask(t.eq("").fillna(False))
    if col.kind == "date":
        if s.dtype.kind != "M" or getattr(s.dtype, "tz", None) is not None:
            return None
        known = s.dropna()
        if not ((known >= DATE_MIN) & (known <= DATE_MAX)).all():
            return None
        return s.astype("datetime64[ns]")
    if col.kind in ("int", "float", "bool"):
        want = {"int": "Int64", "float": "Float64", "bool": "boolean"}[col.kind]
        if str(s.dtype) != want:
            return None
        if col.kind == "float" and not np.isfinite(s.dropna().to_numpy(dtype=float)).all():
            return None
        return s
    if col.kind == "list":
        return _fast_list(col, s)
    return None


def _fast_list(col: Column, s: pd.Series) -> pd.Series | None:
    if s.dtype != object:
        return None
    aligned, or_empty = col.name in _ALIGNED, col.name in _ALIGNED_OR_EMPTY
    out = []
    for v in s.tolist():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if type(v) is not list:
            return None
        items = []
        for x in v:
            if type(x) is not str:
                return None
            x = x.strip()
            if x or aligned:
                items.append(x)
        if or_empty and not any(items):
            items = []
        out.append(items)
    return pd.Series(out, dtype=object)


def _check_value(col: Column, value: object) -> object:
    missing = value is None or value is pd.NA or value is pd.NaT
    if not missing and isinstance(value, float) and np.isnan(value):
        missing = True
    if col.kind == "list":
        if missing:
            return []
        if isinstance(value, str):
            raise TypeError(f"expected a list of strings, got the string {value[:60]!r}")
        if not isinstance(value, (list, tuple, np.ndarray)):
            raise TypeError(f"expected a list of strings, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, str) and not _missing_item(item):
                raise TypeError(
                    f"expected a list of strings, found an item of type {type(item).__name__}"
                )
        return list(value)
    if missing:
        return None
    if col.kind == "text":
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {type(value).__name__}")
        return value
    if col.kind == "date":
        ts = pd.to_datetime(value, errors="coerce")
        if ts is pd.NaT or pd.isna(ts):
            raise ValueError(f"expected a date, got {value!r}")
        if not DATE_MIN <= ts <= DATE_MAX:
            raise ValueError(
                f"date {value!r} is out of range; expected a date between "
                f"{DATE_MIN.date()} and {DATE_MAX.date()}"
            )
        return ts
    if col.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"expected a number, got {type(value).__name__}")
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        if col.kind == "int" and not -(2**63) < value < 2**63:
            raise ValueError(f"expected a whole number below 2**63, got {value!r}")
        return value
    if col.kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"expected True/False, got {type(value).__name__}")
        return bool(value)
    return value
