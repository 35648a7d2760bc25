"""The conditions and interventions a hit shares with its query, for many pairs at once.

``similar_many`` names, for every (query, hit) pair, the conditions and interventions the
two trials share (the ``shared_conditions`` and ``shared_interventions`` of ``similar()``,
:func:`simtrials.search.explain.shared_conditions`): :class:`Reasons` does it for a block of
pairs with one sparse product, and is kept per index (:func:`reasons_of`).
"""

from __future__ import annotations

import numpy as np

from ..represent import GENERIC_INTERVENTIONS, condition_items, intervention_items
from . import arrays, explain, hits

__all__ = ["Reasons", "reasons_of"]


def reasons_of(store) -> Reasons:
    """The index's :class:`Reasons` (its trials' words are read once, until it changes)."""
    return arrays.cached(store, "reasons", lambda: Reasons(store))


class Reasons:
    """The shared conditions and interventions of hits (``explain.shared_conditions`` and
    ``shared_interventions``), for every (query, hit) pair of a block at once.

    Each trial's items and their words are read once. Each distinct set of words gets an id
    and a sparse row over the words seen; two sets match (``explain._match``) by the count of
    words they share and their sizes, so the matches of every candidate item of a block with
    every item of its query come from one sparse product."""

    def __init__(self, store) -> None:
        self.store = store
        self.cols = {c: arrays.column(store, c) for c in hits.REASON_COLUMNS}
        self._items: dict[int, tuple] = {}
        self._set_id: dict[frozenset, int] = {}
        self._word_id: dict[str, int] = {}
        self._sets: list[list[int]] = []  # word ids of each set of words, by set id
        self._generic: dict[str, bool] = {}

    def _id(self, words: frozenset) -> int:
        out = self._set_id.get(words)
        if out is None:
            out = self._set_id[words] = len(self._sets)
            self._sets.append([self._word_id.setdefault(w, len(self._word_id)) for w in words])
        return out

    def items(self, row: int) -> tuple:
        """A trial's conditions and interventions: ``(names, word-set ids)`` of each, the
        items without words left out (they match nothing)."""
        out = self._items.get(row)
        if out is None:
            rec = {c: v[row] for c, v in self.cols.items()}
            conds = condition_items(rec)
            inters = [*intervention_items(rec), *rec.get("intervention_mesh", [])]
            out = self._items[row] = tuple(self._named(names) for names in (conds, inters))
        return out

    def _named(self, names: list[str]) -> tuple[list[str], list[int]]:
        kept = [(n, t) for n, t in ((n, explain._tokens(n)) for n in names) if t]
        return [n for n, _ in kept], [self._id(t) for _, t in kept]

    def pairs(self, qrows: np.ndarray, rows: np.ndarray) -> list[tuple[list[str], list[str]]]:
        """``(shared conditions, shared interventions)`` of each (query, hit) pair."""
        conds = self._shared(qrows, rows, 0)
        inters = self._shared(qrows, rows, 1)
        return [(c, [x for x in i if not self._is_generic(x)]) for c, i in zip(conds, inters)]

    def _is_generic(self, name: str) -> bool:
        out = self._generic.get(name)
        if out is None:
            out = self._generic[name] = bool(GENERIC_INTERVENTIONS.match(name))
        return out

    def _shared(self, qrows: np.ndarray, rows: np.ndarray, part: int) -> list[list[str]]:
        import scipy.sparse as sp

        queries = list(dict.fromkeys(qrows.tolist()))
        qpos = {q: j for j, q in enumerate(queries)}
        qsets = [self.items(q)[part][1] for q in queries]
        occ_pair, occ_set, occ_name = [], [], []
        for p, r in enumerate(rows.tolist()):
            names, ids = self.items(r)[part]
            occ_pair += [p] * len(ids)
            occ_set += ids
            occ_name += names
        out: list[list[str]] = [[] for _ in range(len(rows))]
        if not occ_set or not any(qsets):
            return out
        cand, occ_u = np.unique(np.asarray(occ_set), return_inverse=True)
        qflat = [i for ids in qsets for i in ids]
        mine = np.unique(np.asarray(qflat))

        def words(ids: np.ndarray) -> sp.csr_matrix:
            lists = [self._sets[i] for i in ids.tolist()]
            indptr = np.cumsum([0] + [len(x) for x in lists])
            cols = np.fromiter((w for x in lists for w in x), np.int64, int(indptr[-1]))
            shape = (len(lists), len(self._word_id))
            return sp.csr_matrix((np.ones(len(cols), np.int32), cols, indptr), shape=shape)

        a, b = words(cand), words(mine)
        common = np.asarray((a @ b.T).todense())
        la, lb = np.diff(a.indptr)[:, None], np.diff(b.indptr)[None, :]
        match = (common == la) | (common == lb)  # one set of words holds the other
        match |= (common >= 2) & (2 * common >= np.minimum(la, lb))
        # per candidate set and query: does it match one of that query's items
        at = np.searchsorted(mine, np.asarray(qflat, dtype=np.int64))
        lens = np.array([len(ids) for ids in qsets])
        firsts = np.cumsum(lens) - lens
        has = lens > 0
        per_query = np.zeros((len(cand), len(queries)), dtype=bool)
        if has.any():
            per_query[:, has] = np.logical_or.reduceat(match[:, at], firsts[has], axis=1)
        pair_query = np.array([qpos[q] for q in qrows.tolist()])
        occ_pair_a = np.asarray(occ_pair)
        hit = per_query[occ_u, pair_query[occ_pair_a]]
        for o in np.flatnonzero(hit).tolist():
            name, lst = occ_name[o], out[occ_pair[o]]
            if name not in lst:
                lst.append(name)
        return out
