"""``TrialIndex``: build an index of trials, then ask for the trials most like a query.

The facade over the stages a query passes through once, each in its own module::

    build:  trials --read_ctgov--> table --index.encode--> vectors per field
            --index.store.TrialStore--> FAISS per field, condition sets, TF-IDF, the table
    query:  query --search.query--> Query --search.candidates--> rows
            --search.similarity + score + relatedness--> Parts (scored once)
            --search.hits--> ranked Hits with reasons (--search.explain--> Explanation)

How a score is made: :mod:`simtrials.search.relatedness`; defaults: :mod:`simtrials.defaults`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import persist
from .defaults import CHUNK_SIZE, DEFAULT_LEXICAL_WEIGHT, EF_SEARCH, EXACT_THRESHOLD, NPROBE
from .embed import Embedder
from .errors import DuplicateTrialError, TrialNotFoundError
from .index import saved
from .index.encode import QueryEncoder, chunks, encode_table, make_embedder
from .index.store import TrialStore
from .index.vectors import choose_factory
from .io import read_ctgov
from .represent import whole_text
from .search import batch, explain, hits
from .search.query import Query, from_text, id_list, is_nct_id, query_point, require_known, resolve
from .search.relatedness import resolve_weights
from .search.results import Hits
from .search.settings import Scoring

__all__ = ["TrialIndex", "DEFAULT_LEXICAL_WEIGHT"]


class TrialIndex:
    """An index of clinical trials for related-trial search: :meth:`build` one (or :meth:`load`
    a saved one; the constructor does no work), then ``index.similar("NCT03735277", k=10)``."""

    #: Below this many allowed trials, every one is scored exactly even with an ANN index.
    exact_threshold: int = EXACT_THRESHOLD

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        scoring: Scoring | None = None,
        index: str = "auto",
        ef_search: int = EF_SEARCH,
        nprobe: int = NPROBE,
    ) -> None:
        self.embedder = embedder if embedder is not None else Embedder()
        self.scoring = scoring if scoring is not None else Scoring.create()
        self.index_spec = index
        self.ef_search = ef_search
        self.nprobe = nprobe
        self._store = TrialStore(index, ef_search=ef_search, nprobe=nprobe)
        self._lock = threading.RLock()
        self._encoder = QueryEncoder(self.embedder)  # load sets the fingerprint to check
        self._saved: dict[str, Any] = {}  # what load read: the path, the model's record

    # ================================================================== building
    @classmethod
    def build(
        cls,
        trials: Any,
        *,
        model: str | os.PathLike | None = None,
        fields: Mapping[str, float] | Sequence[str] | None = None,
        lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
        caps: Mapping[str, float] | None = None,
        index: str = "auto",
        show_progress: bool = True,
        device: str | None = None,
        batch_size: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        embedder: Embedder | None = None,
        ef_search: int = EF_SEARCH,
        nprobe: int = NPROBE,
        chunk_size: int = CHUNK_SIZE,
    ) -> TrialIndex:
        """Index trials.

        Parameters
        ----------
        trials
            A normalized DataFrame, or anything :func:`simtrials.read_ctgov` reads.
        model
            sentence-transformers model name or local path; ``None`` is the packaged
            all-MiniLM-L6-v2 (offline).
        fields
            Field -> weight (or a list of fields, equal weights). Fields: ``title``,
            ``summary``, ``conditions``, ``interventions``, ``eligibility``, ``all``.
        lexical_weight
            Share of the TF-IDF score in the fused score, in [0, 1].
        caps
            Field -> cap on its cosine in the score (default ``{"conditions": 0.6}``: a
            "same condition" gate); ``{}`` for none.
        index
            ``"auto"`` (exact ``Flat`` below 50,000 trials, ``HNSW32`` above), ``"flat"``, or
            any FAISS factory string (``"HNSW32"``, ``"IVF1024,Flat"``, ``"SQfp16"`` …).
        show_progress
            Show progress bars while encoding.
        device, batch_size, cache_dir
            Passed to the :class:`~simtrials.embed.Embedder` (``cache_dir`` persists the
            embedding cache, so rebuilds do not re-encode unchanged text). Not with
            ``embedder`` (a ValueError: set them on that embedder).
        embedder
            An existing :class:`~simtrials.embed.Embedder` to reuse (its model and cache).
        ef_search, nprobe
            HNSW search depth / IVF lists probed, when an ANN index is used.
        chunk_size
            Trials encoded and indexed per step: memory stays bounded, and with ``cache_dir``
            an interrupted build resumes without re-encoding the finished chunks.
        """
        scoring = Scoring.create(fields, lexical_weight, caps)
        options = {"device": device, "batch_size": batch_size, "cache_dir": cache_dir}
        embedder = make_embedder(embedder, model, options)
        idx = cls(
            embedder=embedder,
            scoring=scoring,
            index="Flat" if index == "flat" else index,
            ef_search=ef_search,
            nprobe=nprobe,
        )
        table = read_ctgov(trials)
        idx._store.factory = choose_factory(len(table), idx.index_spec)
        for part, progress in chunks(table, chunk_size, show_progress=show_progress):
            idx._add_table(part, show_progress=progress)
        return idx

    def _add_table(self, table: pd.DataFrame, *, show_progress: bool) -> None:
        """Encode first, then change state, so a failure leaves the index as it was."""
        if len(table) == 0:
            return
        fields = list(self.scoring.fields)
        encoded = encode_table(
            table, fields, self.embedder, self._store.sets, show_progress=show_progress
        )
        wholes = [whole_text(r) for r in table.to_dict("records")]
        with self._lock:
            self._store.add(table, encoded, wholes, self.embedder.dimension)

    # ================================================================== changing
    def add(self, trials: Any, *, show_progress: bool = False) -> TrialIndex:
        """Add trials that are not in the index yet; a :class:`DuplicateTrialError` (nothing
        added) when some NCT IDs are indexed already (use :meth:`update`)."""
        table = read_ctgov(trials)  # validates a DataFrame and keeps one record per NCT ID
        with self._lock:
            dup = [n for n in table["nct_id"] if n in self._store.row]
            if dup:
                raise DuplicateTrialError(
                    f"{len(dup)} trial(s) already in the index: {', '.join(dup[:5])}"
                    f"{' …' if len(dup) > 5 else ''}; use update() to replace them"
                )
            self._add_table(table, show_progress=show_progress)
        return self

    def update(self, trials: Any, *, show_progress: bool = False) -> TrialIndex:
        """Replace indexed trials with new versions of their records; a
        :class:`TrialNotFoundError` (nothing changed) for NCT IDs not indexed (use :meth:`add`)."""
        table = read_ctgov(trials)
        with self._lock:
            require_known(table["nct_id"], self._store.row, "cannot update trials not in the index")
            old_rows = self._rows(table["nct_id"])
            self._add_table(table, show_progress=show_progress)  # undoes itself if it fails
            self._store.remove_rows(old_rows)  # the old versions; nothing here can fail half-way
        return self

    def remove(self, nct_ids: str | Iterable[str]) -> TrialIndex:
        """Remove trials by NCT ID; a :class:`TrialNotFoundError` (nothing removed) for one
        that is not indexed."""
        ids = id_list(nct_ids, "remove()")
        with self._lock:
            require_known(ids, self._store.row, "cannot remove trials not in the index")
            self._store.remove_rows(self._rows(ids))
        return self

    def _rows(self, nct_ids: Iterable[str]) -> np.ndarray:
        return np.array(sorted({self._store.row[n] for n in nct_ids}), dtype=np.int64)

    # ================================================================== reading
    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, nct_id: object) -> bool:
        return isinstance(nct_id, str) and nct_id in self._store.row

    @property
    def trials(self) -> pd.DataFrame:
        """The normalized records the index holds (a copy)."""
        return self._store.table.copy()

    @property
    def store(self) -> TrialStore:
        """The stores behind the index (for inspection: change the index through its methods)."""
        return self._store

    @property
    def fields(self) -> dict[str, float]:
        """Field -> weight used in the semantic score."""
        return dict(self.scoring.fields)

    @property
    def index_type(self) -> str:
        """The FAISS factory string in use (``"Flat"`` means exact search)."""
        return self._store.factory or choose_factory(len(self), self.index_spec)

    @property
    def exact(self) -> bool:
        """Whether searches score every allowed trial exactly (no ANN candidate step)."""
        return self.index_type == "Flat" or len(self) <= self.exact_threshold

    def vectors(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors, has_field)`` of every indexed trial for one field, in ``trials`` order.

        For the set-valued ``conditions`` field, a trial's vector is the mean of its items'.
        """
        if not self._store.has_field(field):
            raise ValueError(
                f"field {field!r} is not indexed; fields: {', '.join(self.scoring.fields)}"
            )
        return self._store.field_vectors(field)

    def trial_vectors(self) -> np.ndarray:
        """One vector per trial: the weighted mean of its field vectors, re-normalized (for maps)."""
        total = np.zeros((len(self), self.embedder.dimension), dtype=np.float32)
        for f, w in self.scoring.fields.items():
            if w and self._store.has_field(f):
                vecs, has = self.vectors(f)
                total[has] += w * vecs[has]
        return total / np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)

    def query_vector(self, query: Any) -> np.ndarray:
        """A query as one unit vector, made as :meth:`trial_vectors` makes a trial's (a free
        text, given as a :meth:`text_query`: its vector), to place it among the trials."""
        fields = {f: w for f, w in self.scoring.fields.items() if self._store.has_field(f)}
        return query_point(self.query(query), fields, self.embedder.dimension)

    def describe(self) -> dict[str, Any]:
        """What the index holds: size, model, scoring settings, index type, exactness
        (without loading the model when the index was loaded from disk)."""
        e = self.embedder
        model = self._saved.get("model") or {
            "name": e.name, "dimension": e.dimension, "fingerprint": e.fingerprint
        }  # fmt: skip
        return {
            "path": self._saved.get("path"),
            "trials": len(self),
            "model": model["name"],
            "dimension": int(model["dimension"]),
            "model_fingerprint": model["fingerprint"],
            **self.scoring.to_dict(),
            "index_type": self.index_type,
            "exact": self.exact,
            "format_version": self._saved.get("format_version", persist.FORMAT_VERSION),
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={w:g}" for f, w in self.scoring.fields.items())
        return (
            f"TrialIndex({len(self)} trials, model={self.embedder.name!r}, fields=[{fields}], "
            f"lexical_weight={self.scoring.lexical_weight:g}, index={self.index_type!r} "
            f"({'exact' if self.exact else 'approximate'}))"
        )

    # ================================================================== queries
    def query(self, query: Any) -> Query:
        """Resolve a query once (see :meth:`similar`); a :class:`Query` is returned as it is."""
        if isinstance(query, Query):
            return query
        with self._lock:
            return resolve(query, self._store, self.scoring.fields, self._encoder)

    def text_query(self, text: str) -> Query:
        """A free text as a :class:`Query` (abbreviations expanded, see :meth:`search`)."""
        with self._lock:
            return from_text(text, self._store, self._encoder)

    def similar(
        self,
        query: Any,
        k: int | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        candidates: Sequence[str] | None = None,
        focus: str | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> Hits:
        """The trials most similar to ``query``, best first.

        Parameters
        ----------
        query
            An NCT ID in the index; or a trial that need not be indexed: a raw API v2 study
            dict, a normalized record (Series, dict or 1-row DataFrame). Any fields may be
            missing (a draft has no NCT ID), but at least one of title, summary, conditions or
            interventions must have text. The query trial itself is never returned. A
            :class:`~simtrials.search.query.Query` (from :meth:`query`) is used as it is.
        k
            How many hits: default 10, or all of ``candidates`` when a shortlist is given.
        where
            Filters, e.g. ``{"phases": ["PHASE2", "PHASE3"], "start_date": (">=", "2015-01-01")}``
            (see :mod:`simtrials.search.filters`).
        candidates
            Rank only these NCT IDs (a shortlist).
        focus, weights
            What must match (:mod:`simtrials.search.relatedness`, no rebuild): ``"both"``
            (default: the same condition AND the same kind of intervention first),
            ``"condition"`` or ``"intervention"``; or explicit ``weights`` of the parts
            ``text``, ``condition``, ``intervention`` and ``both``.

        Returns
        -------
        Hits
            A DataFrame (columns: :data:`simtrials.search.results.HIT_COLUMNS`): ``rank,
            nct_id, title, score`` (in [0, 1]), ``condition_match``/``intervention_match``
            (which part matched, in words), the score's parts, ``shared_conditions``,
            ``shared_interventions`` and the hit's phases, status, type, start, conditions
            and interventions.
        """
        parts = resolve_weights(focus, weights)
        with self._lock:
            return self._rank(self.query(query), k, where, candidates, parts)

    def search(
        self,
        text: str,
        k: int | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        candidates: Sequence[str] | None = None,
        focus: str | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> Hits:
        """The trials that best match a free text (a few lines about a trial), best first.

        The text is compared with every field of each trial, and lexically with its whole
        text; its phrases naming an intervention kind ("SGLT2 inhibitor") are matched with
        the trials' interventions, the rest with their conditions. Arguments as in
        :meth:`similar`.
        """
        parts = resolve_weights(focus, weights)
        with self._lock:
            return self._rank(self.text_query(text), k, where, candidates, parts)

    def explain(
        self,
        query: Any,
        nct_id: str,
        *,
        focus: str | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> explain.Explanation:
        """Why the indexed trial ``nct_id`` is similar to ``query`` (``focus``/``weights`` as in
        :meth:`similar`): an :class:`~simtrials.search.explain.Explanation` with the score,
        which part matched (in words), each field's cosine, the lexical score, the shared
        conditions, interventions and weightiest terms."""
        weights = resolve_weights(focus, weights)
        with self._lock:
            text = isinstance(query, str) and not is_nct_id(query)
            q = self.text_query(query) if text else self.query(query)
            if nct_id not in self._store.row:
                raise TrialNotFoundError(nct_id)
            return hits.explain_row(self._store, q, self._store.row[nct_id], self.scoring, weights)

    def landscape(self, query: Any, k: int = 50, *, where: Any = None, **options: Any):
        """What the ``k`` trials most like ``query`` tell a designer (status and why they
        stopped, enrollment, duration, endpoints, sponsors, countries, results): a
        :class:`~simtrials.landscape.Landscape` (see :func:`simtrials.landscape.of_index`)."""
        from .landscape import of_index

        return of_index(self, query, k, where=where, **options)

    def similar_ids(self, query: Any, k: int | None = None, **options: Any) -> batch.Ranked:
        """:meth:`similar`'s ranking as arrays (no table): ``Ranked(nct_ids, scores)``."""
        weights = resolve_weights(options.pop("focus", None), options.pop("weights", None))
        with self._lock:
            return batch.ids_of(self, self.query(query), k, options.get("where"),
                                options.get("candidates"), weights)  # fmt: skip

    def similar_many(self, ids: Any = None, k: int = 10, *, where: Any = None, focus: Any = None,
                     weights: Any = None, show_progress: bool = True, path: Any = None, workers: int = 1) -> Any:  # fmt: skip
        """The hits of ``similar(q, k, where=, focus=, weights=)`` for each indexed trial in
        ``ids`` (``None``: all) in one long DataFrame, or streamed to the parquet file ``path``
        (returns the path), ranked by ``workers`` forked processes: :mod:`~.search.batch`."""
        with self._lock:
            return batch.similar_many(self, ids, k, where=where, weights=resolve_weights(
                focus, weights), show_progress=show_progress, path=path, workers=workers)  # fmt: skip

    def _rank(self, q: Query, k: Any, where: Any, shortlist: Any, weights: Mapping) -> Hits:
        rows, parts = batch.rank(self, q, k, where, shortlist, weights)
        return hits.assemble(self._store, q, rows, parts)

    # ================================================================== persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Save the index to a directory of plain files (atomically; see :mod:`simtrials.persist`).

        Returns the directory. An index saved before at ``path`` stays loadable until the new
        one is complete.
        """
        with self._lock:
            return self._store.save(path, saved.settings(self))

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        *,
        model: str | os.PathLike | None = None,
        embedder: Embedder | None = None,
        device: str | None = None,
        verify: bool = True,
    ) -> TrialIndex:
        """Load a saved index.

        Parameters
        ----------
        path
            The directory :meth:`save` wrote.
        model
            The model to encode new queries with; by default the one recorded in the index.
            A model that gives different vectors than the index's is an error.
        embedder
            An existing :class:`~simtrials.embed.Embedder` to reuse (not with ``device``).
        device
            Where the model runs (``cpu``, ``cuda`` …).
        verify
            Check every file's sha256 against the manifest (default).

        Raises
        ------
        IndexFormatError
            A missing or corrupted file, or a format version newer than this library's.
        ModelMismatchError
            ``model``/``embedder`` is not the model that built the index (dimension or vectors differ).
        ValueError
            ``device`` given with ``embedder``.
        """
        return saved.open_saved(
            cls, path, model=model, embedder=embedder, device=device, verify=verify
        )
