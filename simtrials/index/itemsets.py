"""Set-valued fields: each trial's conditions as a set of items, each item with its own vector.

A trial registered for "Neurologic Disorders; Stroke; Traumatic Brain Injury" and a trial of
"Acute Ischemic Stroke" share a condition even though the two lists, read as one string
each, are far apart. So the conditions of a trial are kept as separate items (its conditions
and their MeSH terms); the similarity of two trials' condition sets is the best match between
any item of one and any item of the other ("do they study a common condition?").

Each distinct item is encoded once for the whole index (conditions recur across trials) and
kept in a FAISS index by item id; a trial holds the ids of its items.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import persist
from .vectors import FieldVectors

__all__ = ["ItemSets"]


def _key(item: str) -> str:
    return " ".join(item.lower().split())


class ItemSets:
    """Item vectors and, per trial id, the ids of that trial's items."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.items: list[str] = []
        self._item_id: dict[str, int] = {}
        self.vectors = FieldVectors(dim, "Flat")
        self._members: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._members)

    def new_items(self, item_lists: list[list[str]]) -> list[str]:
        """The distinct items of ``item_lists`` that have no vector yet (to encode)."""
        seen: dict[str, str] = {}
        for items in item_lists:
            for it in items:
                k = _key(it)
                if k and k not in self._item_id and k not in seen:
                    seen[k] = it
        return list(seen.values())

    def add(
        self, trial_ids: np.ndarray, item_lists: list[list[str]], new_vectors: dict[str, np.ndarray]
    ) -> None:
        """Register trials' items; ``new_vectors`` holds a vector for every item in :meth:`new_items`."""
        fresh: dict[str, tuple[str, np.ndarray]] = {}
        for it, vec in new_vectors.items():
            k = _key(it)
            if k not in self._item_id and k not in fresh:
                fresh[k] = (it, vec)
        if fresh:  # store the vectors first: if that fails, no item is registered without one
            ids = np.arange(len(self.items), len(self.items) + len(fresh), dtype=np.int64)
            self.vectors.add(ids, np.stack([vec for _, vec in fresh.values()]))
            for i, (k, (it, _)) in zip(ids.tolist(), fresh.items()):
                self._item_id[k] = i
                self.items.append(it)
        for tid, items in zip(trial_ids, item_lists):
            ids = sorted({self._item_id[_key(it)] for it in items if _key(it)})
            if ids:
                self._members[int(tid)] = np.array(ids, dtype=np.int64)

    def remove(self, trial_ids: np.ndarray) -> None:
        """Forget the item lists of trials (item vectors stay: other trials may share them)."""
        for tid in np.asarray(trial_ids).tolist():
            self._members.pop(int(tid), None)

    def has(self, trial_ids: np.ndarray) -> np.ndarray:
        return np.array(
            [int(t) in self._members for t in np.asarray(trial_ids).tolist()], dtype=bool
        )

    @property
    def members(self) -> dict[int, np.ndarray]:
        """Trial id -> the ids of its items (read only)."""
        return self._members

    def item_ids(self, trial_id: int) -> np.ndarray | None:
        """The ids of a trial's items (rows of :attr:`vectors`), or None when it has none."""
        return self._members.get(int(trial_id))

    def items_of(self, trial_id: int) -> list[str]:
        return [self.items[i] for i in self._members.get(int(trial_id), [])]

    def best_match(self, query_vectors: np.ndarray | None, trial_ids: np.ndarray) -> np.ndarray:
        """For each trial, the highest cosine between any query item and any of its items.

        NaN for trials without items, or when the query has none.
        """
        trial_ids = np.asarray(trial_ids, dtype=np.int64)
        out = np.full(len(trial_ids), np.nan, dtype=np.float32)
        if query_vectors is None or len(query_vectors) == 0 or len(trial_ids) == 0:
            return out
        lists = [self._members.get(int(t)) for t in trial_ids.tolist()]
        has = np.array([m is not None for m in lists], dtype=bool)
        if not has.any():
            return out
        chosen = [m for m in lists if m is not None]
        flat = np.concatenate(chosen)
        uniq, inverse = np.unique(flat, return_inverse=True)
        sims = (self.vectors.get(uniq) @ np.atleast_2d(query_vectors).T).max(axis=1)
        per_item = sims[inverse]
        starts = np.cumsum([0] + [len(m) for m in chosen[:-1]])
        out[has] = np.maximum.reduceat(per_item, starts)
        return out

    def mean_vectors(self, trial_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One unit vector per trial (the mean of its item vectors) and the has-items mask."""
        trial_ids = np.asarray(trial_ids, dtype=np.int64)
        out = np.zeros((len(trial_ids), self.dim), dtype=np.float32)
        has = self.has(trial_ids)
        for i, t in enumerate(trial_ids.tolist()):
            m = self._members.get(int(t))
            if m is not None:
                v = self.vectors.get(m).mean(axis=0)
                out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        return out, has

    # ----------------------------------------------------------------- persistence
    def to_arrays(self) -> tuple[dict[str, np.ndarray], str, bytes]:
        """(trial membership arrays, JSON list of items, FAISS bytes of item vectors)."""
        tids = np.array(sorted(self._members), dtype=np.int64)
        lengths = np.array([len(self._members[int(t)]) for t in tids], dtype=np.int64)
        flat = (
            np.concatenate([self._members[int(t)] for t in tids])
            if len(tids)
            else np.zeros(0, np.int64)
        )
        arrays = {
            "trial_ids": tids,
            "lengths": lengths,
            "items": flat,
            "vector_ids": self.vectors.ids,
        }
        return arrays, json.dumps(self.items, ensure_ascii=False), self.vectors.to_bytes()

    @classmethod
    def from_arrays(
        cls, dim: int, arrays: dict[str, np.ndarray], items_json: str, faiss_bytes: bytes
    ) -> ItemSets:
        sets = cls(dim)
        sets.items = list(json.loads(items_json))
        sets._item_id = {_key(it): i for i, it in enumerate(sets.items)}
        sets.vectors = FieldVectors.from_bytes(
            faiss_bytes, dim, "Flat", ids=arrays["vector_ids"], tombstones=[], ef_search=0, nprobe=1
        )
        offsets = np.concatenate([[0], np.cumsum(arrays["lengths"])])
        for i, t in enumerate(arrays["trial_ids"].tolist()):
            sets._members[int(t)] = np.asarray(
                arrays["items"][offsets[i] : offsets[i + 1]], dtype=np.int64
            )
        return sets

    def files(self, name: str) -> dict:
        """The files of a save: ``<name>.npz``, ``<name>_items.json``, ``<name>.faiss``."""
        arrays, items_json, faiss_bytes = self.to_arrays()
        return {
            f"{name}.npz": persist.save_npz(arrays),
            f"{name}_items.json": items_json.encode("utf-8"),
            f"{name}.faiss": faiss_bytes,
        }

    @classmethod
    def load(cls, folder: Path, name: str, dim: int) -> ItemSets:
        """The sets :meth:`files` saved in ``folder``."""
        return cls.from_arrays(
            dim,
            persist.load_npz(folder / f"{name}.npz"),
            (folder / f"{name}_items.json").read_text(encoding="utf-8"),
            (folder / f"{name}.faiss").read_bytes(),
        )
