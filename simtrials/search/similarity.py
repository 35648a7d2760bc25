"""Similarities of a query with candidate trials, field by field, read from the index's
stores, then scored once by :func:`simtrials.search.score.score`.

When the candidates are a large part of the index (an exact search), every trial is scored at
once over the arrays of :mod:`simtrials.search.arrays` (:func:`score_block`, which also scores
a block of queries for ``similar_many``); a few candidates (an ANN shortlist) are read one by
one from the stores. Both give the same scores.

A query that wants the ``k`` best needs the full score of few trials. The condition and
intervention parts add at most ``top / (w_text + top)`` to a score
(:func:`simtrials.search.relatedness.bounds`), and the fields shown with weight 0 (the
intervention names, the largest item set) add nothing, so :func:`score_top` computes the text
score of every trial from the weighted fields, then the rest only for the trials whose text
score could still reach the ``k``-th best: the same hits and scores as scoring every trial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from . import arrays
from .query import Query
from .relatedness import FOCUS, bounds, relatedness
from .score import Parts, Scoring, cosines, score

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = [
    "field_similarity",
    "score_rows",
    "score_block",
    "score_top",
    "text_parts",
    "text_block",
    "weighted_text",
]


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
    if weights is None:
        weights = FOCUS["both"]
    if arrays.whole(store, rows):
        return score_block(store, [q], scoring, weights).take((0, rows))
    per_field = _per_field(store, q, rows, scoring)
    return _mix_parts(store, q, rows, text_parts(store, q, rows, scoring, per_field), weights)


def _mix_parts(
    store: TrialStore, q: Query, rows: np.ndarray, parts: Parts, weights: Mapping[str, float]
) -> Parts:
    """``parts`` (the text score of the trials at ``rows``) mixed with the condition and
    intervention parts, read one trial at a time from the stores."""

    def items(field: str, vectors: np.ndarray | None) -> np.ndarray:
        # a record's set field and its items are the same vectors: match them once
        if field in parts.per_field and vectors is q.vectors.get(field):
            return parts.per_field[field]
        return field_similarity(store, field, vectors, rows)

    cond = items("conditions", q.condition_items)
    inter = items("interventions", q.intervention_items)
    kind = store.kinds.match(*q.kinds, rows)
    rel = relatedness(parts.score, cond, inter, kind, weights)
    return parts.with_relatedness(rel.condition, rel.intervention, kind, rel.score)


def score_top(
    store: TrialStore,
    q: Query,
    rows: np.ndarray,
    k: int,
    scoring: Scoring,
    weights: Mapping[str, float],
    text: Parts | None = None,
) -> tuple[np.ndarray, Parts]:
    """``(candidate rows, their Parts)``: the trials at ``rows`` that may be among the ``k``
    best for ``q``, with the Parts :func:`score_rows` gives them.

    The text score ``T`` of every trial is computed over the index's arrays from the weighted
    fields only (``text``: those Parts of every trial in row order, 1-D, when the caller has
    them, as ``similar_many`` has for a block). A trial's final score lies in ``[lo(T),
    hi(T)]`` (:func:`simtrials.search.relatedness.bounds`), so a trial whose ``hi(T)`` is below
    the ``k``-th largest ``lo(T)`` among ``rows`` cannot be among the ``k`` best: only the
    others get the fields shown with weight 0 and the condition and intervention parts. Where
    the weights give the text no share, or ``rows`` are a small part of the index, every row
    is scored.
    """
    lo_hi = bounds(weights)
    if lo_hi is None or len(rows) <= k or (text is None and not arrays.whole(store, rows)):
        return rows, score_rows(store, q, rows, scoring, weights)
    if text is None:
        text = weighted_text(store, [q], scoring).take(0)  # row 0: 1-D views, no copy
    allowed = np.zeros(len(store), dtype=bool)
    allowed[rows] = True
    lo, hi = lo_hi(text.score)
    kth = np.partition(lo[rows], len(rows) - k)[len(rows) - k]
    hi[~allowed] = -np.inf
    cand = np.flatnonzero(hi >= kth - 1e-6)  # float slack: never lose a tie
    part = text.take(cand)
    if _lonely(store, q, cand, part.per_field).any():  # their fields are the cross-field ones
        return cand, score_rows(store, q, cand, scoring, weights)
    per_field = {
        f: part.per_field[f] if f in part.per_field else field_similarity(store, f, q.vectors.get(f), cand)
        for f in scoring.fields
    }  # fmt: skip
    full = Parts(per_field, part.lexical, part.semantic, part.score)
    return cand, _mix_parts(store, q, cand, full, weights)


def weighted_text(store: TrialStore, queries: list[Query], scoring: Scoring) -> Parts:
    """The text score Parts of every trial for each of ``queries`` (B x n arrays), from the
    weighted fields only: the fields shown with weight 0 do not change the score, so they are
    left for the few trials that may be hits (:func:`score_top`)."""
    weighted = Scoring(
        {f: w for f, w in scoring.fields.items() if w > 0}, scoring.lexical_weight,
        {f: c for f, c in scoring.caps.items() if scoring.fields.get(f, 0) > 0},
    )  # fmt: skip
    return text_block(store, queries, weighted)


def _lonely(store: TrialStore, q: Query, rows: np.ndarray, fields: Iterable[str]) -> np.ndarray:
    """Which trials at ``rows`` share no weighted field with ``q`` (scored cross-field)."""
    shared = np.zeros(len(rows), dtype=bool)
    for f in fields:
        if q.vectors.get(f) is None:
            continue
        if f in store.sets:
            indptr, _ = arrays.item_layout(store, f)
            shared |= indptr[rows + 1] > indptr[rows]
        else:
            shared |= arrays.field_matrix(store, f)[1][rows]
    return ~shared


def _per_field(store: TrialStore, q: Query, rows: np.ndarray, scoring: Scoring) -> dict:
    return {f: field_similarity(store, f, q.vectors.get(f), rows) for f in scoring.fields}


def text_parts(
    store: TrialStore,
    q: Query,
    rows: np.ndarray,
    scoring: Scoring,
    per_field: dict[str, np.ndarray] | None = None,
) -> Parts:
    """The text score :class:`~simtrials.search.score.Parts` (fields, lexical, fused);
    ``per_field``: the fields' similarities when the caller has them (not changed)."""
    fields = scoring.fields
    if per_field is None:
        per_field = _per_field(store, q, rows, scoring)

    def cross(mask: np.ndarray) -> dict[str, np.ndarray] | None:
        if q.whole is None:
            return None
        return {f: field_similarity(store, f, q.whole, rows[mask]) for f in fields}

    return score(per_field, arrays.lexical_rows(store, q.lexical, rows), scoring, cross)


def score_block(
    store: TrialStore, queries: list[Query], scoring: Scoring, weights: Mapping[str, float]
) -> Parts:
    """The :class:`Parts` of every trial for each of ``queries``: 2-D arrays, one row per
    query, one column per trial (row order); the same numbers as :func:`score_rows`."""
    memo: dict = {}  # a record's set field and its items are the same vectors: match once
    parts = text_block(store, queries, scoring, memo)
    cond = _block_field(store, "conditions", [q.condition_items for q in queries], memo)
    inter = _block_field(store, "interventions", [q.intervention_items for q in queries], memo)
    kind = store.kinds.match_many([q.kinds for q in queries])
    rel = relatedness(parts.score, cond, inter, kind, weights)
    return parts.with_relatedness(rel.condition, rel.intervention, kind, rel.score)


def text_block(
    store: TrialStore, queries: list[Query], scoring: Scoring, memo: dict | None = None
) -> Parts:
    """The text score :class:`Parts` of every trial for each of ``queries`` (2-D arrays, as
    :func:`score_block`, whose first step it is); ``memo`` keeps the set fields' matches."""
    memo = {} if memo is None else memo
    per_field = {
        f: _block_field(store, f, [q.vectors.get(f) for q in queries], memo) for f in scoring.fields
    }
    lexical = arrays.lexical_scores(store, _stack_lexical(store, queries))
    wholes = [q.whole for q in queries]

    def cross(mask: np.ndarray) -> dict[str, np.ndarray]:
        usable = np.array([w is not None for w in wholes])[:, None]
        vecs = [np.zeros(_dim(store), np.float32) if w is None else w for w in wholes]
        out = {}
        for f in scoring.fields:
            sims = (
                arrays.set_best_match(store, f, [v[None, :] for v in vecs])
                if f in store.sets
                else _block_field(store, f, vecs)
            )
            out[f] = np.where(usable, sims, per_field[f])[mask]
        return out

    return score(per_field, lexical, scoring, cross)


def _dim(store: TrialStore) -> int:
    for fv in store.vectors.values():
        return fv.dim
    return next(iter(store.sets.values())).dim


def _block_field(
    store: TrialStore, field: str, vecs: list[np.ndarray | None], memo: dict | None = None
) -> np.ndarray:
    """Similarities (B x n) of each query's vector (a set field: its items) with every trial."""
    n = len(store)
    if field in store.sets:
        key = (field, tuple(id(v) for v in vecs))
        if memo is not None and key in memo:
            return memo[key]
        out = arrays.set_best_match(store, field, vecs)
        if memo is not None:
            memo[key] = out
        return out
    out = np.full((len(vecs), n), np.nan, dtype=np.float32)
    present = [i for i, v in enumerate(vecs) if v is not None]
    if present and field in store.vectors:
        stacked = np.stack([np.asarray(vecs[i], np.float32).reshape(-1) for i in present])
        out[present] = arrays.text_cosines(store, field, stacked)
    return out


def _stack_lexical(store: TrialStore, queries: list[Query]):
    import scipy.sparse as sp

    width = store.lexical.df.shape[0]
    rows = [
        q.lexical if q.lexical is not None else sp.csr_matrix((1, width), dtype=np.float32)
        for q in queries
    ]
    return sp.vstack(rows, format="csr")
