"""Similarities of a query with candidate trials, field by field, read from the index's
stores, then scored once by :func:`simtrials.search.score.score`.

When the candidates are a large part of the index (an exact search), every trial is scored at
once over the arrays of :mod:`simtrials.search.arrays` (:func:`score_block`, which also scores
a block of queries for ``similar_many``); a few candidates (an ANN shortlist) are read one by
one from the stores. Both give the same scores.

A query that wants the ``k`` best needs the full score of few trials. The condition and
intervention parts add at most ``top / (w_text + top)`` to a score
(:func:`simtrials.search.relatedness.bounds`), and the fields shown with weight 0 (the
intervention names, the largest item set) add nothing. So :func:`score_top` computes, for
every trial, an upper bound of the text score from the weighted fields, with each set field
(the conditions) at its cap where both trials have items (:func:`text_bound`: one product
over the whole-text vectors and the TF-IDF columns of the query's terms, no product over
every condition item); the exact text score of the few trials whose bound could still reach
the ``k``-th best; then the rest only for the trials whose exact text score could: the same
hits and scores as scoring every trial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from . import arrays, relatedness
from .query import Query
from .relatedness import FOCUS
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
    "text_bound",
    "bounded_sets",
    "weighted_scoring",
    "SEEDS_PER_HIT",
    "lonely_pairs",
    "largest_rows",
    "query_has",
    "pairs_text",
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
    rel = relatedness.relatedness(parts.score, cond, inter, kind, weights)
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

    A trial's final score lies in ``[lo(T), hi(T)]`` of its text score ``T``
    (:func:`simtrials.search.relatedness.bounds`). ``text`` (:func:`text_bound` of ``q``, 1-D
    Parts of every trial in row order, when the caller has it, as ``similar_many`` has for a
    block) bounds ``T`` from above; the exact ``T`` of the trials with the highest bounds
    gives a floor that the ``k``-th best score reaches, and only trials whose bound reaches
    that floor get their exact ``T`` (:func:`_exact_text`). Of those, a trial whose ``hi(T)``
    is below the ``k``-th largest ``lo(T)`` cannot be among the ``k`` best: only the others get
    the fields shown with weight 0 and the condition and intervention parts. Where the weights
    give the text no share, or ``rows`` are a small part of the index, every row is scored.
    """
    lo_hi = relatedness.bounds(weights)
    if lo_hi is None or len(rows) <= k or (text is None and not arrays.whole(store, rows)):
        return rows, score_rows(store, q, rows, scoring, weights)
    if text is None:
        text = text_bound(store, [q], scoring).take(0)  # row 0: 1-D views, no copy
    rows, part = _exact_text(store, q, rows, k, weighted_scoring(scoring), lo_hi, text)
    lo, hi = lo_hi(part.score)
    kth = np.partition(lo, len(lo) - k)[len(lo) - k]
    keep = np.flatnonzero(hi >= kth - 1e-6)  # float slack: never lose a tie
    cand, part = rows[keep], part.take(keep)
    alone = lonely_pairs(store, [q], np.zeros(len(cand), np.int64), cand, part.per_field)
    if alone.any():  # their fields are the cross-field ones
        return cand, score_rows(store, q, cand, scoring, weights)
    per_field = {
        f: part.per_field[f] if f in part.per_field else field_similarity(store, f, q.vectors.get(f), cand)
        for f in scoring.fields
    }  # fmt: skip
    full = Parts(per_field, part.lexical, part.semantic, part.score)
    return cand, _mix_parts(store, q, cand, full, weights)


#: Trials whose exact text score is computed first, per hit asked for, to set the floor the
#: bounds of :func:`_exact_text` are compared with.
SEEDS_PER_HIT = 4


def _exact_text(
    store: TrialStore,
    q: Query,
    rows: np.ndarray,
    k: int,
    weighted: Scoring,
    lo_hi: relatedness.Bounds,
    bound: Parts,
) -> tuple[np.ndarray, Parts]:
    """The trials at ``rows`` whose text bound (``bound``, :func:`text_bound`) may still reach
    the ``k``-th best score, and their exact text Parts.

    The exact text scores of the ``SEEDS_PER_HIT * k`` trials with the highest bounds give
    ``k`` trials whose final score is at least ``floor`` (the ``k``-th largest of their
    ``lo(T)``), so the ``k``-th best score is too, and a trial whose ``hi`` of its bound is
    below ``floor`` cannot be a hit.
    """
    sets = bounded_sets(store, q, weighted)
    if not sets:  # the bound is the text score itself
        return rows, bound.take(rows)
    up = bound.score[rows]
    m = min(len(rows), SEEDS_PER_HIT * k)
    block = bound.take((None, slice(None)))  # 1 x n views: the block of one query

    def text(at: np.ndarray) -> Parts:
        return pairs_text(store, [q], np.zeros(len(at), np.int64), at, weighted, block, sets)

    seed_lo = lo_hi(text(rows[_largest(up, m)]).score)[0]
    floor = np.partition(seed_lo, m - k)[m - k]
    keep = rows[up >= lo_hi.least_text(floor) - 2e-6]  # float slack: never lose a tie
    return keep, text(keep)


def _largest(values: np.ndarray, m: int) -> np.ndarray:
    """Positions of the ``m`` largest ``values`` (1-D): :func:`largest_rows` of one row."""
    return largest_rows(values[None, :], m)[1]


def largest_rows(values: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(qi, rows)`` of the ``m`` largest values of each row of ``values`` (B x n),
    ``m`` per row, grouped by row (ties at the edge either way).

    The ``m``-th largest of every 16th value of a row is at most the ``m``-th largest of the
    row, so the values at or above it hold the ``m`` largest: one comparison over all values
    and a sort of a few, where a selection over all (``np.argpartition``) costs about 8 ns a
    value (0.2 ms at 26k trials)."""
    n_q, n = values.shape
    sample = values[:, ::16]
    s = sample.shape[1]
    if m >= s:
        cols = np.argpartition(values, n - m, axis=1)[:, n - m :]
        return np.repeat(np.arange(n_q), m), cols.ravel()
    tau = np.partition(sample, s - m, axis=1)[:, s - m]
    qi, rows = np.nonzero(values >= tau[:, None])
    order = np.lexsort((-values[qi, rows], qi))
    qi, rows = qi[order], rows[order]
    first = np.arange(len(qi)) - np.searchsorted(qi, np.arange(n_q))[qi] < m
    return qi[first], rows[first]


def bounded_sets(store: TrialStore, q: Query, weighted: Scoring) -> list[str]:
    """The weighted set fields in which :func:`text_bound` puts the cap, not the match."""
    return [f for f in weighted.fields if f in store.sets and q.vectors.get(f) is not None]


def pairs_text(
    store: TrialStore,
    queries: list[Query],
    qi: np.ndarray,
    rows: np.ndarray,
    weighted: Scoring,
    bound: Parts,
    sets: list[str],
) -> Parts:
    """The exact text Parts of the pairs (query ``queries[qi[p]]``, trial at ``rows[p]``):
    ``bound``'s (:func:`text_bound`, B x n), with the best match of the query's items in each
    of ``sets`` where both have items (the trials without items, and the cross-field ones,
    are exact in ``bound`` already)."""
    per_field = {f: s[qi, rows] for f, s in bound.per_field.items()}  # copies: filled in below
    for f in sets:
        vecs = [q.vectors.get(f) for q in queries]
        both = arrays.has_items(store, f, rows) & query_has(vecs)[qi]
        if both.any():
            per_field[f][both] = arrays.pairs_best_match(store, f, vecs, qi[both], rows[both])
    return score(per_field, bound.lexical[qi, rows], weighted)


def weighted_scoring(scoring: Scoring) -> Scoring:
    """``scoring`` without the fields shown with weight 0."""
    return Scoring(
        {f: w for f, w in scoring.fields.items() if w > 0}, scoring.lexical_weight,
        {f: c for f, c in scoring.caps.items() if scoring.fields.get(f, 0) > 0},
    )  # fmt: skip


def text_bound(store: TrialStore, queries: list[Query], scoring: Scoring) -> Parts:
    """For each of ``queries``, an upper bound of every trial's text score (B x n Parts),
    from the weighted fields only, with each set field at its cap (1 if it has none) where
    both trials have items: the score grows with each field's similarity, so the bound is at
    least the text score, and it is the text score itself where the query has no items in a
    weighted set field. The fields shown with weight 0 do not change the score; they and the
    set fields' matches are left for the few trials that may be hits (:func:`score_top`)."""
    return text_block(store, queries, weighted_scoring(scoring), capped=True)


def lonely_pairs(
    store: TrialStore, queries: list[Query], qi: np.ndarray, rows: np.ndarray, fields: Iterable[str]
) -> np.ndarray:
    """Which (query ``queries[qi[p]]``, trial at ``rows[p]``) pairs share none of ``fields``
    (they are scored cross-field)."""
    shared = np.zeros(len(rows), dtype=bool)
    for f in fields:
        qhas = query_has([q.vectors.get(f) for q in queries])[qi]
        if f in store.sets:
            shared |= qhas & arrays.has_items(store, f, rows)
        else:
            shared |= qhas & arrays.field_matrix(store, f)[1][rows]
    return ~shared


def query_has(vecs: list[np.ndarray | None]) -> np.ndarray:
    """Which of the queries' vectors of a field (a set field: items) are there."""
    return np.array([v is not None and len(np.atleast_2d(v)) > 0 for v in vecs], dtype=bool)


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
    rel = relatedness.relatedness(parts.score, cond, inter, kind, weights)
    return parts.with_relatedness(rel.condition, rel.intervention, kind, rel.score)


def text_block(
    store: TrialStore,
    queries: list[Query],
    scoring: Scoring,
    memo: dict | None = None,
    *,
    capped: bool = False,
) -> Parts:
    """The text score :class:`Parts` of every trial for each of ``queries`` (2-D arrays, as
    :func:`score_block`, whose first step it is); ``memo`` keeps the set fields' matches.
    ``capped``: each set field at its cap where both trials have items, not their best match
    (:func:`text_bound`)."""
    memo = {} if memo is None else memo

    def field(f: str) -> np.ndarray:
        vecs = [q.vectors.get(f) for q in queries]
        if capped and f in store.sets:
            return _capped_set(store, f, vecs, scoring.caps.get(f, 1.0))
        return _block_field(store, f, vecs, memo)

    per_field = {f: field(f) for f in scoring.fields}
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


def _capped_set(
    store: TrialStore, field: str, vecs: list[np.ndarray | None], cap: float
) -> np.ndarray:
    """B x n: ``cap`` where the query has items in the set ``field`` and the trial has too,
    else NaN (where :func:`arrays.set_best_match` is NaN)."""

    def make() -> np.ndarray:
        indptr, _ = arrays.item_layout(store, field)
        return np.where(np.diff(indptr) > 0, np.float32(cap), np.float32(np.nan))

    row = arrays.cached(store, ("capped", field, cap), make)
    out = np.full((len(vecs), len(row)), np.nan, dtype=np.float32)
    out[query_has(vecs)] = row
    return out


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
