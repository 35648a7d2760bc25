"""Similarities of a query with candidate trials, field by field, read from the index's
stores, then scored once by :func:`simtrials.search.score.score`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .query import Query
from .score import Parts, Scoring, cosines, score

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["field_similarity", "score_rows"]


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


def score_rows(store: TrialStore, q: Query, rows: np.ndarray, scoring: Scoring) -> Parts:
    """The score :class:`~simtrials.search.score.Parts` of the trials at ``rows``."""
    fields = scoring.fields
    per_field = {f: field_similarity(store, f, q.vectors.get(f), rows) for f in fields}

    def cross(mask: np.ndarray) -> dict[str, np.ndarray] | None:
        if q.whole is None:
            return None
        return {f: field_similarity(store, f, q.whole, rows[mask]) for f in fields}

    return score(per_field, store.lexical.scores(q.lexical, rows), scoring, cross)
