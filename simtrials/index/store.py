"""``TrialStore``: what an index holds, kept in step: ids, rows, the trial table and the
per-field stores (one :class:`FieldVectors` per text field, one :class:`ItemSets` per set
field, one :class:`LexicalIndex`), with their saving and loading.

Rows are positions in the trial table; ids are stable int64 trial ids (increasing with the
row order) under which the field stores keep their vectors. Every change goes through
:meth:`add` or :meth:`remove_rows`, which change all of them or none.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import persist, schema
from ..errors import IndexFormatError
from ..represent import SET_FIELDS
from .itemsets import ItemSets
from .kinds import KindIndex
from .lexical import LexicalIndex
from .vectors import FieldVectors, choose_factory

__all__ = ["TrialStore"]


class TrialStore:
    """The trials of an index and their per-field stores.

    Parameters
    ----------
    spec
        The index type asked for: ``"auto"``, or a FAISS factory string.
    factory
        The FAISS factory string of the text fields' indexes; ``None``: chosen from ``spec``
        and the size of the first batch of trials added.
    ef_search, nprobe
        HNSW search depth / IVF lists probed.
    """

    def __init__(
        self, spec: str, factory: str | None = None, *, ef_search: int, nprobe: int
    ) -> None:
        self.spec = spec
        self.factory = factory
        self.ef_search = ef_search
        self.nprobe = nprobe
        self._parts: list[pd.DataFrame] = [schema.empty_frame()]  # concatenated lazily
        self.nct = np.zeros(0, dtype=object)  # NCT IDs in row order
        self.ids = np.zeros(0, dtype=np.int64)  # stable ids in row order
        self.row: dict[str, int] = {}  # NCT ID -> row
        self.next_id = 0
        self.vectors: dict[str, FieldVectors] = {}
        self.sets: dict[str, ItemSets] = {}
        self.lexical = LexicalIndex()
        self.kinds = KindIndex()  # intervention classes and kinds, in row order
        #: Arrays derived from the stores for fast queries (see :mod:`simtrials.search.arrays`),
        #: made lazily and dropped on every change.
        self.derived: dict[str, Any] = {}

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def table(self) -> pd.DataFrame:
        """The trial table, concatenated lazily (so that ``add`` does not copy it every time)."""
        if len(self._parts) > 1:
            parts = [p for p in self._parts if len(p)]
            self._parts = [pd.concat(parts, ignore_index=True) if parts else schema.empty_frame()]
        return self._parts[0]

    def _set_table(self, table: pd.DataFrame) -> None:
        self.derived.clear()
        self._parts = [table]
        self.nct = table["nct_id"].to_numpy(dtype=object)
        self.row = {n: i for i, n in enumerate(self.nct.tolist())}

    def has_field(self, field: str) -> bool:
        return field in self.vectors or field in self.sets

    def field_vectors(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors, has_field)`` of every trial in row order (set fields: mean of items)."""
        if field in self.sets:
            return self.sets[field].mean_vectors(self.ids)
        fv = self.vectors[field]
        return fv.get(self.ids), fv.has(self.ids)

    def stored_vector(self, field: str, row: int) -> np.ndarray | None:
        """The stored vector of one trial's field (set fields: its items' vectors), or None."""
        tid = self.ids[row : row + 1]
        if field in self.sets:
            items = self.sets[field].item_ids(int(tid[0]))
            return None if items is None else self.sets[field].vectors.get(items)
        fv = self.vectors.get(field)
        return fv.get(tid)[0] if fv is not None and fv.has(tid)[0] else None

    def rows_of_ids(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the (present) stable ``ids``; ids no longer indexed are dropped."""
        rows = np.searchsorted(self.ids, ids)  # stable ids increase with the row order
        ok = rows < len(self.ids)
        ok[ok] = self.ids[rows[ok]] == ids[ok]
        return rows[ok]

    def nearest_rows(self, field: str, queries: np.ndarray, k: int) -> np.ndarray:
        """Top-``k`` rows per query from the field's own FAISS index (-1 pads)."""
        _, ids = self.vectors[field].search(queries, k)
        pos = {int(i): r for r, i in enumerate(self.ids.tolist())}
        return np.array([[pos.get(int(i), -1) for i in row] for row in ids])

    def memory(self) -> dict[str, dict[str, int]]:
        """Bytes held per field store: FAISS, id arrays, set membership, lexical counts."""
        out: dict[str, dict[str, int]] = {}
        for f, fv in self.vectors.items():
            out[f] = {"faiss": fv.memory_bytes(), "ids": int(fv.ids.nbytes), "vectors": len(fv)}
        for f, sets in self.sets.items():
            members = sets.members
            member_bytes = sum(int(a.nbytes) + sys.getsizeof(a) for a in members.values())
            member_bytes += sys.getsizeof(members) + 28 * len(members)  # dict slots + int keys
            out[f] = {
                "faiss": sets.vectors.memory_bytes(),
                "ids": int(sets.vectors.ids.nbytes),
                "members": member_bytes,
                "vectors": len(sets.vectors),
            }
        c = self.lexical.counts
        out["lexical"] = {
            "matrix": int(c.data.nbytes + c.indices.nbytes + c.indptr.nbytes),
            "df": int(self.lexical.df.nbytes),
            "nnz": int(c.nnz),
        }
        return out

    # ----------------------------------------------------------------- changing
    def add(
        self, table: pd.DataFrame, encoded: dict[str, tuple], wholes: list[str], dim: int
    ) -> None:
        """Append ``table``'s trials with their encoded fields (see
        :func:`~simtrials.index.encode.encode_table`), whole texts and the vectors' length.
        All field stores change, or (when one fails) none."""
        if self.factory is None:
            self.factory = choose_factory(len(table), self.spec)
        ids = np.arange(self.next_id, self.next_id + len(table), dtype=np.int64)
        kind_rows = KindIndex.rows_of(table.to_dict("records"))  # before any change
        added: list[str] = []
        try:
            for f, enc in encoded.items():
                if f in SET_FIELDS:
                    self.sets.setdefault(f, ItemSets(dim)).add(ids, *enc)
                else:
                    vecs, has = enc
                    fv = self.vectors.get(f)
                    if fv is None:
                        fv = self.vectors[f] = FieldVectors(
                            dim, self.factory, ef_search=self.ef_search, nprobe=self.nprobe
                        )
                    fv.add(ids[has], vecs[has])
                added.append(f)
            self.lexical.add(wholes)
        except Exception:
            for f in added:
                (self.sets[f] if f in self.sets else self.vectors[f]).remove(ids)
            raise
        self.kinds.append(kind_rows)
        self.derived.clear()
        self.next_id += len(table)
        base = len(self.ids)
        self.ids = np.concatenate([self.ids, ids])
        new_nct = table["nct_id"].to_numpy(dtype=object)
        self.nct = np.concatenate([self.nct, new_nct])
        self._parts.append(table.reset_index(drop=True))
        self.row.update({n: base + i for i, n in enumerate(new_nct)})

    def remove_rows(self, rows: np.ndarray) -> None:
        """Remove the trials at ``rows`` from everything (nothing here can fail half-way)."""
        if len(rows) == 0:
            return
        keep = np.ones(len(self.ids), dtype=bool)
        keep[rows] = False
        gone = self.ids[rows]
        for store in [*self.vectors.values(), *self.sets.values()]:
            store.remove(gone)
        self.lexical.remove_rows(keep)
        self.kinds.keep(keep)
        self.derived.clear()
        self.ids = self.ids[keep]
        self._set_table(self.table[keep].reset_index(drop=True))

    # ----------------------------------------------------------------- persistence
    def save(self, path: Any, settings: dict[str, Any]) -> Path:
        """Save everything (atomically, see :mod:`simtrials.persist`) with the facade's
        ``settings`` (model, scoring, index) in the manifest. Returns the directory."""
        trials = self.table

        def write_trials(target: Path) -> None:
            trials.to_parquet(target, index=False, compression="zstd")

        files: dict[str, Any] = {"trials.parquet": write_trials}
        files["ids.npy"] = persist.save_npy(self.ids)
        fields_state = {}
        for f, fv in self.vectors.items():
            files.update(fv.files(f"field_{f}"))
            fields_state[f] = fv.state()
        for f, sets in self.sets.items():
            files.update(sets.files(f"set_{f}"))
        files.update(self.lexical.files("lexical"))
        kind_arrays, kind_columns = self.kinds.to_arrays()
        files["kinds.npz"] = persist.save_npz(kind_arrays)
        files["kinds_columns.json"] = kind_columns.encode("utf-8")
        manifest = {
            "library": "simtrials",
            **settings,
            "fields_state": fields_state,
            "counts": {"trials": len(self), "next_id": int(self.next_id)},
        }
        return persist.write_index_dir(path, files, manifest)

    @classmethod
    def load(
        cls, path: Any, data: Path, manifest: dict, fields: Any, dim: int, index: dict
    ) -> TrialStore:
        """The store of a saved index (``data``: its data folder, from ``read_manifest``).

        Raises
        ------
        IndexFormatError
            A file that cannot be read, or files that disagree on the number of trials.
        """
        store = cls(
            index["spec"], index["factory"], ef_search=index["ef_search"], nprobe=index["nprobe"]
        )
        listed = manifest["files"]
        try:
            table = pd.read_parquet(data / "trials.parquet")
            store._set_table(schema.validate(table, source=str(data / "trials.parquet")))
            store.ids = persist.load_npy(data / "ids.npy").astype(np.int64)
            for f in fields:
                if f in SET_FIELDS and f"field_{f}.faiss" in listed:
                    raise IndexFormatError(
                        f"{path}: the field {f!r} was saved as one text per trial by an older "
                        "simtrials; it is a set of items now: rebuild the index with "
                        "TrialIndex.build (or `simtrials build`)"
                    )
                if f"set_{f}.npz" in listed:
                    store.sets[f] = ItemSets.load(data, f"set_{f}", dim)
                elif f"field_{f}.faiss" in listed:
                    state = manifest.get("fields_state", {}).get(f, {})
                    store.vectors[f] = FieldVectors.load(
                        data, f"field_{f}", dim, index["factory"], state=state,
                        ef_search=index["ef_search"], nprobe=index["nprobe"],
                    )  # fmt: skip
            store.lexical = LexicalIndex.load(data, "lexical")
            kinds = None
            if "kinds.npz" in listed:
                kinds = KindIndex.from_arrays(
                    persist.load_npz(data / "kinds.npz"),
                    (data / "kinds_columns.json").read_text(encoding="utf-8"),
                )
            # saved before the kinds were stored, or with another class table: rebuild them
            store.kinds = kinds if kinds is not None else KindIndex.from_table(store.table)
            store.next_id = int(manifest["counts"]["next_id"])
        except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError) as exc:
            raise IndexFormatError(f"{path}: cannot read the saved index ({exc})") from None
        n = len(store.table)
        if len(store.ids) != n or len(store.lexical) != n or len(store.kinds) != n:
            raise IndexFormatError(f"{path}: the saved files disagree on the number of trials")
        return store
