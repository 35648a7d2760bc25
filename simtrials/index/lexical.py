"""Lexical similarity: TF-IDF cosine over each trial's whole text, kept incrementally.

Tokenization is scikit-learn's (``CountVectorizer``'s analyzer: lower case, English stop words
removed, word unigrams) and the weighting is scikit-learn's TF-IDF (sublinear tf, smoothed
idf, l2 norm). Unlike a fitted ``TfidfVectorizer``, the index keeps raw term counts and
document frequencies, and computes idf at query time, so adding or removing trials gives
exactly the scores of a model fitted afresh on the new corpus. It saves as plain arrays and a
JSON vocabulary (no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from .. import persist

__all__ = ["LexicalIndex"]


# The labels simtrials writes into a trial's whole text ("Conditions: …") say nothing about it.
_STOP_WORDS = sorted(ENGLISH_STOP_WORDS | {"conditions", "interventions"})


def _analyzer():
    return CountVectorizer(
        lowercase=True, stop_words=_STOP_WORDS, token_pattern=r"(?u)\b\w[\w\-]*\w\b|\b\w\b"
    ).build_analyzer()


class LexicalIndex:
    """Term counts of every trial's text, rows aligned with the index's trial table."""

    def __init__(self) -> None:
        self._analyze = _analyzer()
        self.vocabulary: dict[str, int] = {}
        self._blocks: list[sp.csr_matrix] = []
        self._rows = 0
        self.df = np.zeros(0, dtype=np.int64)
        self._idf_cache: np.ndarray | None = None

    def __len__(self) -> int:
        return self._rows

    # ----------------------------------------------------------------- building
    def _count(self, texts: Sequence[str], *, grow: bool) -> sp.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            row: dict[int, int] = {}
            for tok in self._analyze(text or ""):
                j = self.vocabulary.get(tok)
                if j is None:
                    if not grow:
                        continue
                    j = self.vocabulary[tok] = len(self.vocabulary)
                row[j] = row.get(j, 0) + 1
            indices.extend(row)
            data.extend(row.values())
            indptr.append(len(indices))
        return sp.csr_matrix(
            (
                np.asarray(data, np.float32),
                np.asarray(indices, np.int64),
                np.asarray(indptr, np.int64),
            ),
            shape=(len(texts), len(self.vocabulary)),
        )

    @property
    def counts(self) -> sp.csr_matrix:
        """Term counts, one row per trial (appended blocks are stacked on first use)."""
        if len(self._blocks) > 1 or (
            self._blocks and self._blocks[0].shape[1] < len(self.vocabulary)
        ):
            width = len(self.vocabulary)
            blocks = [
                sp.csr_matrix((b.data, b.indices, b.indptr), shape=(b.shape[0], width))
                for b in self._blocks
            ]
            self._blocks = [sp.vstack(blocks, format="csr")]
        return (
            self._blocks[0]
            if self._blocks
            else sp.csr_matrix((0, len(self.vocabulary)), dtype=np.float32)
        )

    @counts.setter
    def counts(self, matrix: sp.csr_matrix) -> None:
        self._blocks = [matrix]

    def add(self, texts: Sequence[str]) -> None:
        """Append one row per text (cheap: the rows are stacked lazily)."""
        new = self._count(texts, grow=True)
        self._rows += new.shape[0]
        width = len(self.vocabulary)
        self._blocks.append(new)
        df = np.zeros(width, dtype=np.int64)
        df[: len(self.df)] = self.df
        df += np.bincount(new.indices, minlength=width)[:width]
        self.df = df
        self._idf_cache = None

    def remove_rows(self, keep: np.ndarray) -> None:
        """Keep only the rows where ``keep`` is True."""
        dropped = self.counts[~keep]
        self.df = self.df - np.bincount(dropped.indices, minlength=len(self.df))
        self.counts = self.counts[keep]
        self._rows = self.counts.shape[0]
        self._idf_cache = None

    # ----------------------------------------------------------------- scoring
    def _idf(self) -> np.ndarray:
        if self._idf_cache is None:
            n = self._rows
            self._idf_cache = (np.log((1.0 + n) / (1.0 + self.df)) + 1.0).astype(np.float32)
        return self._idf_cache

    def _weigh(self, counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        m = counts.astype(np.float32, copy=True)
        m.data = (1.0 + np.log(m.data)) * idf[m.indices]
        # each row to unit length (sklearn's normalize, without its checks: 0.3 ms a call,
        # more than the rest for the few rows of one query's candidates)
        row_of = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=np.square(m.data, dtype=np.float64),
                                    minlength=m.shape[0]))  # fmt: skip
        norms[norms == 0] = 1.0
        m.data /= norms[row_of].astype(np.float32)
        return m

    def query_vector(self, text: str) -> sp.csr_matrix:
        """The TF-IDF vector of a query text (words not in the corpus are ignored)."""
        counts = self._count([text], grow=False)
        if counts.shape[1] < len(self.df):
            counts = sp.csr_matrix(
                (counts.data, counts.indices, counts.indptr), shape=(1, len(self.df))
            )
        return self._weigh(counts, self._idf())

    def row_vector(self, row: int) -> sp.csr_matrix:
        """The TF-IDF vector of an indexed trial."""
        return self._weigh(self.counts[row], self._idf())

    def scores(self, query: sp.csr_matrix, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine between the query vector and the given rows (all rows when ``None``)."""
        docs = self.counts if rows is None else self.counts[rows]
        if docs.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        weighted = self._weigh(docs, self._idf())
        return np.asarray((weighted @ query.T).todense()).ravel().astype(np.float32)

    def shared_terms(self, a: sp.csr_matrix, b: sp.csr_matrix, n: int = 8) -> list[str]:
        """The terms two TF-IDF vectors share, by their contribution to the cosine."""
        prod = a.multiply(b).tocsr()
        if prod.nnz == 0:
            return []
        order = np.argsort(-prod.data)[:n]
        inverse = {j: t for t, j in self.vocabulary.items()}
        return [inverse[int(prod.indices[i])] for i in order]

    # ----------------------------------------------------------------- persistence
    def to_arrays(self) -> tuple[dict[str, np.ndarray], str]:
        """Plain arrays and a JSON vocabulary, for saving without pickle."""
        c = self.counts
        arrays = {
            "data": c.data,
            "indices": c.indices,
            "indptr": c.indptr,
            "shape": np.array(c.shape),
            "df": self.df,
        }
        vocab = json.dumps(sorted(self.vocabulary, key=self.vocabulary.get), ensure_ascii=False)
        return arrays, vocab

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], vocab_json: str) -> LexicalIndex:
        lex = cls()
        terms = json.loads(vocab_json)
        lex.vocabulary = {t: i for i, t in enumerate(terms)}
        shape = tuple(int(x) for x in arrays["shape"])
        lex.counts = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape
        )
        lex._rows = shape[0]
        lex.df = np.asarray(arrays["df"], dtype=np.int64)
        return lex

    def files(self, name: str) -> dict:
        """The files of a save: ``<name>.npz`` and ``<name>_vocab.json`` (see :meth:`load`)."""
        arrays, vocab = self.to_arrays()
        return {
            f"{name}.npz": persist.save_npz(arrays),
            f"{name}_vocab.json": vocab.encode("utf-8"),
        }

    @classmethod
    def load(cls, folder: Path, name: str) -> LexicalIndex:
        """The index :meth:`files` saved in ``folder``."""
        return cls.from_arrays(
            persist.load_npz(folder / f"{name}.npz"),
            (folder / f"{name}_vocab.json").read_text(encoding="utf-8"),
        )
