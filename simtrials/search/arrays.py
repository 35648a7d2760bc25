"""Per-index arrays for fast queries, made lazily from the stores and kept until the index
changes (``TrialStore.add``/``remove_rows`` clear ``store.derived``).

Every function here gives the same numbers as reading the stores directly (the field cosines,
the best match of item sets, the TF-IDF cosine, the class match), only over every trial at
once, by matrix products, for one query (1-D results) or a block of queries (2-D results, one
row per query: what ``similar_many`` scores with).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = [
    "cached",
    "column",
    "record",
    "nct_rank",
    "field_matrix",
    "item_layout",
    "item_matrix",
    "item_rows",
    "has_items",
    "row_items",
    "row_vector",
    "lexical_row",
    "text_cosines",
    "set_best_match",
    "pairs_best_match",
    "lexical_matrix",
    "lexical_rows",
    "lexical_scores",
    "WHOLE",
]

#: Above this share of the index, a query scores every trial and keeps the candidates' scores
#: (one product over the cached arrays); below, it reads the candidates' vectors only.
WHOLE = 0.25


def cached(store: TrialStore, key: Any, make) -> Any:
    """``store.derived[key]``, made by ``make()`` on first use."""
    out = store.derived.get(key)
    if out is None:
        out = store.derived[key] = make()
    return out


def column(store: TrialStore, name: str) -> np.ndarray:
    """A column of the trial table as a numpy array (row order)."""
    return cached(store, ("column", name), lambda: store.table[name].to_numpy())


def record(store: TrialStore, row: int) -> dict:
    """The trial at ``row`` as a record dict: what ``store.table.iloc[row].to_dict()`` gives
    (native values; a missing value is None, a missing date NaT), read column by column from
    arrays that share the table's memory or take 8 bytes a trial (0.02 ms against 0.17 at
    26k trials; no column's values are copied as Python objects, which for the long texts of
    500k trials would take gigabytes)."""
    readers = cached(store, "record", lambda: _readers(store))
    return {name: get(values, row) for name, values, get in readers}


def _readers(store: TrialStore) -> list[tuple[str, Any, Any]]:
    """``(column, values, get)`` for :func:`record`: ``get(values, row)`` is the value."""
    import pandas as pd

    out = []
    for name in store.table.columns:
        s = store.table[name]
        if s.dtype.kind == "M":  # datetime64: a Timestamp or NaT
            out.append((name, s.to_numpy(), _date))
        elif s.dtype.kind in "iuf":
            get = _int if s.dtype.kind in "iu" else _float
            out.append((name, s.to_numpy(dtype=np.float64, na_value=np.nan), get))
        elif isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
            out.append((name, s.array.__arrow_array__(), _arrow))  # read in place
        else:  # booleans, lists, other strings: the stored objects, None where missing
            out.append((name, s.to_numpy(dtype=object, na_value=None), _item))
    return out


def _date(values: np.ndarray, row: int) -> Any:
    import pandas as pd

    return pd.Timestamp(values[row])


def _int(values: np.ndarray, row: int) -> int | None:
    v = values[row]
    return None if v != v else int(v)


def _float(values: np.ndarray, row: int) -> float | None:
    v = values[row]
    return None if v != v else float(v)


def _arrow(values: Any, row: int) -> Any:
    return values[row].as_py()


def _item(values: np.ndarray, row: int) -> Any:
    return values[row]


def nct_rank(store: TrialStore) -> np.ndarray:
    """Each row's NCT ID's position in sorted order (ties of scores break by NCT ID)."""

    def make() -> np.ndarray:
        rank = np.empty(len(store.nct), dtype=np.int64)
        rank[np.argsort(store.nct.astype(str), kind="stable")] = np.arange(len(store.nct))
        return rank

    return cached(store, "nct_rank", make)


def whole(store: TrialStore, rows: np.ndarray) -> bool:
    """Whether ``rows`` are enough of the index to score every trial."""
    return len(rows) >= WHOLE * max(len(store), 1)


# ---------------------------------------------------------------------- text fields


def _transposed(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` (n x d) laid out as a C-contiguous d x n array, returned as its (n x d)
    view: ``queries @ view.T`` then reads the array in order, about twice as fast on a CPU
    as the product with a row-major (n x d) array (the product is memory-bound)."""
    return np.ascontiguousarray(vectors.T).T


def field_matrix(store: TrialStore, field: str) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors, has)`` of a text field in row order (zeros where a trial lacks it)."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        fv = store.vectors[field]
        return _transposed(fv.get(store.ids)), fv.has(store.ids)

    return cached(store, ("field", field), make)


def text_cosines(store: TrialStore, field: str, queries: np.ndarray) -> np.ndarray:
    """``max(0, cos)`` (clipped to [0, 1]) of query vectors (B x d) with every trial's field
    vector: B x n, NaN where a trial lacks the field."""
    vecs, has = field_matrix(store, field)
    out = np.atleast_2d(queries).astype(np.float32) @ vecs.T
    np.clip(out, 0.0, 1.0, out=out)
    lacking = cached(store, ("lacking", field), lambda: np.flatnonzero(~has))
    if len(lacking):
        out[:, lacking] = np.nan
    return out


# ---------------------------------------------------------------------- set fields


def item_layout(store: TrialStore, field: str) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr, items)`` of a set field in row order: row ``r``'s item ids are
    ``items[indptr[r]:indptr[r + 1]]`` (in the order the set stores them)."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        members = store.sets[field].members
        lists = [members.get(int(t)) for t in store.ids.tolist()]
        lengths = np.array([0 if m is None else len(m) for m in lists], dtype=np.int64)
        chosen = [m for m in lists if m is not None]
        flat = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
        return np.concatenate([[0], np.cumsum(lengths)]), flat

    return cached(store, ("layout", field), make)


def item_matrix(store: TrialStore, field: str) -> np.ndarray:
    """Every item vector of a set field, by item id."""
    sets = store.sets[field]
    return cached(
        store,
        ("items", field),
        lambda: _transposed(sets.vectors.get(np.arange(len(sets.items), dtype=np.int64))),
    )


def has_items(store: TrialStore, field: str, rows: np.ndarray) -> np.ndarray:
    """Which trials at ``rows`` have items in the set ``field``."""
    indptr, _ = item_layout(store, field)
    return indptr[rows + 1] > indptr[rows]


def row_items(store: TrialStore, field: str, row: int) -> np.ndarray | None:
    """The item vectors of the trial at ``row`` (None when it has none)."""
    indptr, flat = item_layout(store, field)
    ids = flat[indptr[row] : indptr[row + 1]]
    return item_matrix(store, field)[ids] if len(ids) else None


def row_vector(store: TrialStore, field: str, row: int) -> np.ndarray | None:
    """The stored vector of the trial at ``row`` in ``field`` (a set field: its item vectors;
    None when it has none): from this module's arrays where a query over every trial has made
    them, else read from the stores (one trial of an approximate index of 500k trials, whose
    arrays would take gigabytes)."""
    if field in store.sets:
        if ("items", field) in store.derived:
            return row_items(store, field, row)
        sets = store.sets[field]
        ids = sets.item_ids(store.ids[row])
        return None if ids is None or not len(ids) else sets.vectors.get(ids)
    if ("field", field) in store.derived:
        vecs, has = field_matrix(store, field)
        return vecs[row] if has[row] else None
    fv, tid = store.vectors[field], store.ids[row : row + 1]
    return fv.get(tid)[0] if fv.has(tid)[0] else None


def lexical_row(store: TrialStore, row: int) -> sp.csr_matrix:
    """The TF-IDF vector of the trial at ``row``: :func:`lexical_matrix`'s row, read from it
    where it is made, else weighed alone."""
    weighted = store.derived.get(_LEXICAL)
    return store.lexical.row_vector(row) if weighted is None else weighted[row]


def set_best_match(
    store: TrialStore, field: str, queries: Sequence[np.ndarray | None]
) -> np.ndarray:
    """For each query (its item vectors, m x d, or None) and every trial, the highest cosine
    between a query item and a trial item: B x n, NaN where either has no items."""
    indptr, flat = item_layout(store, field)
    n = len(indptr) - 1
    out = np.full((len(queries), n), np.nan, dtype=np.float32)
    present = [i for i, q in enumerate(queries) if q is not None and len(q)]
    if not present or len(flat) == 0:
        return out
    stacked = np.concatenate([np.atleast_2d(queries[i]) for i in present]).astype(np.float32)
    items_t = item_matrix(store, field).T  # d x items, C order
    has_rows, passes = item_passes(store, field)
    if len(present) == 1:  # its best cosine with each item, then a segmented max per trial
        few = len(stacked) <= FEW_ROWS
        per_item = _best_of_few(stacked, items_t) if few else (stacked @ items_t).max(axis=0)
        out[present[0], has_rows] = np.maximum.reduceat(per_item[flat], indptr[has_rows])
        return out
    sims = stacked @ items_t  # (all query items) x items
    starts = np.cumsum([0] + [len(np.atleast_2d(queries[i])) for i in present[:-1]])
    # items x queries, C order: the rows of a trial's items are gathered and reduced at once
    per_item = np.ascontiguousarray(np.maximum.reduceat(sims, starts, axis=0).T)
    best = per_item[flat[indptr[has_rows]]]  # trials x queries: each trial's first item,
    for pos, at in passes:  # then its j-th item where it has one (j = 1, 2 …)
        best[pos] = np.maximum(best[pos], per_item[flat[at]])
    out[np.asarray(present)[:, None], has_rows[None, :]] = best.T
    return out


#: :func:`pairs_best_match` reads the trials' item vectors one by one up to this share of the
#: index's items (1 / GATHER_SHARE), past it the product with every item (read in order,
#: about 3x faster a vector: 1,000 gathered items 0.16 ms, all 14,076 in one product 0.6 ms).
GATHER_SHARE = 4


def pairs_best_match(
    store: TrialStore,
    field: str,
    queries: Sequence[np.ndarray | None],
    qi: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """For each pair ``p`` of query ``queries[qi[p]]`` (its item vectors, m x d) and the trial
    at ``rows[p]``, the highest cosine between an item of one and an item of the other, as
    :func:`set_best_match` gives it. Each trial must have items, each query of a pair too;
    pairs grouped by query (``qi`` sorted). Per query, the distinct items of its trials are
    read (a few hundred), or past ``1 / GATHER_SHARE`` of the index's items all of them in
    order."""
    indptr, flat = item_layout(store, field)
    lens = indptr[rows + 1] - indptr[rows]
    offsets = np.cumsum(lens) - lens  # where each pair's items begin
    items = flat[np.repeat(indptr[rows] - offsets, lens) + np.arange(int(lens.sum()))]
    per_item = np.empty(len(items), dtype=np.float32)
    owner = np.repeat(qi, lens)
    present, firsts = np.unique(owner, return_index=True)
    ends = np.append(firsts[1:], len(owner))
    n_items = len(store.sets[field].items)
    for i, a, b in zip(present.tolist(), firsts.tolist(), ends.tolist()):
        q = np.atleast_2d(queries[i]).astype(np.float32)
        uniq, inverse = np.unique(items[a:b], return_inverse=True)
        if len(uniq) * GATHER_SHARE > n_items:
            per_item[a:b] = _best_of_few(q, item_matrix(store, field).T)[items[a:b]]
        else:
            per_item[a:b] = (item_rows(store, field)[uniq] @ q.T).max(axis=1)[inverse]
    return np.maximum.reduceat(per_item, offsets)


def item_rows(store: TrialStore, field: str) -> np.ndarray:
    """Every item vector of a set field, by item id, row-major (to read a few items)."""
    sets = store.sets[field]
    return cached(store, ("item rows", field), lambda: sets.vectors.get(np.arange(len(sets.items))))


#: Up to this many query vectors, products with a large matrix run one vector at a time: a
#: matrix-vector product reads the matrix as it lies, where a matrix-matrix product first
#: copies it into blocks (3 vectors x 14,076 condition items on this 2-core CPU: 1.3 ms one
#: at a time, 2.5 ms at once; from 6 vectors on the one product is faster).
FEW_ROWS = 4


def _best_of_few(vectors: np.ndarray, matrix_t: np.ndarray) -> np.ndarray:
    """``max over rows of (vectors @ matrix_t)`` for a few ``vectors`` (m x d) and a
    C-contiguous d x n ``matrix_t``, one matrix-vector product at a time."""
    best = vectors[0] @ matrix_t
    for v in vectors[1:]:
        np.maximum(best, v @ matrix_t, out=best)
    return best


def item_passes(store: TrialStore, field: str) -> tuple[np.ndarray, list]:
    """The rows with items, and per item position j >= 1 ``(positions among those rows that
    have a j-th item, where it is in the flat item array)``: a max over each trial's items as
    a few gathers instead of a segmented reduction."""

    def make() -> tuple[np.ndarray, list]:
        indptr, _ = item_layout(store, field)
        lengths = np.diff(indptr)
        has_rows = np.flatnonzero(lengths > 0)
        lens, starts = lengths[has_rows], indptr[has_rows]
        passes = []
        for j in range(1, int(lens.max()) if len(lens) else 0):
            pos = np.flatnonzero(lens > j)
            passes.append((pos, starts[pos] + j))
        return has_rows, passes

    return cached(store, ("passes", field), make)


# ---------------------------------------------------------------------- lexical


#: The key of :func:`lexical_matrix` in ``store.derived``.
_LEXICAL = "lexical"


def lexical_matrix(store: TrialStore) -> sp.csr_matrix:
    """The TF-IDF rows of every trial (as ``LexicalIndex.scores`` weighs them)."""
    lex = store.lexical
    return cached(store, _LEXICAL, lambda: lex._weigh(lex.counts, lex._idf()))


def lexical_rows(store: TrialStore, query: sp.csr_matrix | None, rows: np.ndarray) -> np.ndarray:
    """TF-IDF cosine of one query vector with the trials at ``rows`` (``LexicalIndex.scores``):
    from the weighted rows of :func:`lexical_matrix` when a query over every trial has made
    them, else weighing just those rows (an ANN shortlist of a large index)."""
    weighted = store.derived.get(_LEXICAL)
    if weighted is None or query is None:
        return store.lexical.scores(query, rows)
    if len(rows) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.asarray((weighted[rows] @ query.T).todense(), dtype=np.float32).ravel()


def lexical_scores(store: TrialStore, queries: sp.csr_matrix) -> np.ndarray:
    """TF-IDF cosine of query vectors (a B-row sparse matrix) with every trial: B x n."""
    weighted = lexical_matrix(store)
    if weighted.shape[0] == 0 or weighted.shape[1] == 0:
        return np.zeros((queries.shape[0], weighted.shape[0]), dtype=np.float32)
    # each query from the columns of its own terms: a block's sparse product makes a
    # B x n sparse result first (0.58 ms a query at 26k trials, against 0.14 ms this way)
    cols = cached(store, "lexical_csc", weighted.tocsc)
    q = queries.tocsr()
    out = np.empty((q.shape[0], weighted.shape[0]), dtype=np.float32)
    for i in range(q.shape[0]):
        a, b = q.indptr[i], q.indptr[i + 1]
        out[i] = cols[:, q.indices[a:b]] @ q.data[a:b] if b > a else 0.0
    return out
