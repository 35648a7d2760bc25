"""``summarize``: the landscape of a set of related trials, from their normalized records."""

from __future__ import annotations

import pandas as pd

from . import figures as fig
from .outcomes import group_outcomes
from .result import Landscape
from .stats import counts

__all__ = ["summarize", "FIELDS"]

#: The record fields a landscape reads, in the order of its ``coverage`` table.
FIELDS = (
    "overall_status",
    "why_stopped",
    "enrollment",
    "enrollment_type",
    "start_date",
    "primary_completion_date",
    "completion_date",
    "phases",
    "allocation",
    "masking",
    "intervention_model",
    "primary_outcomes",
    "sponsor_class",
    "sponsor",
    "countries",
    "location_count",
    "has_results",
)


def _records(trials: object) -> pd.DataFrame:
    """The trials as a plain DataFrame with an ``nct_id`` column (checked once, here)."""
    if not isinstance(trials, pd.DataFrame):
        raise TypeError(
            f"trials must be a DataFrame of normalized records, got {type(trials).__name__}"
        )
    df = pd.DataFrame(trials)
    if "nct_id" not in df.columns and df.index.name == "nct_id":
        df = df.reset_index()  # e.g. index.trials.set_index("nct_id").loc[hits.nct_id]
    if "nct_id" not in df.columns:
        raise ValueError(
            "trials has no 'nct_id' column; expected normalized records "
            "(simtrials.schema), e.g. index.trials.set_index('nct_id').loc[hits.nct_id]"
        )
    repeated = df["nct_id"][df["nct_id"].duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"trials lists a trial more than once: {', '.join(map(str, repeated))}")
    return df.reset_index(drop=True)


def _values(trials: pd.DataFrame, name: str) -> list:
    values = fig.column(trials, name)
    return [] if values is None else list(values)


def summarize(
    trials: pd.DataFrame,
    *,
    query: str | None = None,
    embedder=None,
    top_outcomes: int = 10,
    outcome_similarity: float = 0.75,
) -> Landscape:
    """The landscape of related trials: status, why they stopped, enrollment, duration …

    Parameters
    ----------
    trials
        The normalized records of the related trials (schema of :mod:`simtrials.schema`),
        best first, e.g. ``index.trials.set_index("nct_id").loc[hits.nct_id]``. Columns it
        lacks are reported as not available (0 of k), never filled in.
    query
        What the trials are related to, for the summary's title (an NCT ID, a title …).
    embedder
        Optional: an object with ``encode(list_of_str) -> unit float32 rows`` (e.g.
        ``index.embedder``) to group near-duplicate outcome measures by cosine similarity;
        without it they are grouped by normalized text only.
    top_outcomes
        How many outcome groups to keep.
    outcome_similarity
        Mean cosine similarity at which outcome groups merge (with an ``embedder``).

    Returns
    -------
    Landscape
        Tidy DataFrames, each computed on the trials that have the field (``coverage``).
    """
    df = _records(trials)
    stopped = fig.stopped_trials(df)
    outcomes, _ = group_outcomes(
        df, embedder=embedder, similarity=outcome_similarity, top=top_outcomes
    )
    phases = [fig.phase_label(p) for p in _values(df, "phases")]
    results = ["yes" if v else "no" for v in _values(df, "has_results") if not pd.isna(v)]
    return Landscape(
        query=None if query is None else str(query),
        k=len(df),
        coverage=fig.coverage(df, FIELDS),
        status=fig.status_table(df),
        stopped=stopped,
        stop_reasons=fig.stop_reasons(stopped),
        enrollment=fig.enrollment_table(df),
        duration=fig.duration_table(df),
        start_years=fig.start_years(df),
        phases=_in_phase_order(counts(phases, "phase")),
        designs=fig.design_table(df),
        outcomes=outcomes,
        sponsor_classes=counts(_values(df, "sponsor_class"), "sponsor_class"),
        sponsors=counts(_values(df, "sponsor"), "sponsor"),
        countries=fig.country_table(df),
        sites=fig.sites_table(df),
        results=counts(results, "has_results"),
        trials=fig.per_trial(df),
    )


def _in_phase_order(table: pd.DataFrame) -> pd.DataFrame:
    order = fig.phase_order(table["phase"])
    return table.set_index("phase").loc[order].reset_index()
