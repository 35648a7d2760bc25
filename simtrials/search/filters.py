"""``where=`` filters over the trial table: which trials a search may return.

A filter is a dict ``{column: condition}``; all conditions must hold (AND):

- a list ``["PHASE2", "PHASE3"]``: the trial's value, or any element of a list column such
  as ``phases`` or ``conditions``, is one of them (text compared case-insensitively);
  columns of registry codes take the codes in any spelling the registry has used, as the
  readers do (``"Phase 2"`` is ``PHASE2``, ``"Active, not recruiting"`` is
  ``ACTIVE_NOT_RECRUITING``), and a value that is not a phase is an error, not an empty result;
- a scalar ``"INTERVENTIONAL"``: the same with one value;
- a comparison ``(">=", "2015-01-01")`` for dates and numbers, with ``>= > <= < == !=``;
- a range ``("between", "2015-01-01", "2020-12-31")``, both ends included.

A trial whose value is missing never matches.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ..errors import QueryError
from ..io.values import parse_code, parse_phases, parse_status

__all__ = ["filter_mask", "validate_where", "COLUMN_KINDS"]

_OPS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
#: Column -> kind ("text", "list", "date", "int", "float", "bool") of every column a filter may name.
COLUMN_KINDS = {c.name: c.kind for c in schema.COLUMNS if c.name != "source"}


def _phase(value: str) -> str:
    """One phase as its code (``"Phase 2"`` -> ``"PHASE2"``); QueryError for anything else."""
    try:
        codes = parse_phases(value)
    except ValueError as exc:
        raise QueryError(f"filter on 'phases': {exc}") from None
    if len(codes) != 1:
        raise QueryError(
            f"filter on 'phases': give one phase per value, e.g. ['PHASE1', 'PHASE2'], got {value!r}"
        )
    return codes[0]


#: Columns of ClinicalTrials.gov codes: a filter value is read as the readers read the column.
_CODES = {
    "phases": _phase,
    "study_type": parse_code,
    "overall_status": parse_status,
    "allocation": parse_code,
    "intervention_model": parse_code,
    "masking": parse_code,
    "primary_purpose": parse_code,
    "enrollment_type": parse_code,
    "sponsor_class": parse_code,
    "sex": parse_code,
    "std_ages": parse_code,
    "intervention_types": parse_code,
    "arm_group_types": parse_code,
}


def _code(col: str, value: Any) -> Any:
    """A filter value of a code column as its code (``"Phase 2"`` -> ``"PHASE2"``)."""
    return (_CODES[col](value) or value) if isinstance(value, str) else value


def validate_where(where: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check a filter without applying it; returns it as a plain dict, the values of code
    columns written as codes (``{"phases": ["Phase 2"]}`` -> ``{"phases": ["PHASE2"]}``).

    Raises
    ------
    QueryError
        Unknown column, unknown operator, or a value of the wrong type for its column.
    """
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise QueryError(f"where must be a dict of column -> condition, got {type(where).__name__}")
    for col, cond in where.items():
        kind = COLUMN_KINDS.get(col)
        if kind is None:
            raise QueryError(
                f"unknown filter column {col!r}; expected one of: " + ", ".join(COLUMN_KINDS)
            )
        if isinstance(cond, tuple):
            _check_comparison(col, kind, cond)
        elif isinstance(cond, (list, set, frozenset)):
            if not cond:
                raise QueryError(f"filter on {col!r}: the list of allowed values is empty")
            for v in cond:
                _check_scalar(col, kind, v)
        else:
            _check_scalar(col, kind, cond)
    return {col: _codes(col, cond) for col, cond in where.items()}


def _codes(col: str, cond: Any) -> Any:
    """``cond`` with the values of a code column written as codes."""
    if col not in _CODES:
        return cond
    if isinstance(cond, tuple):
        return (cond[0], *(_code(col, v) for v in cond[1:]))
    if isinstance(cond, (list, set, frozenset)):
        return [_code(col, v) for v in cond]
    return _code(col, cond)


def _check_comparison(col: str, kind: str, cond: tuple) -> None:
    if not cond or not isinstance(cond[0], str):
        raise QueryError(
            f"filter on {col!r}: expected (operator, value), e.g. ('>=', '2015-01-01'), got {cond!r}"
        )
    op = cond[0]
    if op == "between":
        if len(cond) != 3:
            raise QueryError(f"filter on {col!r}: 'between' takes two values, got {cond!r}")
        values = cond[1:]
    elif op in _OPS:
        if len(cond) != 2:
            raise QueryError(f"filter on {col!r}: expected (operator, value), got {cond!r}")
        values = cond[1:]
    else:
        raise QueryError(
            f"filter on {col!r}: unknown operator {op!r}; expected one of {', '.join([*_OPS, 'between'])}"
        )
    if kind not in ("date", "int", "float") and op not in ("==", "!="):
        raise QueryError(
            f"filter on {col!r}: operator {op!r} needs a date or number column; {col!r} is {kind}"
        )
    for v in values:
        _check_scalar(col, kind, v)


def _check_scalar(col: str, kind: str, value: Any) -> None:
    if kind in ("text", "list"):
        if not isinstance(value, str):
            raise QueryError(
                f"filter on {col!r}: expected text values, got {type(value).__name__} {value!r}"
            )
    elif kind == "date":
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            ts = pd.NaT
        if pd.isna(ts) or isinstance(value, (bool, int, float)):
            raise QueryError(
                f"filter on {col!r}: expected a date such as '2015-01-01', got {value!r}"
            )
    elif kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise QueryError(
                f"filter on {col!r}: expected a number, got {type(value).__name__} {value!r}"
            )
        if value != value:  # NaN matches nothing: a filter on it is a mistake
            raise QueryError(f"filter on {col!r}: expected a number, got NaN")
    elif kind == "bool" and not isinstance(value, (bool, np.bool_)):
        raise QueryError(f"filter on {col!r}: expected True or False, got {value!r}")


def filter_mask(trials: pd.DataFrame, where: Mapping[str, Any] | None) -> np.ndarray:
    """Boolean mask over ``trials``: the rows that satisfy every condition of ``where``."""
    where = validate_where(where)
    mask = np.ones(len(trials), dtype=bool)
    for col, cond in where.items():
        kind = COLUMN_KINDS[col]
        values = trials[col]
        if isinstance(cond, tuple):
            mask &= _compare(values, kind, cond)
        else:
            allowed = cond if isinstance(cond, (list, set, frozenset)) else [cond]
            mask &= _member(values, kind, allowed)
    return mask


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _member(values: pd.Series, kind: str, allowed: Any) -> np.ndarray:
    if kind == "list":
        wanted = {_norm(v) for v in allowed}
        return np.fromiter(
            (any(_norm(x) in wanted for x in v) for v in values), dtype=bool, count=len(values)
        )
    if kind == "text":
        wanted = {_norm(v) for v in allowed}
        return values.str.strip().str.lower().isin(wanted).fillna(False).to_numpy(dtype=bool)
    if kind == "date":
        wanted = [pd.Timestamp(v) for v in allowed]
        return values.isin(wanted).to_numpy(dtype=bool)
    return values.isin(list(allowed)).fillna(False).to_numpy(dtype=bool)


def _compare(values: pd.Series, kind: str, cond: tuple) -> np.ndarray:
    op, *args = cond
    if kind == "date":
        args = [pd.Timestamp(a) for a in args]
    if kind in ("text", "list"):
        hit = _member(values, kind, [args[0]])
        return hit if op == "==" else ~hit & _present(values, kind)
    present = values.notna().to_numpy(dtype=bool)
    if op == "between":
        lo, hi = args
        result = (values >= lo) & (values <= hi)
    else:
        result = _OPS[op](values, args[0])
    return np.asarray(pd.array(result, dtype="boolean").fillna(False), dtype=bool) & present


def _present(values: pd.Series, kind: str) -> np.ndarray:
    if kind == "list":
        return values.map(bool).to_numpy(dtype=bool)
    return values.notna().to_numpy(dtype=bool)
