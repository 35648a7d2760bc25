"""Hit assembly: ranked candidates and their score parts -> a :class:`Hits` table, with the
reasons (conditions and interventions shared with the query) beside the scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import arrays, explain, words
from .query import Query
from .results import RECORD_COLUMNS, Hits
from .score import Parts
from .settings import Scoring

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["top", "top_of", "assemble", "explain_row", "REASON_COLUMNS"]

# The record columns the reasons and the display need (taking only these keeps queries fast).
REASON_COLUMNS = (
    "title", "conditions", "condition_mesh", "keywords", "interventions", "intervention_other_names",
    "intervention_mesh", "phases", "overall_status", "study_type", "start_date",
)  # fmt: skip


def top(parts: Parts, nct_ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best candidates: by score, ties by NCT ID."""
    return top_of(parts.score, nct_ids, k)


def top_of(scores: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest ``scores``, ties by ``keys`` (NCT IDs, or their ranks):
    only the scores at or above the k-th are sorted."""
    if k < len(scores):
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = np.flatnonzero(scores >= kth)
    else:
        keep = np.arange(len(scores))
    return keep[np.lexsort((keys[keep], -scores[keep]))][:k]


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
    columns = {c: arrays.column(store, c)[rows] for c in REASON_COLUMNS}
    out: dict[str, object] = {
        "rank": np.arange(1, len(rows) + 1),
        "nct_id": store.nct[rows],
        "title": columns["title"],
        "score": parts.score,
    }
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
    out["shared_conditions"] = _objects(shared_conditions)
    out["shared_interventions"] = _objects(shared_interventions)
    for col in RECORD_COLUMNS:
        out[col] = columns[col]
    hits = Hits(out, index=pd.RangeIndex(len(rows)))
    hits.query = q.label
    return hits


def _objects(values: list) -> np.ndarray:
    """A list of lists as a 1-D object array (one list per hit)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


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
