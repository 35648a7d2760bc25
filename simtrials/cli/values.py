"""Reading option values: ``--fields``, ``--where``, whole numbers, fractions, queries."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROG = "simtrials"
_WHERE = re.compile(r"^\s*([A-Za-z_]+)\s*(>=|<=|!=|==|=|>|<)\s*(.*?)\s*$")


class UsageError(Exception):
    """A bad option or argument found after parsing (exit status 2)."""


class CommandError(Exception):
    """A command that cannot run as asked (exit status 1, message printed as it is)."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value}")
    return value


def parse_fields(text: str) -> dict[str, float]:
    """``"all=1,conditions=0.5"`` -> ``{"all": 1.0, "conditions": 0.5}``; ``"title,conditions"``
    gives each named field weight 1. The weights are checked by the library's one validator
    (:func:`simtrials.search.settings.check_fields`).

    Raises
    ------
    UsageError
        An unknown field, a weight that is not a finite number >= 0, or no field at all.
    """
    from ..search.settings import check_fields

    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, weight = part.partition("=")
        name = name.strip()
        try:
            out[name] = float(weight) if sep else 1.0
        except ValueError:
            raise UsageError(
                f"--fields: the weight of {name!r} must be a number, got {weight!r}"
            ) from None
    if not out:
        raise UsageError("--fields: name at least one field, e.g. --fields all=1,conditions=1")
    try:
        return check_fields(out)
    except ValueError as exc:
        raise UsageError(f"--fields: {exc}") from None


def _where_value(column: str, kind: str, text: str) -> Any:
    if kind in ("int", "float"):
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"--where {column}: expected a number, got {text!r}") from None
        return int(number) if kind == "int" and number.is_integer() else number
    if kind == "bool":
        low = text.lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise UsageError(f"--where {column}: expected true or false, got {text!r}")
    return text


def parse_where(items: Sequence[str] | None) -> dict[str, Any]:
    """``--where`` options -> the ``where=`` dict of :meth:`TrialIndex.similar`.

    - ``phases=PHASE2,PHASE3``: the value (or any element of a list column) is one of these;
    - ``start_date>=2015-01-01`` (also ``> <= < == !=``): a comparison;
    - ``start_date=2015-01-01..2020-12-31``: a range, both ends included;
    - the same column twice as ``>=`` and ``<=`` is a range too.

    Raises
    ------
    UsageError
        Bad syntax, an unknown column, or a value of the wrong type.
    """
    from ..errors import QueryError
    from ..search.filters import COLUMN_KINDS, validate_where

    kinds = COLUMN_KINDS
    where: dict[str, Any] = {}
    for item in items or []:
        m = _WHERE.match(item)
        if not m or not m.group(3):
            raise UsageError(
                f"--where {item!r}: expected COLUMN=VALUE[,VALUE...], COLUMN>=VALUE or "
                "COLUMN=LOW..HIGH, e.g. --where phases=PHASE2,PHASE3 --where 'start_date>=2015-01-01'"
            )
        column, op, text = m.groups()
        if column not in kinds:
            raise UsageError(
                f"--where {item!r}: unknown column {column!r}; expected one of {', '.join(kinds)}"
            )
        kind = kinds[column]
        if op == "=" and ".." in text and kind in ("date", "int", "float"):
            low, _, high = text.partition("..")
            cond: Any = (
                "between",
                _where_value(column, kind, low.strip()),
                _where_value(column, kind, high.strip()),
            )
        elif op == "=":
            values = [v.strip() for v in text.split(",") if v.strip()]
            cond = [_where_value(column, kind, v) for v in values]
            if kind == "bool":
                cond = cond[0] if len(cond) == 1 else cond
        else:
            cond = (op, _where_value(column, kind, text))
        if column in where:
            cond = _combine(column, where[column], cond)
        where[column] = cond
    try:
        return validate_where(where)
    except QueryError as exc:
        raise UsageError(f"--where: {exc}") from None


def _combine(column: str, old: Any, new: Any) -> Any:
    ops = {}
    for cond in (old, new):
        if isinstance(cond, tuple) and cond[0] in (">=", "<="):
            ops[cond[0]] = cond[1]
    if set(ops) == {">=", "<="}:
        return ("between", ops[">="], ops["<="])
    raise UsageError(
        f"--where: {column!r} is given twice; give each column once (a range is "
        f"{column}>=LOW with {column}<=HIGH, or {column}=LOW..HIGH)"
    )


def query_arg(text: str, *, allow_text: bool) -> Any:
    """An NCT ID, a JSON file holding one study or record, or (if allowed) a free text."""
    from ..search.query import is_nct_id

    stripped = text.strip()
    if is_nct_id(stripped.upper()):
        return stripped.upper()
    path = Path(stripped).expanduser()
    if path.is_file():
        return read_query_file(path)
    if allow_text:
        return text
    if stripped.lower().endswith(".json"):
        raise FileNotFoundError(f"query file {text!r} does not exist")
    raise UsageError(
        f"{text!r} is neither an NCT ID nor a JSON file of a study; "
        "for free text use `simtrials search`"
    )


def read_query_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the query file {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        data = data["studies"]
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(
                f"the query file {path} holds {len(data)} studies; a query is one study "
                "(an API v2 study, or a record with title, conditions, interventions …)"
            )
        data = data[0]
    if not isinstance(data, dict):
        raise ValueError(
            f"the query file {path} holds a JSON {type(data).__name__}; expected one study object"
        )
    return data


def load_index(index_dir: str, *, verify: bool = True) -> Any:
    """The saved index in ``index_dir``; a clear FileNotFoundError when there is none."""
    from .. import persist
    from ..trial_index import TrialIndex

    folder = Path(index_dir).expanduser()
    if not persist.is_index_dir(folder):
        hint = "" if folder.exists() else " (no such directory)"
        raise FileNotFoundError(
            f"{index_dir}: not a saved simtrials index{hint}; "
            f"build one with `simtrials build DATA --out {index_dir}`"
        )
    return TrialIndex.load(folder, verify=verify)


# ---------------------------------------------------------------------- shared options


def format_option(
    p: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "csv", "json")
) -> None:
    p.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"output format on stdout (default {choices[0]}); json lists are arrays, dates ISO",
    )


def index_dir_argument(p: argparse.ArgumentParser, help: str = "a saved index") -> None:
    p.add_argument("index_dir", metavar="DIR", help=help)


def query_options(p: argparse.ArgumentParser) -> None:
    from ..defaults import DEFAULT_K

    p.add_argument(
        "-k", type=positive_int, default=DEFAULT_K, help=f"how many trials (default {DEFAULT_K})"
    )
    where_option(p)
    focus_option(p)
    format_option(p)


def where_option(p: argparse.ArgumentParser) -> None:
    """``--where FILTER`` (repeatable), read by :func:`parse_where`."""
    p.add_argument(
        "--where",
        action="append",
        metavar="FILTER",
        help="filter, repeatable: phases=PHASE2,PHASE3 | overall_status=RECRUITING | "
        "'start_date>=2015-01-01' | start_date=2015-01-01..2020-12-31",
    )


def focus_option(p: argparse.ArgumentParser) -> None:
    """``--focus both|condition|intervention`` (see ``TrialIndex.similar``)."""
    from ..search.relatedness import FOCUS

    p.add_argument(
        "--focus",
        choices=tuple(FOCUS),
        default=None,
        help="what must match: both (default: the same condition AND the same kind of "
        "intervention first), condition, or intervention",
    )
