"""The intervention classes and kinds of every indexed trial, as sparse 0/1 columns.

Built from the records by :func:`simtrials.vocab.intervention_classes` (no model), kept in
row order beside the trial table, and matched against a query's classes with one sparse
product per column group: shared specific classes (match 1), shared broad classes or specific
kinds (match 0.6), as :func:`simtrials.vocab.intervention_match` defines them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..vocab import intervention_classes
from ..vocab._classes import CLASSES, KINDS, SPECIFIC_KINDS
from ..vocab.interventions import CLASS_MATCH, GENERIC_CLASSES, KIND_MATCH, UNINFORMATIVE_CLASSES

__all__ = ["KindIndex", "COLUMNS"]

_CLASS_NAMES = list(dict.fromkeys(c for _p, c, _k, _s in CLASSES))
#: Column labels: every class, then every kind (prefixed "kind:").
COLUMNS: tuple[str, ...] = tuple(_CLASS_NAMES + [f"kind:{k}" for k in KINDS])
_POS = {c: i for i, c in enumerate(COLUMNS)}
_SPECIFIC = np.array([c in _CLASS_NAMES and c not in GENERIC_CLASSES for c in COLUMNS])
_BROAD = np.array(
    [
        (c in GENERIC_CLASSES and c not in UNINFORMATIVE_CLASSES)
        or (c.startswith("kind:") and c[5:] in SPECIFIC_KINDS)
        for c in COLUMNS
    ]
)


def _row(classes: Iterable[str], kinds: Iterable[str]) -> list[int]:
    cols = [_POS[c] for c in classes if c in _POS] + [_POS[f"kind:{k}"] for k in kinds]
    return sorted(set(cols))


class KindIndex:
    """Trials x (classes + kinds) as a sparse 0/1 matrix, in the trial table's row order."""

    def __init__(self) -> None:
        self._matrix = sp.csr_matrix((0, len(COLUMNS)), dtype=np.uint8)

    def __len__(self) -> int:
        return self._matrix.shape[0]

    @staticmethod
    def rows_of(records: Iterable[Mapping]) -> sp.csr_matrix:
        """The 0/1 rows of some records (touches no index)."""
        indptr, indices = [0], []
        for rec in records:
            indices.extend(_row(*intervention_classes(rec)))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.uint8)
        return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(COLUMNS)))

    def append(self, rows: sp.csr_matrix) -> None:
        """Append rows made by :meth:`rows_of` (one per new trial, in row order)."""
        self._matrix = sp.vstack([self._matrix, rows], format="csr")

    def keep(self, mask: np.ndarray) -> None:
        """Keep the rows where ``mask`` is True (after removals)."""
        self._matrix = self._matrix[np.flatnonzero(mask)]

    def match(self, classes: Iterable[str], kinds: Iterable[str], rows: np.ndarray) -> np.ndarray:
        """Class match of a query's ``(classes, kinds)`` with the trials at ``rows``."""
        q = np.zeros(len(COLUMNS), dtype=np.float32)
        q[_row(classes, kinds)] = 1.0
        if not q.any() or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        sub = self._matrix[rows]
        specific = sub @ (q * _SPECIFIC) > 0
        broad = sub @ (q * _BROAD) > 0
        return np.where(specific, CLASS_MATCH, np.where(broad, KIND_MATCH, 0.0)).astype(np.float32)

    def match_many(self, queries: Iterable[tuple[Iterable[str], Iterable[str]]]) -> np.ndarray:
        """Class match of each query's ``(classes, kinds)`` with every trial: queries x trials
        (the numbers of :meth:`match`, by two sparse products over the whole matrix)."""
        cols = [_row(classes, kinds) for classes, kinds in queries]
        q = np.zeros((len(COLUMNS), len(cols)), dtype=np.float32)
        for j, c in enumerate(cols):
            q[c, j] = 1.0
        m = self._matrix
        specific = np.asarray(m @ (q * _SPECIFIC[:, None])) > 0
        broad = np.asarray(m @ (q * _BROAD[:, None])) > 0
        out = np.where(specific, CLASS_MATCH, np.where(broad, KIND_MATCH, 0.0)).astype(np.float32)
        return np.ascontiguousarray(out.T)

    def match_pairs(
        self, queries: list[tuple[Iterable[str], Iterable[str]]], qi: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Class match of each pair: query ``queries[qi[p]]``'s ``(classes, kinds)`` with the
        trial at ``rows[p]`` (the numbers of :meth:`match`)."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        q = np.zeros((len(COLUMNS), len(queries)), dtype=np.float32)
        for j, (classes, kinds) in enumerate(queries):
            q[_row(classes, kinds), j] = 1.0
        sub, picked = self._matrix[rows], (np.arange(len(rows)), qi)
        specific = np.asarray(sub @ (q * _SPECIFIC[:, None]))[picked] > 0
        broad = np.asarray(sub @ (q * _BROAD[:, None]))[picked] > 0
        return np.where(specific, CLASS_MATCH, np.where(broad, KIND_MATCH, 0.0)).astype(np.float32)

    def labels(self, row: int) -> list[str]:
        """The classes and kinds of the trial at ``row`` (for reasons and tests)."""
        start, end = self._matrix.indptr[row], self._matrix.indptr[row + 1]
        return [COLUMNS[i] for i in self._matrix.indices[start:end]]

    # ------------------------------------------------------------------ persistence
    def to_arrays(self) -> tuple[dict[str, np.ndarray], str]:
        """Arrays and the column labels (JSON) to save."""
        m = self._matrix
        arrays = {"indptr": m.indptr.astype(np.int64), "indices": m.indices.astype(np.int32)}
        return arrays, json.dumps(list(COLUMNS))

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], columns_json: str) -> KindIndex | None:
        """Load saved arrays; ``None`` when they were saved with another class table (then
        rebuild with :meth:`from_table`: the classes are a pure function of the records)."""
        if json.loads(columns_json) != list(COLUMNS):
            return None
        indptr = np.asarray(arrays["indptr"], dtype=np.int64)
        indices = np.asarray(arrays["indices"], dtype=np.int32)
        idx = cls()
        data = np.ones(len(indices), dtype=np.uint8)
        idx._matrix = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(COLUMNS)))
        return idx

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> KindIndex:
        """Build from a trial table (an index saved before the kinds were stored)."""
        idx = cls()
        idx.append(cls.rows_of(table.to_dict("records")))
        return idx
