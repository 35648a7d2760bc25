"""The ``k`` best trials of every query of a block at once (``similar_many``).

:func:`top_block` takes the steps of :func:`simtrials.search.similarity.score_top` for a
block of queries together, over flat arrays of (query, trial) pairs: each step is a few numpy
calls for the whole block instead of a few per query (at 26k trials a query's steps are
small arrays, where the calls' own cost, not the arithmetic, is what one query pays). The
hits and scores are those of ``score_top`` and ``hits.top_of`` for each query.

Pairs are two aligned arrays: ``qi`` (the position of the query in the block) and ``rows``
(the trial's row), grouped by query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import arrays, relatedness
from .query import Query
from .score import Parts, Scoring
from .similarity import (
    SEEDS_PER_HIT,
    bounded_sets,
    largest_rows,
    lonely_pairs,
    pairs_text,
    query_has,
    weighted_scoring,
)

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["Top", "Floors", "floors", "top_block"]


class Top(NamedTuple):
    """Each query's hits: pairs grouped by query, in rank order within each query, with
    their :class:`Parts`; ``alone``: the queries :func:`top_block` left to ``score_top``."""

    qi: np.ndarray
    rows: np.ndarray
    parts: Parts
    alone: np.ndarray


class Floors(NamedTuple):
    """The first half of :func:`top_block`: ``up``, each query's text bound of every trial
    (B x n, ``-inf`` where a trial may not be its hit), and ``floor``, a score its ``k``-th
    best hit reaches."""

    up: np.ndarray
    floor: np.ndarray


def floors(
    store: TrialStore,
    queries: list[Query],
    qrows: np.ndarray,
    allowed: np.ndarray | None,
    k: int,
    scoring: Scoring,
    weights: Mapping[str, float],
    bound: Parts,
) -> Floors:
    """The :class:`Floors` of a block of indexed trials at ``qrows`` (never their own hit),
    among the ``allowed`` trials (``None``: all; each query must have more than
    ``SEEDS_PER_HIT * k``): the exact text scores of each query's ``SEEDS_PER_HIT * k``
    highest bounds give ``k`` trials whose score is at least ``floor``. ``similar_many``
    makes them with the block's text scores, in a second thread."""
    lo_hi = relatedness.bounds(weights)
    weighted = weighted_scoring(scoring)
    n_q = len(queries)
    up = np.array(bound.score, dtype=np.float32)  # a copy: the excluded trials get -inf
    if allowed is not None:
        up[:, ~allowed] = -np.inf
    up[np.arange(n_q), qrows] = -np.inf
    m = SEEDS_PER_HIT * k
    qi, rows = largest_rows(up, m)
    seeds = pairs_text(store, queries, qi, rows, weighted, bound, _sets(store, queries, weighted))
    seed_lo = lo_hi(seeds.score)[0]
    return Floors(up, np.partition(seed_lo.reshape(n_q, m), m - k, axis=1)[:, m - k])


def _sets(store: TrialStore, queries: list[Query], weighted: Scoring) -> list[str]:
    return sorted({f for q in queries for f in bounded_sets(store, q, weighted)})


def top_block(
    store: TrialStore,
    queries: list[Query],
    k: int,
    scoring: Scoring,
    weights: Mapping[str, float],
    bound: Parts,
    floor: Floors,
) -> Top:
    """The ``k`` best trials of each of ``queries`` from ``bound``, their
    :func:`~simtrials.search.similarity.text_bound` (B x n), and ``floor``, their
    :func:`floors` (which say which trials each query may have as hits). The weights must
    give the text a share (:func:`~simtrials.search.relatedness.bounds` is not ``None``). A
    query whose possible hits share no weighted field with it (scored cross-field) is left
    to ``score_top``: its position is in ``alone``.
    """
    lo_hi = relatedness.bounds(weights)
    weighted = weighted_scoring(scoring)
    n_q = len(queries)
    # the trials whose bound reaches the floor, their exact text scores, the k-th best lo(T)
    least = (lo_hi.least_text(floor.floor) - 2e-6).astype(np.float32)
    qi, rows = np.nonzero(floor.up >= least[:, None])
    text = pairs_text(store, queries, qi, rows, weighted, bound, _sets(store, queries, weighted))
    lo, hi = lo_hi(text.score)
    order = np.lexsort((-lo, qi))
    kth = lo[order][_starts(qi, n_q) + k - 1]
    keep = np.flatnonzero(hi >= kth[qi] - 1e-6)  # float slack: never lose a tie
    qi, rows, text = qi[keep], rows[keep], text.take(keep)
    alone = np.unique(qi[lonely_pairs(store, queries, qi, rows, weighted.fields)])
    if len(alone):
        keep = np.flatnonzero(~np.isin(qi, alone))
        qi, rows, text = qi[keep], rows[keep], text.take(keep)
    parts = _mix(store, queries, qi, rows, scoring, weights, text)
    # rank: score, then NCT ID; the first k of each query
    order = np.lexsort((arrays.nct_rank(store)[rows], -parts.score, qi))
    qi, rows = qi[order], rows[order]
    first = np.flatnonzero(np.arange(len(qi)) - _starts(qi, n_q)[qi] < k)
    return Top(qi[first], rows[first], parts.take(order[first]), alone)


def _starts(qi: np.ndarray, n_q: int) -> np.ndarray:
    """Where each query's pairs begin in ``qi`` (sorted)."""
    return np.searchsorted(qi, np.arange(n_q))


def _field(
    store: TrialStore, field: str, vecs: list[np.ndarray | None], qi: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """The similarity in ``field`` of each pair (``similarity.field_similarity`` for pairs):
    NaN where either lacks the field."""
    out = np.full(len(rows), np.nan, dtype=np.float32)
    qhas = query_has(vecs)[qi]
    if field in store.sets:
        both = qhas & arrays.has_items(store, field, rows)
        if both.any():
            out[both] = arrays.pairs_best_match(store, field, vecs, qi[both], rows[both])
        return out
    if field not in store.vectors:
        return out
    matrix, has = arrays.field_matrix(store, field)
    both = np.flatnonzero(qhas & has[rows])
    if len(both):
        qv = np.stack([np.zeros(matrix.shape[1], np.float32) if v is None else v for v in vecs])
        dots = np.einsum("pd,pd->p", matrix[rows[both]], qv[qi[both]].astype(np.float32))
        out[both] = np.clip(dots, 0.0, 1.0)
    return out


def _mix(
    store: TrialStore,
    queries: list[Query],
    qi: np.ndarray,
    rows: np.ndarray,
    scoring: Scoring,
    weights: Mapping[str, float],
    text: Parts,
) -> Parts:
    """The full Parts of the pairs: the fields shown with weight 0, then the condition and
    intervention parts mixed in (``similarity._mix_parts`` for pairs)."""
    per_field = {
        f: text.per_field[f] if f in text.per_field else _field(store, f, [q.vectors.get(f) for q in queries], qi, rows)
        for f in scoring.fields
    }  # fmt: skip

    def items(field: str, attr: str) -> np.ndarray:
        vecs = [getattr(q, attr) for q in queries]
        if field in per_field and all(v is q.vectors.get(field) for v, q in zip(vecs, queries)):
            return per_field[field]  # a record's set field and its items: the same vectors
        return _field(store, field, vecs, qi, rows)

    cond = items("conditions", "condition_items")
    inter = items("interventions", "intervention_items")
    kind = store.kinds.match_pairs([q.kinds for q in queries], qi, rows)
    rel = relatedness.relatedness(text.score, cond, inter, kind, weights)
    full = Parts(per_field, text.lexical, text.semantic, text.score)
    return full.with_relatedness(rel.condition, rel.intervention, kind, rel.score)
