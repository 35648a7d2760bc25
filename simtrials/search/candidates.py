"""Candidate selection: which trials a query scores.

The trials allowed by the ``where=`` filters (or the ``candidates=`` shortlist), less the
query itself. When the index is exact, or few trials are allowed, every allowed trial is a
candidate; otherwise the candidates are the union of each weighted field's ANN neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import DEFAULT_K
from .filters import filter_mask, validate_where
from .query import Query, check_k, shortlist_rows

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["select", "ann_rows"]


def select(
    store: TrialStore,
    q: Query,
    k: int | None,
    where: Mapping[str, Any] | None,
    candidates: Any,
    *,
    exact: bool,
    exact_threshold: int,
    weights: Mapping[str, float],
) -> tuple[np.ndarray, int]:
    """``(candidate rows, how many hits to return)``.

    ``k`` defaults to 10, or to the whole shortlist when ``candidates`` is given.
    """
    where = validate_where(where)
    qrow = store.row.get(q.nct_id) if q.nct_id is not None else None
    if candidates is not None:
        rows = shortlist_rows(candidates, store.row, "index")
        k_eff = len(rows) if k is None else check_k(k)
        if where:
            rows = rows[filter_mask(store.table.iloc[rows], where)]
    else:
        k_eff = check_k(DEFAULT_K if k is None else k)
        n = len(store)
        allowed = filter_mask(store.table, where) if where else None
        n_allowed = n if allowed is None else int(allowed.sum())
        if exact or n_allowed <= max(exact_threshold, 4 * k_eff):
            rows = np.arange(n, dtype=np.int64) if allowed is None else np.flatnonzero(allowed)
        else:
            rows = ann_rows(store, q, allowed, qrow, k_eff, weights)
    if qrow is not None:
        rows = rows[rows != qrow]
    return rows, k_eff


def ann_rows(
    store: TrialStore,
    q: Query,
    allowed: np.ndarray | None,
    qrow: int | None,
    k: int,
    weights: Mapping[str, float],
) -> np.ndarray:
    """The union of each weighted field's ANN neighbours, restricted to ``allowed``; fetches
    more neighbours until at least ``k`` remain (or all trials were fetched)."""
    n = len(store)
    fetch = max(100, 10 * k)
    while True:
        found = []
        for f, fv in store.vectors.items():
            vec = q.vectors.get(f, q.whole)
            if vec is None or weights.get(f, 0) == 0:
                continue
            _, ids = fv.search(np.asarray(vec, dtype=np.float32).reshape(1, -1), fetch)
            found.append(ids[0][ids[0] >= 0])
        ids = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
        rows = store.rows_of_ids(ids)
        if allowed is not None:
            rows = rows[allowed[rows]]
        enough = len(rows) - (qrow is not None and qrow in rows) >= k
        if enough or fetch >= n:
            return rows
        fetch *= 4
