"""Encoding for the index: trials field by field through the model, in chunks; queries
through the model that built the index (checked once); the embedder a build or load uses.

:func:`encode_table` touches no state, so a failure while encoding leaves the index as it
was; :func:`chunks` cuts a large table into the steps a build takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..embed import Embedder
from ..errors import ModelMismatchError
from ..represent import SET_FIELDS, field_texts
from .itemsets import ItemSets

__all__ = ["encode_table", "chunks", "make_embedder", "QueryEncoder"]


def encode_table(
    table: pd.DataFrame,
    fields: Sequence[str],
    embedder: Embedder,
    sets: dict[str, ItemSets],
    *,
    show_progress: bool,
) -> dict[str, tuple]:
    """Field -> encoded rows of ``table``.

    Text fields give ``(vectors, has-text mask)``; set fields give ``(item lists, {new item:
    vector})`` (only the items the field's existing ``sets`` lack are encoded).
    """
    text_fields = [f for f in fields if f not in SET_FIELDS]
    texts = field_texts(table, text_fields)
    records = table.to_dict("records")
    out: dict[str, tuple] = {}
    bar = None
    if show_progress and len(table):
        from tqdm.auto import tqdm

        bar = tqdm(total=len(fields), desc="Encoding fields", unit="field")
    for f in fields:
        if bar is not None:
            bar.set_postfix_str(f)
        if f in SET_FIELDS:
            item_lists = [SET_FIELDS[f](r) for r in records]
            known = sets.get(f) or ItemSets(embedder.dimension)
            new = known.new_items(item_lists)
            vecs = embedder.encode(new, show_progress=show_progress and len(new) > 256)
            out[f] = (item_lists, dict(zip(new, vecs)))
        else:
            has = np.array([bool(t) for t in texts[f]], dtype=bool)
            vecs = embedder.encode(texts[f], show_progress=show_progress and len(table) > 256)
            out[f] = (vecs, has)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return out


def chunks(
    table: pd.DataFrame, chunk_size: int, *, show_progress: bool
) -> Iterator[tuple[pd.DataFrame, bool]]:
    """``(part, show_progress of the part)`` for each chunk of ``table``, with one progress
    bar over all chunks when there is more than one (bounded memory; with an embedding cache
    an interrupted build loses only the current chunk)."""
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive whole number, got {chunk_size!r}")
    if len(table) <= chunk_size:
        yield table, show_progress
        return
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(table), desc="Indexing trials", unit="trial")
    for start in range(0, len(table), chunk_size):
        part = table.iloc[start : start + chunk_size]
        yield part, False
        if bar is not None:
            bar.update(len(part))
    if bar is not None:
        bar.close()


def make_embedder(embedder: Embedder | None, model: Any, options: dict[str, Any]) -> Embedder:
    """The given embedder (checked against ``model``), or a new one with ``options``.

    Raises
    ------
    ValueError
        ``options`` (device, batch_size, cache_dir) set together with an ``embedder``: they
        could not be applied to it, and are not silently ignored.
    """
    if embedder is None:
        return Embedder(model, **{k: v for k, v in options.items() if v is not None})
    given = [k for k, v in options.items() if v is not None]
    if given:
        raise ValueError(
            f"{', '.join(given)} cannot be applied to an existing embedder; "
            f"set them on the Embedder (Embedder(..., {given[0]}=...)) or pass no embedder"
        )
    if model is not None and str(model) != embedder.name:
        raise ValueError(f"model {model!r} differs from the embedder's model {embedder.name!r}")
    return embedder


class QueryEncoder:
    """Encodes query texts, checking once that the model is the one that built the index
    (``expected``: the fingerprint a saved index records; ``None``: nothing to check)."""

    def __init__(self, embedder: Embedder, expected: str | None = None) -> None:
        self.embedder = embedder
        self.expected = expected

    def __call__(self, texts: list[str]) -> np.ndarray:
        vecs = self.embedder.encode(texts)
        self.check()
        return vecs

    def check(self) -> None:
        """ModelMismatchError when the model's fingerprint is not the index's."""
        if self.expected is None:
            return
        found = self.embedder.fingerprint
        if found != self.expected:
            raise ModelMismatchError(
                f"the model {self.embedder.name!r} gives different vectors than the model that built "
                f"this index (fingerprint {found} != {self.expected}); "
                "load the index with the model it was built with"
            )
        self.expected = None
