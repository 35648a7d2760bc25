"""How ``similar_many`` runs its blocks of queries: in turn in this process, or by forked
processes.

A block has two halves: ``first(part)`` (the text scores of every trial for its queries and
their floors: matrix products and numpy steps on large arrays, which release the GIL) and
``rank(part, made)`` (the ranking and the long table: many small steps, which hold it).

- :func:`in_turn`: each block's first half is made in a second thread while the block before
  is ranked (``defaults.BATCH_OVERLAP``, more than one core, BLAS limited to one thread).
- :func:`forked`: ``workers`` forked processes rank whole blocks, so the Python steps run in
  parallel too (26k trials, 2 cores: about 1.5x the rate of :func:`in_turn`).

Both give the blocks' tables in order, the same tables as ranking each block alone.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from .. import defaults

__all__ = ["in_turn", "forked", "blas_threads"]

First = Callable[[np.ndarray], Any]
Rank = Callable[[np.ndarray, Any], pd.DataFrame]


def in_turn(blocks: list[np.ndarray], first: First, rank: Rank) -> Iterator[pd.DataFrame]:
    """The table of each block, in this process: the first block alone (it makes the index's
    cached arrays), then each block's first half made in a second thread while the block
    before is ranked (:class:`_Ahead`)."""
    ahead = _Ahead(blocks, first)
    try:
        for b, part in enumerate(blocks):
            made = ahead.take(b)
            if b > 0:
                ahead.start(b + 1)
            frame = rank(part, made)
            if b == 0:
                ahead.start(1)
            yield frame
    finally:
        ahead.close()


#: What the processes of :func:`forked` rank with, by call (a fork copies it; only the key
#: and each block's rows are sent to them).
_FORKED: dict[int, Rank] = {}


def forked(
    blocks: list[np.ndarray], first: First, rank: Rank, workers: int, *, warm: bool = False
) -> Iterator[pd.DataFrame]:
    """The table of each block, in order, ranked by ``workers`` forked processes (one block
    at a time each, BLAS on one thread). Unless ``warm`` (the index's cached arrays are made
    already), the first block is ranked here first, so that the processes inherit them.
    Where processes cannot be forked (Windows), every block is ranked here (:func:`in_turn`;
    a warning says so)."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        import warnings

        warnings.warn("workers > 1 needs fork(); ranking in this process", stacklevel=4)
        yield from in_turn(blocks, first, rank)
        return
    if not warm:
        yield rank(blocks[0], None)
    key = id(blocks)
    _FORKED[key] = rank
    # the processes share this one's memory until they write to it; a garbage collection in
    # them would write to the header of every object (copying every page that holds one)
    gc.freeze()
    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_one_blas_thread)
    finally:
        gc.unfreeze()
    try:
        yield from pool.imap(functools.partial(_forked_block, key), blocks[0 if warm else 1 :])
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _FORKED.pop(key, None)


def _one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _forked_block(key: int, part: np.ndarray) -> pd.DataFrame:
    return _FORKED[key](part, None)


class _Ahead:
    """The first half of the next block, made in a second thread while the current block is
    ranked. Where BLAS already runs its products on several threads, a second thread only
    contends with them (26k trials, 2 cores: 329 queries/s against 415 in turn), so it is
    used only where BLAS has one."""

    def __init__(self, blocks: list[np.ndarray], first: First) -> None:
        self.blocks, self.first = blocks, first
        self.on = len(blocks) > 1 and defaults.BATCH_OVERLAP and (os.cpu_count() or 1) > 1
        self.on = self.on and blas_threads() < 2  # else the products already use the cores
        self.pool = None
        self.pending: tuple[int, Any] | None = None  # (block, its future)

    def start(self, b: int) -> None:
        """Begin making block ``b``'s first half (none past the last block)."""
        if not self.on or b >= len(self.blocks):
            return
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(1, thread_name_prefix="simtrials-block")
        self.pending = (b, self.pool.submit(self.first, self.blocks[b]))

    def take(self, b: int) -> Any:
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


def blas_threads() -> int:
    """How many threads BLAS may use (threadpoolctl): the fewest of the BLAS libraries loaded
    here, as numpy's may be limited where one loaded later (FAISS's own) is not."""
    from threadpoolctl import threadpool_info

    return min((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)
