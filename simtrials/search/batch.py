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

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ..defaults import DEFAULT_K
from . import arrays, candidates, hits, pairs, parallel, relatedness, similarity, words
from .filters import filter_mask, validate_where
from .query import Query, check_k, id_list, require_known, resolve
from .reasons import Reasons, reasons_of
from .score import Parts

if TYPE_CHECKING:
    from ..trial_index import TrialIndex

__all__ = ["Ranked", "rank", "ids_of", "similar_many", "BLOCK_CELLS"]

#: Queries x trials scored per block (the block's size adapts to the index's).
BLOCK_CELLS = 1_500_000

#: In ``store.derived`` once a block was ranked in this process (its arrays are made, so
#: forked processes can take every block: :func:`simtrials.search.parallel.forked`).
_WARM = "batch_warm"


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


def _queries(index: TrialIndex, rows: np.ndarray) -> list[Query]:
    """Indexed trials as queries (from their stored vectors, as ``similar()`` takes them).
    Not through ``index.query``: this may run in the second thread while the caller holds
    the index's lock."""
    store, fields, encode = index.store, index.scoring.fields, index._encoder
    return [resolve(str(store.nct[r]), store, fields, encode) for r in rows.tolist()]


class _Block(NamedTuple):
    """What a block's first half makes (:func:`_block_text`): its queries, the text scores
    of every trial for each (B x n; bounds, or with no text share every trial's full
    Parts), and the :class:`~simtrials.search.pairs.Floors` when the block is ranked at once."""

    queries: list[Query]
    text: Parts
    floors: pairs.Floors | None


def _at_once(pool_size: int, k: int, weights: Mapping) -> bool:
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
    if not _at_once(pool_size, k, weights):
        return _Block(qs, text, None)
    made = pairs.floors(store, qs, qrows, allowed, k, index.scoring, weights, text)
    return _Block(qs, text, made)


def _block_frame(
    index: TrialIndex,
    qrows: np.ndarray,
    k: int,
    allowed: np.ndarray | None,
    weights: Mapping,
    reasons: Reasons,
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
        top = pairs.top_block(store, qs, k, index.scoring, weights, block, floors)
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
    reasons: Reasons,
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
    workers: int = 1,
) -> pd.DataFrame | Path:
    """The hits of ``similar(q, k, where=where)`` for every ``q`` in ``ids`` (``None``: every
    indexed trial), as one long DataFrame; with ``path``, written block by block to that
    parquet file (returns the path); ``workers``: processes that rank the blocks
    (:func:`simtrials.search.parallel.forked`). See ``TrialIndex.similar_many``."""
    store = index.store
    k = check_k(k)
    workers = _check_workers(workers)
    ids = list(store.nct) if ids is None else id_list(ids, "similar_many()")
    require_known(ids, store.row, "similar_many() queries not in the index")
    qrows = np.array([store.row[n] for n in ids], dtype=np.int64)
    where = validate_where(where)
    allowed = filter_mask(store.table, where) if where else None
    n_allowed = len(store) if allowed is None else int(allowed.sum())
    blocked = index.exact or n_allowed <= max(index.exact_threshold, 4 * k)
    size = max(1, min(256, BLOCK_CELLS // max(len(store), 1))) if blocked else 64
    blocks = [qrows[s : s + size] for s in range(0, len(qrows), size)]
    bar = _bar(len(qrows), show_progress)
    writer, frames = None, []
    if not blocked:
        made = (_slow_frame(index, part, k, where, weights) for part in blocks)
    else:

        def first(part: np.ndarray) -> _Block:
            return _block_text(index, part, weights, k, allowed)

        def rank(part: np.ndarray, made: _Block | None) -> pd.DataFrame:
            return _block_frame(index, part, k, allowed, weights, reasons_of(store), made)

        many = workers > 1 and len(blocks) > 2
        made = (
            parallel.forked(blocks, first, rank, workers, warm=_WARM in store.derived)
            if many
            else parallel.in_turn(blocks, first, rank)
        )
    try:
        for part, frame in zip(blocks, made):
            if blocked:  # the first block is ranked here: the index's arrays are made
                store.derived[_WARM] = True
            if path is None:
                frames.append(frame)
            else:
                writer = _write(writer, path, frame)
            if bar is not None:
                bar.update(len(part))
    finally:
        made.close()
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


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    return int(workers)


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
