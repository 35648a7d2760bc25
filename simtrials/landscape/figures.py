"""The landscape's figures, one function per concept, each a tidy DataFrame of known values.

Every function reads the normalized trial table (:mod:`simtrials.schema`) of the related
trials and uses only the trials that have the field; :func:`coverage` says how many those are.
A column the table lacks (an older table, or a source that does not carry it) is not
available: its figure is empty and its coverage 0 of k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import DESCRIBE_COLUMNS, counts, describe, is_missing, list_counts
from .stopped import NOT_GIVEN, STOP_KINDS, STOPPED_STATUSES, stop_kind

__all__ = [
    "phase_label",
    "coverage",
    "status_table",
    "stopped_trials",
    "stop_reasons",
    "enrollment_table",
    "duration_table",
    "start_years",
    "design_table",
    "sites_table",
    "DESIGN_FIELDS",
    "MONTH_DAYS",
]

#: The design fields summarized by :func:`design_table`, in order.
DESIGN_FIELDS = ("allocation", "masking", "intervention_model")

#: Days in a month for durations (a Julian year over 12).
MONTH_DAYS = 365.25 / 12

_PHASE_NAMES = {
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    "NA": "Not applicable",
}
_PHASE_ORDER = ["Early phase 1", "Phase 1", "Phase 1/2", "Phase 2", "Phase 2/3", "Phase 3"]
_PHASE_ORDER += ["Phase 4", "Not applicable"]


def column(trials: pd.DataFrame, name: str) -> pd.Series | None:
    """The column ``name`` of the trials, or ``None`` when the table lacks it."""
    return trials[name] if name in trials.columns else None


def phase_label(phases: object) -> str | None:
    """A readable phase: ``["PHASE1", "PHASE2"]`` -> ``"Phase 1/2"``; ``[]`` -> ``None``.

    >>> phase_label(["PHASE2", "PHASE3"])
    'Phase 2/3'
    >>> phase_label(["NA"])
    'Not applicable'
    """
    if is_missing(phases):
        return None
    codes = [str(p) for p in phases]
    if len(codes) == 2 and all(c.startswith("PHASE") for c in codes):
        return "Phase " + "/".join(c.removeprefix("PHASE") for c in sorted(codes))
    return " + ".join(_PHASE_NAMES.get(c, c) for c in codes)


def phase_order(labels) -> list[str]:
    """Phase labels in clinical order (unknown labels last, in order of appearance)."""
    labels = list(dict.fromkeys(labels))
    rank = {name: i for i, name in enumerate(_PHASE_ORDER)}
    return sorted(labels, key=lambda p: (rank.get(p, len(rank)), labels.index(p)))


def coverage(trials: pd.DataFrame, fields) -> pd.DataFrame:
    """How many of the k trials have each field: ``field, available, n, k, missing``."""
    k = len(trials)
    rows = []
    for name in fields:
        values = column(trials, name)
        n = 0 if values is None else int(sum(not is_missing(v) for v in values))
        rows.append(
            {"field": name, "available": values is not None, "n": n, "k": k, "missing": k - n}
        )
    return pd.DataFrame(rows)


def status_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials per ``overall_status``: ``overall_status, n, share, stopped``."""
    values = column(trials, "overall_status")
    table = counts([] if values is None else values, "overall_status")
    table["stopped"] = table["overall_status"].isin(STOPPED_STATUSES)
    return table


def stopped_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials that stopped early: ``nct_id, overall_status, why_stopped, kind`` (rank order)."""
    status = column(trials, "overall_status")
    cols = ["nct_id", "overall_status", "why_stopped", "kind"]
    if status is None:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in cols})
    stopped = trials[status.isin(STOPPED_STATUSES).fillna(False).to_numpy(bool)]
    why = column(stopped, "why_stopped")
    reasons = [pd.NA] * len(stopped) if why is None else list(why)
    return pd.DataFrame(
        {
            "nct_id": list(stopped["nct_id"]),
            "overall_status": list(stopped["overall_status"]),
            "why_stopped": pd.array(reasons, dtype="string"),
            "kind": [stop_kind(r) for r in reasons],
        }
    )


def stop_reasons(stopped: pd.DataFrame) -> pd.DataFrame:
    """Stopped trials per kind of reason: ``kind, n, share, examples``.

    Every kind of :data:`~simtrials.landscape.stopped.STOP_KINDS` has a row (0 when none), then
    "reason not given"; ``share`` is of the stopped trials that give a reason.
    """
    given = stopped[stopped["kind"] != NOT_GIVEN]
    rows = []
    for kind in (*STOP_KINDS, NOT_GIVEN):
        part = stopped[stopped["kind"] == kind]
        examples = [str(r) for r in part["why_stopped"].dropna().drop_duplicates()[:3]]
        share = len(part) / len(given) if kind != NOT_GIVEN and len(given) else np.nan
        rows.append({"kind": kind, "n": len(part), "share": share, "examples": examples})
    return pd.DataFrame(rows).astype({"n": "int64"})


def _enrollment_rows(enrollment, types, phases) -> list[dict]:
    rows = []
    for phase in ["all", *phase_order(p for p in phases if p is not None)]:
        in_phase = [phase == "all" or p == phase for p in phases]
        for kind in ("ACTUAL", "ESTIMATED", "type not given"):
            chosen = [e for e, t, keep in zip(enrollment, types, in_phase) if keep and t == kind]
            stats = describe(chosen)
            if stats["n"] or (phase == "all" and kind != "type not given"):
                rows.append({"phase": phase, "enrollment_type": kind, **stats})
    return rows


def enrollment_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Enrollment by phase, ACTUAL and ESTIMATED counts apart.

    Columns ``phase`` ("all" first, then each phase), ``enrollment_type`` (ACTUAL, ESTIMATED,
    or "type not given" where the record does not say, or the table has no
    ``enrollment_type``), then ``n, median, q1, q3, min, max`` over the trials with a count.
    """
    values = column(trials, "enrollment")
    enrollment = [None] * len(trials) if values is None else list(values)
    raw_types = column(trials, "enrollment_type")
    types = [
        "type not given" if raw_types is None or is_missing(t) else str(t).upper()
        for t in (raw_types if raw_types is not None else [None] * len(trials))
    ]
    raw_phases = column(trials, "phases")
    phases = [None] * len(trials) if raw_phases is None else [phase_label(p) for p in raw_phases]
    rows = _enrollment_rows(enrollment, types, phases)
    return pd.DataFrame(rows, columns=["phase", "enrollment_type", *DESCRIBE_COLUMNS])


def _months(trials: pd.DataFrame, start: str, end: str) -> tuple[list[float], int]:
    a, b = column(trials, start), column(trials, end)
    if a is None or b is None:
        return [], 0
    days = (pd.to_datetime(b) - pd.to_datetime(a)).dt.days.dropna()
    return list(days[days >= 0] / MONTH_DAYS), int((days < 0).sum())


def duration_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Months from start to primary completion, and from start to (study) completion.

    Columns ``measure, n, median, q1, q3, min, max, negative`` where ``negative`` counts the
    trials whose end date is before their start (left out of the figure, never corrected).
    """
    rows = []
    for measure, end in (
        ("start to primary completion", "primary_completion_date"),
        ("start to completion", "completion_date"),
    ):
        months, negative = _months(trials, "start_date", end)
        rows.append({"measure": measure, **describe(months), "negative": negative})
    return pd.DataFrame(rows)


def start_years(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials per start year, every year from the first to the last: ``year, n``."""
    values = column(trials, "start_date")
    years = pd.Series([] if values is None else pd.to_datetime(values).dt.year.dropna())
    if years.empty:
        return pd.DataFrame({"year": pd.Series([], dtype="int64"), "n": pd.Series([], "int64")})
    span = range(int(years.min()), int(years.max()) + 1)
    n = years.astype(int).value_counts().reindex(span, fill_value=0)
    return pd.DataFrame({"year": list(span), "n": n.to_numpy(dtype="int64")})


def design_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Allocation, masking and intervention model, long: ``field, value, n, share``."""
    parts = []
    for field in DESIGN_FIELDS:
        values = column(trials, field)
        table = counts([] if values is None else values, "value")
        parts.append(table.assign(field=field)[["field", "value", "n", "share"]])
    return pd.concat(parts, ignore_index=True)


def sites_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Sites per trial (``location_count``) and countries per trial, as one row each."""
    rows = []
    values = column(trials, "location_count")
    rows.append({"measure": "sites per trial", **describe([] if values is None else values)})
    lists = column(trials, "countries")
    sizes = [] if lists is None else [len(v) for v in lists if not is_missing(v)]
    rows.append({"measure": "countries per trial", **describe(sizes)})
    return pd.DataFrame(rows)


def country_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials per country (a multinational trial counts in each): ``country, n, share``."""
    lists = column(trials, "countries")
    return list_counts([] if lists is None else lists, "country")


def _months_each(trials: pd.DataFrame, end: str) -> pd.Series:
    """Months from start to ``end`` per trial; NA where a date is missing or the end is early."""
    a, b = column(trials, "start_date"), column(trials, end)
    if a is None or b is None:
        return pd.Series(np.nan, index=trials.index, dtype="float64")
    days = (pd.to_datetime(b) - pd.to_datetime(a)).dt.days.astype("float64")
    return (days / MONTH_DAYS).where(days >= 0)


def per_trial(trials: pd.DataFrame) -> pd.DataFrame:
    """The values each figure reads, one row per trial in rank order (missing stays missing).

    Columns ``nct_id, overall_status, stop_kind, phase, enrollment, enrollment_type,
    start_year, months_to_primary_completion, months_to_completion``.
    """
    k = len(trials)
    status = column(trials, "overall_status")
    why = column(trials, "why_stopped")
    stopped = (
        np.zeros(k, dtype=bool) if status is None else status.isin(STOPPED_STATUSES).to_numpy(bool)
    )
    kinds = [stop_kind(None if why is None else why.iloc[i]) for i in range(k)]
    phases = column(trials, "phases")
    types = column(trials, "enrollment_type")
    start = column(trials, "start_date")
    enrollment = column(trials, "enrollment")
    return pd.DataFrame(
        {
            "nct_id": list(trials["nct_id"]),
            "overall_status": pd.array([pd.NA] * k if status is None else status, "string"),
            "stop_kind": pd.array([kd if s else pd.NA for kd, s in zip(kinds, stopped)], "string"),
            "phase": pd.array([None] * k if phases is None else phases.map(phase_label), "string"),
            "enrollment": pd.array([pd.NA] * k if enrollment is None else enrollment, "Int64"),
            "enrollment_type": pd.array([pd.NA] * k if types is None else types, "string"),
            "start_year": pd.array(
                [pd.NA] * k if start is None else pd.to_datetime(start).dt.year, "Int64"
            ),
            "months_to_primary_completion": _months_each(trials, "primary_completion_date").values,
            "months_to_completion": _months_each(trials, "completion_date").values,
        }
    )
