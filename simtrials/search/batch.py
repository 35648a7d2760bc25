"""Ranking without the hits table, and many queries at once.

- :func:`rank`: the candidates of one query, scored and ordered (what ``similar`` shows).
- :func:`ids_of`: the same ranking as arrays, :class:`Ranked` (NCT IDs and scores), for code
  that needs no reasons (``TrialIndex.similar_ids``).
- :func:`similar_many`: the related lists of many indexed trials (``None``: all) in one long
  DataFrame (``query, rank, nct_id, score``, the reasons and the score's parts), exactly the
  hits ``similar(q, k)`` gives for each; the text scores of a block of queries come from
  matrix products (:func:`simtrials.search.similarity.text_bound`), then each query's few
  possible hits are scored in full (:func:`simtrials.search.similarity.score_top`), and with
  ``path`` each block is written to a parquet file as it is done (bounded memory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from .. import defaults
from ..defaults import DEFAULT_K
from ..represent import GENERIC_INTERVENTIONS, condition_items, intervention_items
from . import arrays, candidates, explain, hits, pairs, relatedness, similarity, words
from .filters import filter_mask, validate_where
from .query import Query, check_k, id_list, require_known
from .score import Parts

if TYPE_CHECKING:
    from ..trial_index import TrialIndex

__all__ = ["Ranked", "rank", "ids_of", "similar_many", "BLOCK_CELLS"]

#: Queries x trials scored per block (the block's size adapts to the index's).
BLOCK_CELLS = 1_500_000


class Ranked(NamedTuple):
    """A ranking as arrays, best first: ``nct_ids`` (object) and ``scores`` (float32)."""

    nct_ids: np.ndarray
    scores: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"rank": np.arange(1, len(self.scores) + 1), **self._asdict()})


def rank(
    index: TrialIndex, q: Query, k: int | None, where: Any, shortlist: Any, weights: Mapping
) -> tuple[np.ndarray, Parts]:
    """``(rows, parts)`` of the hits of ``q`` in rank order (see ``TrialIndex.similar``)."""
    store = index.store
    rows, k = candidates.select(
        store, q, k, where, shortlist, exact=index.exact,
        exact_threshold=index.exact_threshold, weights=index.scoring.fields,
    )  # fmt: skip
    rows, parts = similarity.score_top(store, q, rows, k, index.scoring, weights)
    order = hits.top_of(parts.score, arrays.nct_rank(store)[rows], k)
    return rows[order], parts.take(order)


def ids_of(
    index: TrialIndex, q: Query, k: int | None, where: Any, shortlist: Any, weights: Mapping
) -> Ranked:
    """The ranking of :func:`rank` as a :class:`Ranked`."""
    rows, parts = rank(index, q, k, where, shortlist, weights)
    return Ranked(index.store.nct[rows], parts.score)


# ---------------------------------------------------------------------- many queries


class _Reasons:
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


def _queries(index: TrialIndex, rows: np.ndarray) -> list[Query]:
    """Indexed trials as queries (their stored vectors; records from the reason columns)."""
    store = index.store
    reasons_cols = {c: arrays.column(store, c) for c in hits.REASON_COLUMNS}
    out = []
    for r in rows.tolist():
        nct = str(store.nct[r])
        usable = "all" in store.vectors and "all" in index.scoring.fields
        vecs, has = arrays.field_matrix(store, "all") if usable else (None, None)
        if has is None or not has[r]:
            out.append(index.query(nct))  # no stored whole-text vector: the full resolve
            continue
        vectors = {"all": vecs[r]}
        for f in index.scoring.fields:
            if f in store.sets:
                items = arrays.row_items(store, f, r)
                if items is not None:
                    vectors[f] = items
            elif f != "all" and f in store.vectors:
                fv, fh = arrays.field_matrix(store, f)
                if fh[r]:
                    vectors[f] = fv[r]
        record = {c: v[r] for c, v in reasons_cols.items()}
        kinds = words.split_labels(store.kinds.labels(r))
        out.append(
            Query(
                nct,
                nct,
                record,
                vectors,
                vectors["all"],
                arrays.lexical_matrix(store)[r],
                kinds=(frozenset(kinds[0]), frozenset(kinds[1])),
                condition_items=vectors.get("conditions"),
                intervention_items=vectors.get("interventions"),
            )  # fmt: skip
        )
    return out


class _Block(NamedTuple):
    """What a block's first half makes (:func:`_block_text`): its queries, the text scores
    of every trial for each (B x n; bounds, or with no text share every trial's full
    Parts), and the :class:`~simtrials.search.pairs.Floors` when the block is ranked at once."""

    queries: list[Query]
    text: Parts
    floors: pairs.Floors | None


def _at_once(index: TrialIndex, pool_size: int, k: int, weights: Mapping) -> bool:
    """Whether a block's queries are ranked together (:func:`pairs.top_block`)."""
    bounded = relatedness.bounds(weights) is not None
    return bounded and pool_size > similarity.SEEDS_PER_HIT * k + 1


def _block_text(
    index: TrialIndex, qrows: np.ndarray, weights: Mapping, k: int, allowed: np.ndarray | None
) -> _Block:
    """A block's first half: its queries, the text scores of every trial for each (matrix
    products) and, when its queries are ranked together, their floors. It may run in a
    second thread while the block before is ranked (``BATCH_OVERLAP``)."""
    store = index.store
    qs = _queries(index, qrows)
    if relatedness.bounds(weights) is None:  # no text share: every trial's parts, at once
        return _Block(qs, similarity.score_block(store, qs, index.scoring, weights), None)
    text = similarity.text_bound(store, qs, index.scoring)
    pool_size = len(store) if allowed is None else int(allowed.sum())
    if not _at_once(index, pool_size, k, weights):
        return _Block(qs, text, None)
    made = pairs.floors(store, qs, qrows, allowed, k, index.scoring, weights, text)
    return _Block(qs, text, made)


def _block_frame(
    index: TrialIndex,
    qrows: np.ndarray,
    k: int,
    allowed: np.ndarray | None,
    weights: Mapping,
    reasons: _Reasons,
    made: _Block | None = None,
) -> pd.DataFrame:
    """The long table of one block of indexed queries: the text scores of the block at once
    (matrix products; ``made``: :func:`_block_text` of the block when it is already made),
    then the queries' few possible hits scored in full, together
    (:func:`simtrials.search.pairs.top_block`) or one by one
    (:func:`simtrials.search.similarity.score_top`)."""
    store = index.store
    qs, block, floors = _block_text(index, qrows, weights, k, allowed) if made is None else made
    in_full = relatedness.bounds(weights) is None  # as _block_text scored the block
    keys = arrays.nct_rank(store)
    ranked: list = [None] * len(qs)  # per query: (rows in rank order, their Parts)
    pool = np.arange(len(store), dtype=np.int64) if allowed is None else np.flatnonzero(allowed)
    alone = range(len(qs))
    if floors is not None:  # the block at once
        top = pairs.top_block(store, qs, qrows, allowed, k, index.scoring, weights, block, floors)
        ends = np.searchsorted(top.qi, np.arange(len(qs) + 1))
        for i in range(len(qs)):
            at = np.arange(ends[i], ends[i + 1])
            ranked[i] = (top.rows[at], top.parts.take(at))
        alone = top.alone.tolist()
    for i in alone:
        rows = pool[pool != qrows[i]]  # a trial is never its own hit
        if in_full:
            parts = block.take((i, rows))
        else:  # row i of the block: 1-D views of every trial's text score
            rows, parts = similarity.score_top(
                store, qs[i], rows, k, index.scoring, weights, block.take(i)
            )
        order = hits.top_of(parts.score, keys[rows], k)
        ranked[i] = (rows[order], parts.take(order))
    return _long_frame(store, qs, qrows, ranked, reasons)


def _long_frame(
    store,
    qs: list[Query],
    qrows: np.ndarray,
    ranked: list[tuple[np.ndarray, Parts]],
    reasons: _Reasons,
) -> pd.DataFrame:
    """One long table of ranked hits: ``query, rank, nct_id, score``, the words, the parts."""
    qi = np.concatenate([np.full(len(r), i) for i, (r, _) in enumerate(ranked)])
    rows = np.concatenate([r for r, _ in ranked])

    def cat(get) -> np.ndarray:
        return np.concatenate([get(p) for _, p in ranked])

    shared = reasons.pairs(qrows[qi], rows)
    cond, inter, kind = (
        cat(lambda p: p.condition),
        cat(lambda p: p.intervention),
        cat(lambda p: p.kind),
    )
    out: dict[str, Any] = {
        "query": store.nct[qrows][qi],
        "rank": np.concatenate([np.arange(1, len(r) + 1) for r, _ in ranked]),
        "nct_id": store.nct[rows],
        "score": cat(lambda p: p.score),
        "condition_match": [words.condition_words(c, s[0]) for c, s in zip(cond, shared)],
        "intervention_match": [
            words.intervention_words(qs[i].kinds, store.kinds.labels(r), v, kd, s[1])
            for i, r, v, kd, s in zip(qi, rows, inter, kind, shared)
        ],
        "score_condition": cond,
        "score_intervention": inter,
        "score_text": cat(lambda p: p.text),
    }
    for f in ranked[0][1].per_field:
        out[f"score_{f}"] = cat(lambda p, f=f: p.per_field[f])
    out["score_lexical"] = cat(lambda p: p.lexical)
    out["shared_conditions"] = [s[0] for s in shared]
    out["shared_interventions"] = [s[1] for s in shared]
    return pd.DataFrame(out)


def _slow_frame(index: TrialIndex, qrows: np.ndarray, k: int, where: Any, weights: Mapping):
    """The long table of queries ranked one by one (an ANN index: candidates per query)."""
    frames = []
    for r in qrows.tolist():
        nct = str(index.store.nct[r])
        h = pd.DataFrame(index.similar(nct, k, where=where, weights=weights))
        keep = ["rank", "nct_id", "score", "condition_match", "intervention_match"]
        keep += [c for c in h.columns if c.startswith("score_")]
        keep += ["shared_conditions", "shared_interventions"]
        frames.append(h[keep].assign(query=nct))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out[["query", *[c for c in out.columns if c != "query"]]] if len(out) else out


def similar_many(
    index: TrialIndex,
    ids: Any = None,
    k: int = DEFAULT_K,
    *,
    where: Mapping[str, Any] | None = None,
    weights: Mapping[str, float],
    show_progress: bool = True,
    path: str | Path | None = None,
) -> pd.DataFrame | Path:
    """The hits of ``similar(q, k, where=where)`` for every ``q`` in ``ids`` (``None``: every
    indexed trial), as one long DataFrame; with ``path``, written block by block to that
    parquet file (returns the path). See ``TrialIndex.similar_many``."""
    store = index.store
    k = check_k(k)
    ids = list(store.nct) if ids is None else id_list(ids, "similar_many()")
    require_known(ids, store.row, "similar_many() queries not in the index")
    qrows = np.array([store.row[n] for n in ids], dtype=np.int64)
    where = validate_where(where)
    allowed = filter_mask(store.table, where) if where else None
    n_allowed = len(store) if allowed is None else int(allowed.sum())
    blocked = index.exact or n_allowed <= max(index.exact_threshold, 4 * k)
    size = max(1, min(256, BLOCK_CELLS // max(len(store), 1))) if blocked else 64
    reasons = arrays.cached(store, "reasons", lambda: _Reasons(store))  # kept till it changes
    bar = _bar(len(qrows), show_progress)
    writer, frames = None, []
    blocks = [qrows[s : s + size] for s in range(0, len(qrows), size)]
    ahead = _Ahead(index, blocks if blocked else [], weights, k, allowed)
    try:
        for b, part in enumerate(blocks):
            # the first block runs alone (it makes the index's cached arrays); from then on
            # the next block's text scores are made while this one is ranked
            text = ahead.take(b)
            if b > 0:
                ahead.start(b + 1)
            frame = (
                _block_frame(index, part, k, allowed, weights, reasons, text)
                if blocked
                else _slow_frame(index, part, k, where, weights)
            )
            if b == 0:
                ahead.start(1)
            if path is None:
                frames.append(frame)
            else:
                writer = _write(writer, path, frame)
            if bar is not None:
                bar.update(len(part))
    finally:
        ahead.close()
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    if path is not None:
        if writer is None:  # no queries: an empty file with the columns
            _write(None, path, pd.DataFrame(columns=["query", "rank", "nct_id", "score"])).close()
        return Path(path)
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["query", "rank", "nct_id", "score"])
    )


class _Ahead:
    """The first half of the next block (:func:`_block_text`: its text scores and floors),
    made in a second thread while the current block is ranked (``defaults.BATCH_OVERLAP``,
    more than one core, BLAS limited to one thread): the matrix products and the numpy steps
    on large arrays release the GIL. Same numbers as making them in turn. Where BLAS already runs its products on several threads, a second
    thread only contends with them (26k trials, 2 cores: 329 queries/s against 415 in turn)."""

    def __init__(
        self,
        index: TrialIndex,
        blocks: list[np.ndarray],
        weights: Mapping,
        k: int,
        allowed: np.ndarray | None,
    ) -> None:
        self.index, self.blocks, self.args = index, blocks, (weights, k, allowed)
        self.on = len(blocks) > 1 and defaults.BATCH_OVERLAP and (os.cpu_count() or 1) > 1
        self.on = self.on and _blas_threads() < 2  # else the products already use the cores
        self.pool = None
        self.pending: tuple[int, Any] | None = None  # (block, its future)

    def start(self, b: int) -> None:
        """Begin making block ``b``'s first half (none past the last block)."""
        if not self.on or b >= len(self.blocks):
            return
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(1, thread_name_prefix="simtrials-block")
        self.pending = (b, self.pool.submit(_block_text, self.index, self.blocks[b], *self.args))

    def take(self, b: int) -> _Block | None:
        """Block ``b``'s first half if it was begun, else ``None``."""
        if self.pending is None or self.pending[0] != b:
            return None
        fut, self.pending = self.pending[1], None
        return fut.result()

    def close(self) -> None:
        if self.pending is not None:
            self.pending[1].cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _blas_threads() -> int:
    """How many threads BLAS may use (threadpoolctl): the fewest of the BLAS libraries loaded
    here, as numpy's may be limited where one loaded later (FAISS's own) is not."""
    from threadpoolctl import threadpool_info

    return min((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


def _bar(total: int, show: bool):
    if not show or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="Related trials", unit="query")


def _write(writer, path: str | Path, frame: pd.DataFrame):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if writer is None:
        writer = pq.ParquetWriter(str(path), table.schema, compression="zstd")
    writer.write_table(table.cast(writer.schema))
    return writer
