"""Similarities of a query with candidate trials, field by field, read from the index's
stores, then scored once by :func:`simtrials.search.score.score`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .query import Query
from .relatedness import FOCUS, relatedness
from .score import Parts, Scoring, cosines, score

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["field_similarity", "score_rows", "text_parts"]


def field_similarity(
    store: TrialStore, field: str, query_vector: np.ndarray | None, rows: np.ndarray
) -> np.ndarray:
    """Similarity in ``field`` of a query vector (set fields: item vectors) with the trials
    at ``rows``; NaN where a trial lacks the field or the query has no vector."""
    ids = store.ids[rows]
    if field in store.sets:
        return store.sets[field].best_match(query_vector, ids)
    fv = store.vectors.get(field)
    if fv is None or query_vector is None:
        return np.full(len(rows), np.nan, dtype=np.float32)
    return cosines(np.asarray(query_vector).reshape(-1), fv.get(ids), fv.has(ids))


def score_rows(
    store: TrialStore,
    q: Query,
    rows: np.ndarray,
    scoring: Scoring,
    weights: Mapping[str, float] | None = None,
) -> Parts:
    """The score :class:`~simtrials.search.score.Parts` of the trials at ``rows``: the text
    score, then (``weights`` of :data:`simtrials.search.relatedness.PARTS`, default the
    ``"both"`` focus) its mix with the condition and intervention parts."""
    parts = text_parts(store, q, rows, scoring)
    if weights is None:
        weights = FOCUS["both"]
    cond = _item_similarity(store, "conditions", q.condition_items, rows)
    inter = _item_similarity(store, "interventions", q.intervention_items, rows)
    kind = store.kinds.match(*q.kinds, rows)
    rel = relatedness(parts.score, cond, inter, kind, weights)
    return parts.with_relatedness(rel.condition, rel.intervention, kind, rel.score)


def _item_similarity(
    store: TrialStore, field: str, items: np.ndarray | None, rows: np.ndarray
) -> np.ndarray:
    """Best-match cosine of the query's items with the trials' items of a set field."""
    if items is None or field not in store.sets:
        return np.full(len(rows), np.nan, dtype=np.float32)
    return store.sets[field].best_match(items, store.ids[rows])


def text_parts(store: TrialStore, q: Query, rows: np.ndarray, scoring: Scoring) -> Parts:
    """The text score :class:`~simtrials.search.score.Parts` (fields, lexical, fused)."""
    fields = scoring.fields
    per_field = {f: field_similarity(store, f, q.vectors.get(f), rows) for f in fields}

    def cross(mask: np.ndarray) -> dict[str, np.ndarray] | None:
        if q.whole is None:
            return None
        return {f: field_similarity(store, f, q.whole, rows[mask]) for f in fields}

    return score(per_field, store.lexical.scores(q.lexical, rows), scoring, cross)
