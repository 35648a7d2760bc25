"""Writing results: JSON, CSV or a text table on stdout, messages on stderr.

Every command's rows go through :func:`emit_frame`; a :class:`~simtrials.search.results.Hits`
table is written with the columns it holds (``HIT_COLUMNS``) and shortened with the library's
one :func:`~simtrials.textfmt.short`.
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from ..textfmt import short

__all__ = ["plain", "records", "write_json", "write_csv", "text_table", "hits_table", "emit_frame"]


def plain(value: Any) -> Any:
    """A cell -> a JSON value: lists stay lists, dates become ISO strings, missing is None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 6)
    return str(value) if not isinstance(value, str) else value


def records(frame: Any) -> list[dict[str, Any]]:
    return [
        {str(col): plain(val) for col, val in zip(frame.columns, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _csv_cell(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, list):
        return "; ".join("" if v is None else str(v) for v in value)
    return value


def write_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def write_csv(frame: Any) -> None:
    import pandas as pd

    out = pd.DataFrame({col: [_csv_cell(v) for v in frame[col]] for col in frame.columns})
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    sys.stdout.write(buffer.getvalue())


def text_table(columns: dict[str, list[str]], right: set[str]) -> str:
    """Fixed-width columns, two spaces apart; the columns in ``right`` right-aligned."""
    widths = {c: max([len(c), *map(len, v)]) for c, v in columns.items()}

    def cell(col: str, text: str) -> str:
        return text.rjust(widths[col]) if col in right else text.ljust(widths[col])

    n = len(next(iter(columns.values()), []))
    lines = ["  ".join(cell(c, c) for c in columns).rstrip()]
    lines += ["  ".join(cell(c, columns[c][i]) for c in columns).rstrip() for i in range(n)]
    return "\n".join(lines)


def hits_table(hits: Any) -> str:
    """A compact text table of hits for the terminal: the score and its parts, why (which
    part matched), phase, status, start, title (every column: ``--format csv|json``)."""
    import pandas as pd

    if len(hits) == 0:
        return "(no trials match)"
    cols: dict[str, list[str]] = {"rank": [str(r) for r in hits["rank"]]}
    cols["nct_id"] = list(hits["nct_id"])
    shown = ("score", "score_condition", "score_intervention", "score_text")
    scores = [c for c in shown if c in hits.columns] or [
        c for c in hits.columns if c == "score" or c.startswith("score_")
    ]
    for col in scores:
        cols[col.removeprefix("score_")] = ["" if pd.isna(v) else f"{v:.3f}" for v in hits[col]]
    if "condition_match" in hits.columns:
        cols["why"] = [
            short(f"{c}; {i}", 60)
            for c, i in zip(hits["condition_match"], hits["intervention_match"], strict=True)
        ]
    cols["phases"] = [short(v, 20) for v in hits["phases"]]
    cols["status"] = [short(v, 23) for v in hits["overall_status"]]
    cols["start"] = [
        "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m") for v in hits["start_date"]
    ]
    cols["title"] = [short(v, 70) for v in hits["title"]]
    right = {"rank", *(c.removeprefix("score_") for c in scores)}
    return text_table(cols, right)


def emit_frame(frame: Any, fmt: str, table: Callable[[], str]) -> None:
    if fmt == "json":
        write_json(records(frame))
    elif fmt == "csv":
        write_csv(frame)
    else:
        sys.stdout.write(table() + "\n")


def info(message: str) -> None:
    sys.stderr.write(message + "\n")
