"""One FAISS index per field, with stable integer ids.

Vectors are unit length, so inner product is cosine similarity. Ids are the index's stable
int64 trial ids (``IndexIDMap2``), so trials can be added and removed without renumbering.
Small corpora get an exact ``Flat`` index; large ones an HNSW graph (chosen by size, or by
any FAISS factory string the user passes). Trials with nothing in a field have no vector in
that field's index.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from .. import persist
from ..defaults import ANN_THRESHOLD, EF_SEARCH, NPROBE

__all__ = ["FieldVectors", "choose_factory", "ANN_THRESHOLD"]

# FAISS' message for an index type that cannot delete (HNSW): only then are ids tombstoned.
_CANNOT_DELETE = "remove_ids not implemented"


def choose_factory(n: int, index: str = "auto") -> str:
    """The FAISS factory string for ``n`` vectors: ``"Flat"`` below ``ANN_THRESHOLD``, else HNSW."""
    if index != "auto":
        return index
    return "Flat" if n < ANN_THRESHOLD else "HNSW32"


class FieldVectors:
    """Vectors of one field, searchable by inner product, addressable by stable id.

    Parameters
    ----------
    dim
        Vector length.
    factory
        FAISS factory string (``"Flat"``, ``"HNSW32"``, ``"IVF1024,Flat"``, ``"HNSW32,SQfp16"`` …).
    ef_search
        HNSW search depth (ignored by other index types).
    nprobe
        IVF lists visited per query (ignored by other index types).
    """

    def __init__(
        self, dim: int, factory: str = "Flat", *, ef_search: int = EF_SEARCH, nprobe: int = NPROBE
    ) -> None:
        self.dim = dim
        self.factory = factory
        self.ef_search = ef_search
        self.nprobe = nprobe
        self._index: faiss.Index | None = None
        self._ids = np.zeros(0, dtype=np.int64)  # ids present, for membership tests
        self._tombstones: set[int] = set()  # removed from HNSW (which cannot delete)

    # ----------------------------------------------------------------- building
    def _new_index(self, train: np.ndarray | None) -> faiss.Index:
        inner = faiss.index_factory(self.dim, self.factory, faiss.METRIC_INNER_PRODUCT)
        if not inner.is_trained:
            if train is None or len(train) < 2:
                raise ValueError(f"FAISS index {self.factory!r} needs training vectors")
            inner.train(np.ascontiguousarray(train, dtype=np.float32))
        self._configure(inner)
        return faiss.IndexIDMap2(inner)

    def _configure(self, inner: faiss.Index) -> None:
        hnsw = _find(inner, faiss.IndexHNSW)
        if hnsw is not None:
            hnsw.hnsw.efSearch = self.ef_search
        try:
            ivf = faiss.extract_index_ivf(inner)
        except RuntimeError:
            ivf = None
        if ivf is not None:
            ivf.nprobe = self.nprobe
            ivf.make_direct_map()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids`` (ids must be new)."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(ids) == 0:
            return
        if self._index is None:
            self._index = self._new_index(vectors)
        self._index.add_with_ids(vectors, ids)
        if len(self._ids) == 0 or ids.min() > self._ids[-1]:
            self._ids = np.concatenate([self._ids, np.sort(ids)])  # the usual case: new, larger ids
        else:
            self._ids = np.union1d(self._ids, ids)
        self._tombstones.difference_update(ids.tolist())

    def remove(self, ids: np.ndarray) -> None:
        """Remove the vectors of ``ids`` (ids without a vector are ignored)."""
        ids = np.intersect1d(np.asarray(ids, dtype=np.int64), self._ids)
        if len(ids) == 0 or self._index is None:
            return
        try:
            self._index.remove_ids(ids)
        except RuntimeError as exc:
            if _CANNOT_DELETE not in str(exc):  # a real failure: not ours to hide
                raise
            self._tombstones.update(ids.tolist())  # HNSW cannot delete: hide the ids instead
        self._ids = np.setdiff1d(self._ids, ids)

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> np.ndarray:
        """The ids that have a vector, sorted."""
        return self._ids

    def has(self, ids: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``ids`` have a vector."""
        ids = np.asarray(ids, dtype=np.int64)
        pos = np.searchsorted(self._ids, ids)  # self._ids is kept sorted
        ok = pos < len(self._ids)
        ok[ok] = self._ids[pos[ok]] == ids[ok]
        return ok

    def get(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (zeros for ids without a vector)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        mask = self.has(ids)
        if mask.any():
            out[mask] = self._index.reconstruct_batch(ids[mask])
        return out

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) per query row; id -1 pads when fewer exist."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(self._ids)
        if self._index is None or n == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        extra = len(self._tombstones)
        scores, ids = self._index.search(queries, min(k + extra, n + extra))
        if extra:
            dead = np.isin(ids, np.fromiter(self._tombstones, dtype=np.int64))
            scores = np.where(dead, -np.inf, scores)
            ids = np.where(dead, -1, ids)
            order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            scores = np.take_along_axis(scores, order, 1)
            ids = np.take_along_axis(ids, order, 1)
        return scores[:, :k], ids[:, :k]

    def memory_bytes(self) -> int:
        """Approximate bytes the FAISS index holds (codes + graph), via serialization."""
        if self._index is None:
            return 0
        return int(faiss.serialize_index(self._index).nbytes)

    # ----------------------------------------------------------------- persistence
    def to_bytes(self) -> bytes:
        """The FAISS index serialized (FAISS' own format, no pickle)."""
        if self._index is None:
            return b""
        return faiss.serialize_index(self._index).tobytes()

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        dim: int,
        factory: str,
        *,
        ids: np.ndarray,
        tombstones: list[int],
        ef_search: int,
        nprobe: int,
    ) -> FieldVectors:
        """Rebuild from :meth:`to_bytes` output and the saved id lists."""
        fv = cls(dim, factory, ef_search=ef_search, nprobe=nprobe)
        if data:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
            fv._configure(faiss.downcast_index(index.index) if hasattr(index, "index") else index)
            fv._index = index
        fv._ids = np.asarray(ids, dtype=np.int64)
        fv._tombstones = set(int(t) for t in tombstones)
        return fv

    def files(self, name: str) -> dict:
        """The files of a save: ``<name>.faiss`` and ``<name>.ids.npy`` (see :meth:`load`)."""
        return {f"{name}.faiss": self.to_bytes(), f"{name}.ids.npy": persist.save_npy(self._ids)}

    @classmethod
    def load(
        cls,
        folder: Path,
        name: str,
        dim: int,
        factory: str,
        *,
        state: dict,
        ef_search: int,
        nprobe: int,
    ) -> FieldVectors:
        """The vectors :meth:`files` saved in ``folder``, with the :meth:`state` of the manifest."""
        return cls.from_bytes(
            (folder / f"{name}.faiss").read_bytes(),
            dim,
            factory,
            ids=persist.load_npy(folder / f"{name}.ids.npy"),
            tombstones=state.get("tombstones", []),
            ef_search=ef_search,
            nprobe=nprobe,
        )

    def state(self) -> dict:
        """The small state saved beside the FAISS file."""
        return {"tombstones": sorted(self._tombstones)}

    def describe(self) -> str:
        return self.factory


def _find(index: faiss.Index, kind: type) -> faiss.Index | None:
    idx = faiss.downcast_index(index)
    return idx if isinstance(idx, kind) else None
