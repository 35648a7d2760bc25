"""Baselines to evaluate :class:`~simtrials.TrialIndex` against: what a user would do without it.

Each baseline is built from the same normalized trial table as the index
(``Baseline.build(trials)``) and answers the same query contract as
:meth:`TrialIndex.similar <simtrials.TrialIndex.similar>` for an indexed NCT ID:
``similar(nct_id, k=10, candidates=None)`` returns a DataFrame ``rank, nct_id, title, score``,
best first, ties broken by NCT ID, the query trial itself left out.

- :class:`TfidfBaseline`: scikit-learn ``TfidfVectorizer`` over each trial's whole text
  (:func:`simtrials.represent.whole_text`), cosine similarity.
- :class:`BM25Baseline`: ``bm25s`` BM25 over the same text, the query trial's whole text as
  the query.
- :class:`DenseConcatBaseline`: one sentence-transformers vector per trial of its whole text
  (the model's own truncation), cosine similarity.
- :class:`RandomBaseline`: a seeded random order (the floor any method must beat).

The query trial must be in the baseline (these exist to be evaluated, not to search drafts).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import schema
from .embed import Embedder
from .errors import DuplicateTrialError, TrialNotFoundError
from .io import read_ctgov
from .represent import whole_text
from .search.query import check_k, shortlist_rows

__all__ = [
    "Baseline",
    "TfidfBaseline",
    "BM25Baseline",
    "DenseConcatBaseline",
    "RandomBaseline",
]


def _as_table(trials: Any) -> pd.DataFrame:
    """A normalized trial table from a DataFrame or anything :func:`read_ctgov` reads."""
    if isinstance(trials, pd.DataFrame) and "source" in trials.columns:
        table = schema.validate(trials, source="DataFrame")
    else:
        table = read_ctgov(trials)
    dup = table["nct_id"][table["nct_id"].duplicated()]
    if len(dup):
        raise DuplicateTrialError(f"trial {dup.iloc[0]} appears more than once")
    return table.reset_index(drop=True)


class Baseline:
    """Shared query logic of the baselines; subclasses implement :meth:`build` and ``_scores``.

    The constructor does no work; use ``build``.
    """

    name = "baseline"

    def __init__(self) -> None:
        self._ids: np.ndarray = np.zeros(0, dtype=object)
        self._titles: np.ndarray = np.zeros(0, dtype=object)
        self._row: dict[str, int] = {}

    def _set_trials(self, table: pd.DataFrame) -> None:
        self._ids = table["nct_id"].astype(str).to_numpy(dtype=object)
        self._titles = table["title"].astype(object).to_numpy()
        self._row = {n: i for i, n in enumerate(self._ids)}

    @classmethod
    def build(cls, trials: Any, **kwargs: Any) -> Baseline:
        """Build the baseline over ``trials`` (a normalized DataFrame, or anything
        :func:`simtrials.read_ctgov` reads)."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, nct_id: object) -> bool:
        return isinstance(nct_id, str) and nct_id in self._row

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} trials)"

    def _scores(self, query_row: int, rows: np.ndarray) -> np.ndarray:
        """Similarity of the trial at ``query_row`` to the trials at ``rows``."""
        raise NotImplementedError

    def similar(
        self, query: str, k: int | None = 10, *, candidates: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The indexed trials most similar to the indexed trial ``query``, best first.

        Parameters
        ----------
        query
            The NCT ID of an indexed trial.
        k
            How many hits (default 10; with ``candidates``, ``None`` means all of them).
        candidates
            Rank only these NCT IDs.

        Returns
        -------
        pandas.DataFrame
            ``rank, nct_id, title, score``, best first (ties by NCT ID), without the query.

        Raises
        ------
        TrialNotFoundError
            ``query`` or a candidate is not in the baseline.
        QueryError
            ``k`` is not a whole number >= 1.
        """
        if not isinstance(query, str) or query not in self._row:
            raise TrialNotFoundError(str(query))
        qrow = self._row[query]
        if candidates is not None:
            rows = shortlist_rows(candidates, self._row, "baseline")
            k_eff = len(rows) if k is None else check_k(k)
        else:
            rows = np.arange(len(self), dtype=np.int64)
            k_eff = check_k(10 if k is None else k)
        rows = rows[rows != qrow]
        scores = np.asarray(self._scores(qrow, rows), dtype=np.float64)
        order = np.lexsort((self._ids[rows], -scores))[:k_eff]
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(order) + 1),
                "nct_id": self._ids[rows[order]].astype(str),
                "title": self._titles[rows[order]],
                "score": scores[order],
            }
        )


def _whole_texts(table: pd.DataFrame) -> list[str]:
    return [whole_text(r) for r in table.to_dict("records")]


class TfidfBaseline(Baseline):
    """TF-IDF cosine of the trials' whole texts (scikit-learn ``TfidfVectorizer``).

    Parameters of :meth:`build` beyond ``trials`` go to ``TfidfVectorizer``; the default is
    English stop words and sublinear tf (the stronger of the variants tried on the dev pairs).
    """

    name = "tfidf"

    @classmethod
    def build(cls, trials: Any, **vectorizer_kwargs: Any) -> TfidfBaseline:
        """Fit TF-IDF on the whole text of every trial."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        table = _as_table(trials)
        self = cls()
        self._set_trials(table)
        kwargs = {"stop_words": "english", "sublinear_tf": True, **vectorizer_kwargs}
        self.vectorizer = TfidfVectorizer(**kwargs)
        self._matrix = self.vectorizer.fit_transform(_whole_texts(table)).tocsr()
        return self

    def _scores(self, query_row: int, rows: np.ndarray) -> np.ndarray:
        q = self._matrix[query_row]
        return np.asarray((self._matrix[rows] @ q.T).todense()).ravel()


class BM25Baseline(Baseline):
    """BM25 (``bm25s``, Lucene variant) over the whole texts; the query is the query trial's
    whole text, tokenized the same way (English stop words removed)."""

    name = "bm25"

    @classmethod
    def build(
        cls, trials: Any, *, k1: float = 1.5, b: float = 0.75, method: str = "lucene"
    ) -> BM25Baseline:
        """Index the whole text of every trial with BM25."""
        import bm25s

        table = _as_table(trials)
        self = cls()
        self._set_trials(table)
        tokens = bm25s.tokenize(
            _whole_texts(table), stopwords="en", return_ids=False, show_progress=False
        )
        self._tokens = [list(t) for t in tokens]
        self.retriever = bm25s.BM25(k1=k1, b=b, method=method)
        self.retriever.index(self._tokens, show_progress=False)
        return self

    def _scores(self, query_row: int, rows: np.ndarray) -> np.ndarray:
        tokens = self._tokens[query_row]
        if not tokens:
            return np.zeros(len(rows))
        return np.asarray(self.retriever.get_scores(tokens))[rows]


class DenseConcatBaseline(Baseline):
    """One sentence-transformers vector per trial, of its whole text; cosine similarity.

    What a user would do without simtrials: concatenate the record into one text and embed
    it (the model reads the first ``max_seq_length`` tokens).
    """

    name = "dense-concat"

    @classmethod
    def build(
        cls,
        trials: Any,
        *,
        model: str | os.PathLike | None = None,
        embedder: Embedder | None = None,
        show_progress: bool = False,
    ) -> DenseConcatBaseline:
        """Encode the whole text of every trial.

        Parameters
        ----------
        trials
            A normalized DataFrame, or anything :func:`simtrials.read_ctgov` reads.
        model
            sentence-transformers model name or path (``None``: the packaged default).
        embedder
            An existing :class:`~simtrials.embed.Embedder` (its model and cache) to reuse.
        show_progress
            Show a progress bar while encoding.
        """
        if embedder is None:
            embedder = Embedder(model)
        elif model is not None and str(model) != embedder.name:
            raise ValueError(f"model {model!r} differs from the embedder's model {embedder.name!r}")
        table = _as_table(trials)
        self = cls()
        self._set_trials(table)
        self.embedder = embedder
        self._vectors = embedder.encode(_whole_texts(table), show_progress=show_progress)
        return self

    def _scores(self, query_row: int, rows: np.ndarray) -> np.ndarray:
        return self._vectors[rows] @ self._vectors[query_row]


class RandomBaseline(Baseline):
    """A random order, reproducible: each (seed, query) draws one random score per trial, so a
    trial's score does not depend on which other candidates are ranked with it."""

    name = "random"

    @classmethod
    def build(cls, trials: Any, *, seed: int = 0) -> RandomBaseline:
        """Hold the trials' IDs; ``seed`` fixes the random orders."""
        table = _as_table(trials)
        self = cls()
        self._set_trials(table)
        self.seed = int(seed)
        return self

    def _scores(self, query_row: int, rows: np.ndarray) -> np.ndarray:
        key = zlib.crc32(str(self._ids[query_row]).encode("utf-8"))
        return np.random.default_rng([self.seed, key]).random(len(self))[rows]
