"""Counting helpers shared by the landscape's figures: known values only, never a guess.

Every helper takes the values of one field over the k related trials and returns a tidy
DataFrame computed on the trials that have a value; how many those are is recorded in the
landscape's ``coverage`` table, so each figure can say "n of k".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["is_missing", "known", "counts", "list_counts", "describe", "DESCRIBE_COLUMNS"]

#: Columns of :func:`describe`: how many values and their quartiles.
DESCRIBE_COLUMNS = ("n", "median", "q1", "q3", "min", "max")


def is_missing(value: object) -> bool:
    """``None``, ``NA``, ``NaN``, ``NaT`` or an empty list / text: a value the record lacks."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value) == 0
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def known(values: Iterable[object]) -> list[object]:
    """The values that are not missing (see :func:`is_missing`), in order."""
    return [v for v in values if not is_missing(v)]


def counts(values: Iterable[object], name: str) -> pd.DataFrame:
    """How many trials take each value, most common first: columns ``name, n, share``.

    Missing values are left out (they are the coverage's ``missing``); ``share`` is of the
    trials with a value. Ties keep the order of first appearance (rank order of the hits).
    """
    vals = [str(v) for v in known(values)]
    return _table(pd.Series(vals, dtype="object"), name, len(vals))


def list_counts(lists: Iterable[object], name: str) -> pd.DataFrame:
    """For a list column: how many trials hold each item (a trial counts once per item).

    ``share`` is of the trials with a non-empty list, so shares may add up to more than 1.
    """
    rows = [list(dict.fromkeys(map(str, v))) for v in lists if not is_missing(v)]
    items = pd.Series([item for row in rows for item in row], dtype="object")
    return _table(items, name, len(rows))


def _table(items: pd.Series, name: str, n_known: int) -> pd.DataFrame:
    if items.empty:
        return pd.DataFrame({name: pd.Series([], dtype="object"), "n": [], "share": []}).astype(
            {"n": "int64", "share": "float64"}
        )
    first = {v: i for i, v in reversed(list(enumerate(items)))}
    table = items.value_counts(sort=False).rename_axis(name).reset_index(name="n")
    table["_first"] = table[name].map(first)
    table = table.sort_values(["n", "_first"], ascending=[False, True], kind="stable")
    table = table.drop(columns="_first").reset_index(drop=True)
    table["n"] = table["n"].astype("int64")
    table["share"] = table["n"] / n_known
    return table


def describe(values: Iterable[object]) -> dict[str, float | int | None]:
    """``n``, ``median``, quartiles ``q1``/``q3`` (linear interpolation, as pandas), ``min``, ``max``.

    Only known numbers are used; with none, ``n`` is 0 and the rest ``None``.
    """
    nums = pd.to_numeric(pd.Series(known(values), dtype="object"), errors="coerce").dropna()
    nums = nums.astype("float64")
    if nums.empty:
        return {"n": 0, **{c: None for c in DESCRIBE_COLUMNS[1:]}}
    return {
        "n": int(len(nums)),
        "median": float(nums.median()),
        "q1": float(nums.quantile(0.25)),
        "q3": float(nums.quantile(0.75)),
        "min": float(nums.min()),
        "max": float(nums.max()),
    }
