"""``Landscape``: what a set of related trials tells a designer, as tidy DataFrames."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, fields

import pandas as pd

__all__ = ["Landscape", "TABLES"]

#: The DataFrame fields of a :class:`Landscape`, in the order of the summary.
TABLES = (
    "coverage",
    "status",
    "stopped",
    "stop_reasons",
    "enrollment",
    "duration",
    "start_years",
    "phases",
    "designs",
    "outcomes",
    "sponsor_classes",
    "sponsors",
    "countries",
    "sites",
    "results",
    "trials",
)


@dataclass(frozen=True)
class Landscape:
    """The landscape of k related trials (see :func:`simtrials.landscape.summarize`).

    Every table counts only the trials that have the field; ``coverage`` says how many of the
    ``k`` those are (``field, available, n, k, missing``), and the summary writes it as
    "n of k". A field the trial table lacks is "not available (0 of k)".

    Attributes
    ----------
    query
        What the trials are related to (an NCT ID, a draft's title …), or ``None``.
    k
        How many trials the landscape is computed on.
    coverage
        ``field, available, n, k, missing`` for every field used.
    status
        ``overall_status, n, share, stopped`` (share of the trials with a status).
    stopped
        The trials that terminated, withdrew or were suspended: ``nct_id, overall_status,
        why_stopped, kind``.
    stop_reasons
        ``kind, n, share, examples``: stopped trials per kind of reason
        (:func:`~simtrials.landscape.stopped.stop_kind`), share of those giving a reason.
    enrollment
        ``phase, enrollment_type, n, median, q1, q3, min, max``; ACTUAL and ESTIMATED apart.
    duration
        ``measure, n, median, q1, q3, min, max, negative`` in months.
    start_years
        ``year, n`` for every year from the first start to the last.
    phases, sponsor_classes, sponsors, countries, results
        ``<value>, n, share`` (share of the trials with the field).
    designs
        ``field, value, n, share`` for allocation, masking and intervention model.
    outcomes
        ``measure, n, share, variants, examples, nct_ids``: the most common primary outcome
        measures, near-duplicates grouped (:func:`~simtrials.landscape.outcomes.group_outcomes`).
    sites
        ``measure, n, median, q1, q3, min, max`` for sites and countries per trial.
    trials
        The values the figures read, one row per trial in rank order (``nct_id,
        overall_status, stop_kind, phase, enrollment, enrollment_type, start_year,
        months_to_primary_completion, months_to_completion``; missing stays missing).
    """

    query: str | None
    k: int
    coverage: pd.DataFrame
    status: pd.DataFrame
    stopped: pd.DataFrame
    stop_reasons: pd.DataFrame
    enrollment: pd.DataFrame
    duration: pd.DataFrame
    start_years: pd.DataFrame
    phases: pd.DataFrame
    designs: pd.DataFrame
    outcomes: pd.DataFrame
    sponsor_classes: pd.DataFrame
    sponsors: pd.DataFrame
    countries: pd.DataFrame
    sites: pd.DataFrame
    results: pd.DataFrame
    trials: pd.DataFrame

    def n_of(self, field: str) -> int:
        """How many of the ``k`` trials have ``field`` (0 when the table lacks it)."""
        row = self.coverage[self.coverage["field"] == field]
        return int(row["n"].iloc[0]) if len(row) else 0

    def available(self, field: str) -> bool:
        """Whether the trial table had the column ``field`` at all."""
        row = self.coverage[self.coverage["field"] == field]
        return bool(len(row)) and bool(row["available"].iloc[0])

    def summary(self) -> str:
        """The landscape as readable text, each figure with its "n of k"."""
        from .text import render

        return render(self)

    def to_dict(self) -> dict:
        """Every table as a list of records, plus ``query`` and ``k``: JSON-ready values."""
        out: dict = {"query": self.query, "k": self.k}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                out[f.name] = json.loads(value.to_json(orient="records", date_format="iso"))
        return out

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        about = f" related to {self.query}" if self.query else ""
        return f"<Landscape of {self.k} trials{about}; .summary() reads it, .to_dict() for JSON>"

    def _repr_html_(self) -> str:
        return f"<pre style='white-space: pre-wrap'>{html.escape(self.summary())}</pre>"
