"""Hit assembly: ranked candidates and their score parts -> a :class:`Hits` table, with the
reasons (conditions and interventions shared with the query) beside the scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import explain, words
from .query import Query
from .results import RECORD_COLUMNS, Hits
from .score import Parts
from .settings import Scoring

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["top", "assemble", "explain_row", "REASON_COLUMNS"]

# The record columns the reasons and the display need (taking only these keeps queries fast).
REASON_COLUMNS = (
    "title", "conditions", "condition_mesh", "keywords", "interventions", "intervention_other_names",
    "intervention_mesh", "phases", "overall_status", "study_type", "start_date",
)  # fmt: skip


def top(parts: Parts, nct_ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best candidates: by score, ties by NCT ID."""
    return np.lexsort((nct_ids, -parts.score))[:k]


def reasons(q: Query, records: list[Mapping]) -> tuple[list[list[str]], list[list[str]]]:
    """The conditions and the interventions each record shares with the query."""
    if not q.record:
        return [[] for _ in records], [[] for _ in records]
    return (
        [explain.shared_conditions(q.record, r) for r in records],
        [explain.shared_interventions(q.record, r) for r in records],
    )


def assemble(store: TrialStore, q: Query, rows: np.ndarray, parts: Parts) -> Hits:
    """The hits table of the candidates at ``rows`` (already in rank order) and their parts."""
    table = store.table
    columns = {c: table[c].iloc[rows].to_numpy() for c in REASON_COLUMNS}
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "nct_id": store.nct[rows],
            "title": columns["title"],
            "score": parts.score,
        }
    )
    records = [{c: columns[c][i] for c in REASON_COLUMNS} for i in range(len(rows))]
    shared_conditions, shared_interventions = reasons(q, records)
    if parts.condition is not None:
        out["condition_match"] = [
            words.condition_words(c, shared)
            for c, shared in zip(parts.condition, shared_conditions, strict=True)
        ]
        out["intervention_match"] = [
            words.intervention_words(q.kinds, store.kinds.labels(r), i, k, shared)
            for r, i, k, shared in zip(
                rows, parts.intervention, parts.kind, shared_interventions, strict=True
            )
        ]
        out["score_condition"] = parts.condition
        out["score_intervention"] = parts.intervention
        out["score_text"] = parts.text
    for f, sims in parts.per_field.items():
        out[f"score_{f}"] = sims
    out["score_lexical"] = parts.lexical
    out["shared_conditions"], out["shared_interventions"] = shared_conditions, shared_interventions
    for col in RECORD_COLUMNS:
        out[col] = columns[col]
    hits = Hits(out)
    hits.query = q.label
    return hits


def explain_row(
    store: TrialStore, q: Query, row: int, scoring: Scoring, weights: Mapping[str, float]
) -> explain.Explanation:
    """The :class:`~simtrials.search.explain.Explanation` of the trial at ``row`` for ``q``."""
    from ..represent import whole_text
    from .similarity import score_rows

    rows = np.array([row])
    hit = assemble(store, q, rows, score_rows(store, q, rows, scoring, weights)).iloc[0]
    lexical = store.lexical
    cand_vector = lexical.query_vector(whole_text(store.table.iloc[row]))
    terms = lexical.shared_terms(q.lexical, cand_vector)
    return explain.explanation(q.label, hit, list(scoring.fields), terms)
