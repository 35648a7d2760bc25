"""``TrialIndex``: build an index of trials, then ask for the trials most like a query.

The whole algorithm, each step a call into its own module::

    trials --read_ctgov--> normalized table --represent--> one text per field
           --Embedder--> unit vectors per field --FieldVectors--> one FAISS index per field
           --LexicalIndex--> TF-IDF counts of the whole text
    query  --same steps--> vectors + TF-IDF --filters--> allowed trials
           --candidates--> exact per-field cosines + lexical --score.fuse--> ranked Hits

See :mod:`simtrials.search.score` for how the score is made.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import persist, schema
from .embed import DEFAULT_MODEL, Embedder
from .errors import (
    DuplicateTrialError,
    IndexFormatError,
    ModelMismatchError,
    QueryError,
    TrialFormatError,
    TrialNotFoundError,
)
from .index.itemsets import ItemSets
from .index.lexical import LexicalIndex
from .index.vectors import FieldVectors, choose_factory
from .io import read_ctgov
from .io.ctgov_json import is_study, parse_study
from .represent import DEFAULT_FIELDS, FIELDS, SET_FIELDS, field_texts, whole_text
from .search import explain as explain_mod
from .search.filters import filter_mask, validate_where
from .search.query import check_k, id_list, require_known, shortlist_rows
from .search.results import Hits
from .search.score import Scoring, cosines, fuse, semantic

__all__ = ["TrialIndex", "DEFAULT_LEXICAL_WEIGHT"]

# Chosen on the judged dev pairs: whole text, capped conditions and TF-IDF weigh one third each.
DEFAULT_LEXICAL_WEIGHT = 1.0 / 3.0
DEFAULT_CAPS = {"conditions": 0.6}
_NCT = re.compile(r"^NCT\d{8}$")
_PLACEHOLDER_ID = "NCT00000000"


class _Query:
    """A resolved query: its record (if any), vectors per field, whole-text vector, TF-IDF vector."""

    def __init__(
        self, label: str, nct_id: str | None, record: dict | None, vectors: dict, whole, lexical
    ) -> None:
        self.label = label
        self.nct_id = nct_id
        self.record = record
        self.vectors = vectors
        self.whole = whole
        self.lexical = lexical


class TrialIndex:
    """An index of clinical trials for related-trial search.

    Build one with :meth:`build` (or :meth:`load` a saved one); the constructor does no work.

    Examples
    --------
    >>> index = TrialIndex.build(st.datasets.load_trials())
    >>> index.similar("NCT03735277", k=10)
    >>> index.search("umbilical cord mesenchymal stem cells for ischemic stroke")
    """

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        scoring: Scoring | None = None,
        index: str = "auto",
        ef_search: int = 128,
        nprobe: int = 32,
    ) -> None:
        self.embedder = embedder if embedder is not None else Embedder()
        self.scoring = (
            scoring
            if scoring is not None
            else Scoring(dict(DEFAULT_FIELDS), DEFAULT_LEXICAL_WEIGHT, dict(DEFAULT_CAPS))
        )
        self.index_spec = index
        self.ef_search = ef_search
        self.nprobe = nprobe
        self._parts: list[pd.DataFrame] = [schema.empty_frame()]  # appended lazily, see _trials
        self._nct = np.zeros(0, dtype=object)  # NCT IDs in row order
        self._ids = np.zeros(0, dtype=np.int64)
        self._row: dict[str, int] = {}
        self._next_id = 0
        self._vectors: dict[str, FieldVectors] = {}
        self._sets: dict[str, ItemSets] = {}
        self._lexical = LexicalIndex()
        self._factory: str | None = None
        self._lock = threading.RLock()
        self._model_checked = True

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
        batch_size: int = 64,
        cache_dir: str | os.PathLike | None = None,
        embedder: Embedder | None = None,
        ef_search: int = 128,
        nprobe: int = 32,
        chunk_size: int = 20_000,
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
            embedding cache, so rebuilds do not re-encode unchanged text).
        embedder
            An existing :class:`~simtrials.embed.Embedder` to reuse (its model and cache).
        ef_search, nprobe
            HNSW search depth / IVF lists probed, when an ANN index is used.
        chunk_size
            Trials encoded and indexed per step: memory stays bounded, and with ``cache_dir``
            an interrupted build resumes without re-encoding the finished chunks.
        """
        weights = _check_fields(fields)
        if not isinstance(lexical_weight, (int, float)) or not 0.0 <= float(lexical_weight) <= 1.0:
            raise ValueError(f"lexical_weight must be a number in [0, 1], got {lexical_weight!r}")
        if embedder is None:
            embedder = Embedder(model, device=device, batch_size=batch_size, cache_dir=cache_dir)
        elif model is not None and str(model) != embedder.name:
            raise ValueError(f"model {model!r} differs from the embedder's model {embedder.name!r}")
        idx = cls(
            embedder=embedder,
            scoring=Scoring(weights, float(lexical_weight), _check_caps(caps, weights)),
            index="Flat" if index == "flat" else index,
            ef_search=ef_search,
            nprobe=nprobe,
        )
        table = _as_table(trials)
        idx._factory = choose_factory(len(table), idx.index_spec)
        idx._add_chunked(table, chunk_size=chunk_size, show_progress=show_progress)
        return idx

    def _add_chunked(self, table: pd.DataFrame, *, chunk_size: int, show_progress: bool) -> None:
        """Add ``table`` in chunks: bounded memory, a progress bar with ETA, and a build that an
        interruption only costs the current chunk (the embedding cache keeps the rest)."""
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive whole number, got {chunk_size!r}")
        if len(table) <= chunk_size:
            self._add_table(table, show_progress=show_progress)
            return
        bar = None
        if show_progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(table), desc="Indexing trials", unit="trial")
        for start in range(0, len(table), chunk_size):
            part = table.iloc[start : start + chunk_size]
            self._add_table(part, show_progress=False)
            if bar is not None:
                bar.update(len(part))
        if bar is not None:
            bar.close()

    def _encode_table(self, table: pd.DataFrame, *, show_progress: bool) -> dict[str, tuple]:
        """Field -> encoded rows of ``table``. Touches no state.

        Text fields give ``(vectors, has-text mask)``; set fields give ``(item lists, {new
        item: vector})``.
        """
        fields = list(self.scoring.fields)
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
                sets = self._sets.get(f) or ItemSets(self.embedder.dimension)
                new = sets.new_items(item_lists)
                vecs = self.embedder.encode(new, show_progress=show_progress and len(new) > 256)
                out[f] = (item_lists, dict(zip(new, vecs)))
            else:
                has = np.array([bool(t) for t in texts[f]], dtype=bool)
                vecs = self.embedder.encode(
                    texts[f], show_progress=show_progress and len(table) > 256
                )
                out[f] = (vecs, has)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        return out

    def _add_table(self, table: pd.DataFrame, *, show_progress: bool) -> None:
        """Encode first, then change state, so a failure leaves the index as it was."""
        if len(table) == 0:
            return
        encoded = self._encode_table(table, show_progress=show_progress)
        wholes = [whole_text(r) for r in table.to_dict("records")]
        with self._lock:
            if self._factory is None:
                self._factory = choose_factory(len(table), self.index_spec)
            ids = np.arange(self._next_id, self._next_id + len(table), dtype=np.int64)
            dim = self.embedder.dimension
            added: list[str] = []
            try:
                for f, enc in encoded.items():
                    if f in SET_FIELDS:
                        self._sets.setdefault(f, ItemSets(dim)).add(ids, *enc)
                    else:
                        vecs, has = enc
                        fv = self._vectors.get(f)
                        if fv is None:
                            fv = self._vectors[f] = FieldVectors(
                                dim, self._factory, ef_search=self.ef_search, nprobe=self.nprobe
                            )
                        fv.add(ids[has], vecs[has])
                    added.append(f)
                self._lexical.add(wholes)
            except Exception:
                for f in added:
                    (self._sets if f in SET_FIELDS else self._vectors)[f].remove(ids)
                raise
            self._next_id += len(table)
            base = len(self._ids)
            self._ids = np.concatenate([self._ids, ids])
            new_ids = table["nct_id"].to_numpy(dtype=object)
            self._nct = np.concatenate([self._nct, new_ids])
            self._parts.append(table.reset_index(drop=True))
            self._row.update({n: base + i for i, n in enumerate(new_ids)})

    @property
    def _trials(self) -> pd.DataFrame:
        """The trial table, concatenated lazily (so that ``add`` does not copy it every time)."""
        if len(self._parts) > 1:
            parts = [p for p in self._parts if len(p)]
            self._parts = [pd.concat(parts, ignore_index=True) if parts else schema.empty_frame()]
        return self._parts[0]

    @_trials.setter
    def _trials(self, table: pd.DataFrame) -> None:
        self._parts = [table]
        self._nct = table["nct_id"].to_numpy(dtype=object)

    def _reindex_rows(self) -> None:
        self._row = {n: i for i, n in enumerate(self._nct.tolist())}

    # ================================================================== changing
    def add(self, trials: Any, *, show_progress: bool = False) -> TrialIndex:
        """Add trials that are not in the index yet.

        Raises
        ------
        DuplicateTrialError
            When some NCT IDs are already indexed (use :meth:`update`); nothing is added.
        """
        table = _as_table(trials)
        with self._lock:
            dup = [n for n in table["nct_id"] if n in self._row]
            if dup:
                raise DuplicateTrialError(
                    f"{len(dup)} trial(s) already in the index: {', '.join(dup[:5])}"
                    f"{' …' if len(dup) > 5 else ''}; use update() to replace them"
                )
            self._add_table(table, show_progress=show_progress)
        return self

    def update(self, trials: Any, *, show_progress: bool = False) -> TrialIndex:
        """Replace indexed trials with new versions of their records.

        Raises
        ------
        TrialNotFoundError
            When some NCT IDs are not indexed (use :meth:`add`); nothing is changed.
        """
        table = _as_table(trials)
        with self._lock:
            require_known(table["nct_id"], self._row, "cannot update trials not in the index")
            old_rows = np.array(sorted({self._row[n] for n in table["nct_id"]}), dtype=np.int64)
            self._add_table(table, show_progress=show_progress)  # undoes itself if it fails
            self._remove_rows(old_rows)  # the old versions; nothing here can fail half-way
        return self

    def remove(self, nct_ids: str | Iterable[str]) -> TrialIndex:
        """Remove trials by NCT ID.

        Raises
        ------
        TrialNotFoundError
            When an NCT ID is not indexed; nothing is removed.
        """
        ids = id_list(nct_ids, "remove()")
        with self._lock:
            require_known(ids, self._row, "cannot remove trials not in the index")
            self._remove_ids(ids)
        return self

    def _remove_ids(self, nct_ids: list[str]) -> None:
        self._remove_rows(np.array(sorted({self._row[n] for n in nct_ids}), dtype=np.int64))

    def _remove_rows(self, rows: np.ndarray) -> None:
        if len(rows) == 0:
            return
        keep = np.ones(len(self._ids), dtype=bool)
        keep[rows] = False
        gone = self._ids[rows]
        for fv in self._vectors.values():
            fv.remove(gone)
        for sets in self._sets.values():
            sets.remove(gone)
        self._lexical.remove_rows(keep)
        self._ids = self._ids[keep]
        self._trials = self._trials[keep].reset_index(drop=True)
        self._reindex_rows()

    # ================================================================== reading
    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, nct_id: object) -> bool:
        return isinstance(nct_id, str) and nct_id in self._row

    @property
    def trials(self) -> pd.DataFrame:
        """The normalized records the index holds (a copy)."""
        return self._trials.copy()

    @property
    def fields(self) -> dict[str, float]:
        """Field -> weight used in the semantic score."""
        return dict(self.scoring.fields)

    @property
    def index_type(self) -> str:
        """The FAISS factory string in use (``"Flat"`` means exact search)."""
        return self._factory or choose_factory(len(self), self.index_spec)

    #: Below this many trials, every allowed trial is scored exactly even with an ANN index.
    exact_threshold: int = 20_000

    @property
    def exact(self) -> bool:
        """Whether searches score every allowed trial exactly (no ANN candidate step)."""
        return self.index_type == "Flat" or len(self) <= self.exact_threshold

    def vectors(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors, has_field)`` of every indexed trial for one field, in ``trials`` order.

        For the set-valued ``conditions`` field, a trial's vector is the mean of its items'.
        """
        if field in self._sets:
            return self._sets[field].mean_vectors(self._ids)
        if field not in self._vectors:
            raise ValueError(
                f"field {field!r} is not indexed; fields: {', '.join(self.scoring.fields)}"
            )
        fv = self._vectors[field]
        return fv.get(self._ids), fv.has(self._ids)

    def trial_vectors(self) -> np.ndarray:
        """One vector per trial: the weighted mean of its field vectors, re-normalized (for maps)."""
        total = np.zeros((len(self), self.embedder.dimension), dtype=np.float32)
        for f, w in self.scoring.fields.items():
            if w == 0 or (f not in self._vectors and f not in self._sets):
                continue
            vecs, has = self.vectors(f)
            total[has] += w * vecs[has]
        norms = np.linalg.norm(total, axis=1, keepdims=True)
        return total / np.maximum(norms, 1e-12)

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={w:g}" for f, w in self.scoring.fields.items())
        kind = self.index_type
        mode = "exact" if kind == "Flat" else "approximate"
        return (
            f"TrialIndex({len(self)} trials, model={self.embedder.name!r}, fields=[{fields}], "
            f"lexical_weight={self.scoring.lexical_weight:g}, index={kind!r} ({mode}))"
        )

    # ================================================================== queries
    def similar(
        self,
        query: Any,
        k: int | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        candidates: Sequence[str] | None = None,
    ) -> Hits:
        """The trials most similar to ``query``, best first.

        Parameters
        ----------
        query
            An NCT ID in the index; or a trial that need not be indexed: a raw API v2 study
            dict, a normalized record (Series, dict or 1-row DataFrame). Any fields may be
            missing (a draft has no NCT ID), but at least one of title, summary, conditions or
            interventions must have text. The query trial itself is never returned.
        k
            How many hits: default 10, or all of ``candidates`` when a shortlist is given.
        where
            Filters, e.g. ``{"phases": ["PHASE2", "PHASE3"], "start_date": (">=", "2015-01-01")}``
            (see :mod:`simtrials.search.filters`).
        candidates
            Rank only these NCT IDs (a shortlist).

        Returns
        -------
        Hits
            A DataFrame: ``rank, nct_id, title, score`` (fused, in [0, 1]), ``score_<field>``
            per field (NaN where either trial lacks it), ``score_lexical``,
            ``shared_conditions``, ``shared_interventions`` and the hit's ``phases,
            overall_status, study_type, start_date, conditions, interventions``.
        """
        with self._lock:
            q = self._resolve(query)
            return self._rank(q, k, where, candidates)

    def search(
        self,
        text: str,
        k: int | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        candidates: Sequence[str] | None = None,
    ) -> Hits:
        """The trials that best match a free text (a few lines about a trial), best first.

        The text is compared with every field of each trial, and lexically with its whole
        text. Same ``k``, ``where`` and ``candidates`` as :meth:`similar`.
        """
        if not isinstance(text, str) or not text.strip():
            raise QueryError("search() needs a non-empty text; to query by trial use similar()")
        with self._lock:
            from .represent import expand_abbreviations, find_abbreviations

            expanded = expand_abbreviations(text.strip(), find_abbreviations(text))
            vec = self.embedder.encode([expanded])[0]
            self._check_model()
            q = _Query(
                repr(_clip(text, 50)), None, None, {}, vec, self._lexical.query_vector(expanded)
            )
            return self._rank(q, k, where, candidates)

    def explain(self, query: Any, nct_id: str) -> explain_mod.Explanation:
        """Why the indexed trial ``nct_id`` is similar to ``query``.

        Returns an :class:`~simtrials.search.explain.Explanation`: the fused score, the cosine
        of each field, the lexical score, the conditions and interventions the two trials
        share, and the terms that weigh most in their lexical similarity.
        """
        with self._lock:
            q = self._resolve(query) if not isinstance(query, str) or _NCT.match(query) else None
            if q is None:
                return self._explain_text(query, nct_id)
            if nct_id not in self._row:
                raise TrialNotFoundError(nct_id)
            hits = self._score_rows(q, np.array([self._row[nct_id]]))
            return self._explanation(q, nct_id, hits)

    def _explain_text(self, text: str, nct_id: str) -> explain_mod.Explanation:
        if nct_id not in self._row:
            raise TrialNotFoundError(nct_id)
        hits = self.search(text, candidates=[nct_id])
        q = _Query(repr(_clip(text, 50)), None, None, {}, None, self._lexical.query_vector(text))
        return self._explanation(q, nct_id, hits)

    def _explanation(self, q: _Query, nct_id: str, hits: pd.DataFrame) -> explain_mod.Explanation:
        row = hits.iloc[0]
        cand = self._trials.iloc[self._row[nct_id]]
        terms = self._lexical.shared_terms(q.lexical, self._lexical.query_vector(whole_text(cand)))
        fields = {f: float(row[f"score_{f}"]) for f in self.scoring.fields}
        return explain_mod.Explanation(
            query=q.label,
            nct_id=nct_id,
            title=str(cand["title"]) if not pd.isna(cand["title"]) else "",
            score=float(row["score"]),
            field_scores=fields,
            lexical=float(row["score_lexical"]),
            shared_conditions=list(row["shared_conditions"]),
            shared_interventions=list(row["shared_interventions"]),
            shared_terms=terms,
        )

    # ------------------------------------------------------------------ internals
    def _check_model(self) -> None:
        if not self._model_checked:
            expected = self._expected_fingerprint
            if self.embedder.fingerprint != expected:
                raise ModelMismatchError(
                    f"the model {self.embedder.name!r} gives different vectors than the model that built "
                    f"this index (fingerprint {self.embedder.fingerprint} != {expected}); "
                    "load the index with the model it was built with"
                )
            self._model_checked = True

    def _resolve(self, query: Any) -> _Query:
        if isinstance(query, str):
            nct = query.strip()
            if not _NCT.match(nct):
                raise QueryError(
                    f"{_clip(query, 40)!r} is not an NCT ID; use search() for free text, "
                    "or pass a study dict / record"
                )
            if nct not in self._row:
                raise TrialNotFoundError(nct)
            return self._stored_query(nct)
        else:
            record = _query_record(query)
            label = record.get("nct_id") or "draft query"
            if pd.isna(label):
                label = "draft query"
        table = pd.DataFrame([record])
        text_fields = [f for f in self.scoring.fields if f not in SET_FIELDS]
        texts = {f: t[0] for f, t in field_texts(table, text_fields).items()}
        items = {f: SET_FIELDS[f](record) for f in self.scoring.fields if f in SET_FIELDS}
        present = [f for f in text_fields if texts[f]]
        if not present and not any(items.values()):
            raise QueryError(
                "the query has no usable field: give it at least one of title, summary, "
                f"conditions or interventions (indexed fields: {', '.join(self.scoring.fields)})"
            )
        whole = whole_text(record)
        flat = [texts[f] for f in present] + [it for f in items for it in items[f]]
        vecs = self.embedder.encode(flat + ([whole] if "all" not in present and whole else []))
        self._check_model()
        vectors: dict[str, np.ndarray] = {f: vecs[i] for i, f in enumerate(present)}
        pos = len(present)
        for f, its in items.items():
            if its:
                vectors[f] = vecs[pos : pos + len(its)]
                pos += len(its)
        whole_vec = vectors["all"] if "all" in vectors else (vecs[-1] if whole else None)
        nct_id = record.get("nct_id")
        nct_id = None if nct_id is None or pd.isna(nct_id) else str(nct_id)
        return _Query(label, nct_id, record, vectors, whole_vec, self._lexical.query_vector(whole))

    def _stored_query(self, nct: str) -> _Query:
        """An indexed trial as a query, from its stored vectors (no model needed)."""
        row = self._row[nct]
        tid = self._ids[row : row + 1]
        record = self._trials.iloc[row].to_dict()
        vectors: dict[str, np.ndarray] = {}
        for f in self.scoring.fields:
            if f in self._sets:
                items = self._sets[f]._members.get(int(tid[0]))
                if items is not None:
                    vectors[f] = self._sets[f].vectors.get(items)
            elif f in self._vectors and self._vectors[f].has(tid)[0]:
                vectors[f] = self._vectors[f].get(tid)[0]
        whole = vectors.get("all")
        if whole is None:
            text = whole_text(record)
            whole = self.embedder.encode([text])[0] if text else None
            self._check_model()
        return _Query(nct, nct, record, vectors, whole, self._lexical.row_vector(row))

    def _candidate_rows(
        self, q: _Query, k: int | None, where, candidates
    ) -> tuple[np.ndarray, int]:
        where = validate_where(where)
        n = len(self._ids)
        qrow = self._row.get(q.nct_id) if q.nct_id is not None else None
        if candidates is not None:
            rows = shortlist_rows(candidates, self._row, "index")
            k_eff = len(rows) if k is None else check_k(k)
            if where:
                rows = rows[filter_mask(self._trials.iloc[rows], where)]
        else:
            k_eff = check_k(10 if k is None else k)
            allowed = filter_mask(self._trials, where) if where else None
            n_allowed = n if allowed is None else int(allowed.sum())
            if self.exact or n_allowed <= max(self.exact_threshold, 4 * k_eff):
                rows = np.arange(n, dtype=np.int64) if allowed is None else np.flatnonzero(allowed)
            else:
                rows = self._ann_rows(q, allowed, qrow, k_eff)
        if qrow is not None:
            rows = rows[rows != qrow]
        return rows, k_eff

    def _ann_rows(
        self, q: _Query, allowed: np.ndarray | None, qrow: int | None, k: int
    ) -> np.ndarray:
        """Candidate rows: the union of each scored field's ANN neighbours, restricted to ``allowed``."""
        n = len(self._ids)
        fetch = max(100, 10 * k)
        while True:
            found = []
            for f, fv in self._vectors.items():
                vec = q.vectors.get(f, q.whole)
                if vec is None or self.scoring.fields.get(f, 0) == 0:
                    continue
                _, ids = fv.search(np.asarray(vec, dtype=np.float32).reshape(1, -1), fetch)
                found.append(ids[0][ids[0] >= 0])
            ids = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
            rows = np.searchsorted(self._ids, ids)  # stable ids increase with the row order
            ok = rows < n
            ok[ok] = self._ids[rows[ok]] == ids[ok]
            rows = rows[ok]
            if allowed is not None:
                rows = rows[allowed[rows]]
            enough = len(rows) - (qrow is not None and qrow in rows) >= k
            if enough or fetch >= n:
                return rows
            fetch *= 4

    def _field_scores(
        self, q: _Query, rows: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """Per-field similarities, lexical scores and fused scores of the trials at ``rows``."""
        ids = self._ids[rows]
        fields = self.scoring.fields

        def field_sim(f: str, qv: np.ndarray | None, sel: np.ndarray) -> np.ndarray:
            if f in self._sets:
                return self._sets[f].best_match(qv, ids[sel])
            fv = self._vectors.get(f)
            if fv is None or qv is None:
                return np.full(int(sel.sum()), np.nan, dtype=np.float32)
            return cosines(np.asarray(qv).reshape(-1), fv.get(ids[sel]), fv.has(ids[sel]))

        everyone = np.ones(len(rows), dtype=bool)
        per_field = {f: field_sim(f, q.vectors.get(f), everyone) for f in fields}
        sem, scored = semantic(per_field, fields, self.scoring.caps)
        lonely = ~scored
        if lonely.any() and q.whole is not None:
            cross = {f: field_sim(f, q.whole, lonely) for f in fields}
            for f in fields:
                per_field[f][lonely] = cross[f]
            sem[lonely] = semantic(cross, fields, self.scoring.caps)[0]
        lex = self._lexical.scores(q.lexical, rows)
        return per_field, lex, fuse(sem, lex, self.scoring.lexical_weight)

    def _score_rows(self, q: _Query, rows: np.ndarray) -> pd.DataFrame:
        per_field, lex, score = self._field_scores(q, rows)
        out = pd.DataFrame(
            {
                "nct_id": self._nct[rows],
                "title": self._trials["title"].iloc[rows].to_numpy(),
                "score": score,
            }
        )
        for f in self.scoring.fields:
            out[f"score_{f}"] = per_field[f]
        out["score_lexical"] = lex
        out["_row"] = rows
        return self._with_reasons(q, out)

    # The columns a hit's reasons and display need (taking only these keeps queries fast).
    _HIT_COLUMNS = (
        "title", "conditions", "condition_mesh", "keywords", "interventions", "intervention_other_names",
        "intervention_mesh", "phases", "overall_status", "study_type", "start_date",
    )  # fmt: skip

    def _with_reasons(self, q: _Query, out: pd.DataFrame) -> pd.DataFrame:
        rows = out["_row"].to_numpy()
        table = self._trials
        columns = {c: table[c].iloc[rows].to_numpy() for c in self._HIT_COLUMNS}
        qrec = q.record or {}
        if qrec:
            records = [{c: columns[c][i] for c in self._HIT_COLUMNS} for i in range(len(rows))]
            out["shared_conditions"] = [explain_mod.shared_conditions(qrec, r) for r in records]
            out["shared_interventions"] = [
                explain_mod.shared_interventions(qrec, r) for r in records
            ]
        else:
            out["shared_conditions"] = [[] for _ in range(len(out))]
            out["shared_interventions"] = [[] for _ in range(len(out))]
        for col in (
            "phases",
            "overall_status",
            "study_type",
            "start_date",
            "conditions",
            "interventions",
        ):
            out[col] = columns[col]
        return out.drop(columns="_row")

    def _rank(self, q: _Query, k: int | None, where, candidates) -> Hits:
        rows, k_eff = self._candidate_rows(q, k, where, candidates)
        if len(rows) == 0:
            hits = self._score_rows(q, rows)
        else:
            ids = self._nct[rows]
            scores = self._field_scores(q, rows)[2]
            order = np.lexsort((ids, -scores))[:k_eff]
            hits = self._score_rows(q, rows[order])
        hits = hits.sort_values(
            ["score", "nct_id"], ascending=[False, True], kind="stable"
        ).reset_index(drop=True)
        hits.insert(0, "rank", np.arange(1, len(hits) + 1))
        result = Hits(hits)
        result.query = q.label
        return result

    # ================================================================== persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Save the index to a directory of plain files (atomically; see :mod:`simtrials.persist`).

        Returns the directory. An index saved before at ``path`` stays loadable until the new
        one is complete.
        """
        with self._lock:
            files: dict[str, Any] = {}
            trials = self._trials

            def write_trials(target: Path) -> None:
                trials.to_parquet(target, index=False, compression="zstd")

            files["trials.parquet"] = write_trials
            files["ids.npy"] = persist.save_npy(self._ids)
            field_state = {}
            for f, fv in self._vectors.items():
                files[f"field_{f}.faiss"] = fv.to_bytes()
                files[f"field_{f}.ids.npy"] = persist.save_npy(fv._ids)
                field_state[f] = fv.state()
            for f, sets in self._sets.items():
                set_arrays, items_json, faiss_bytes = sets.to_arrays()
                files[f"set_{f}.npz"] = persist.save_npz(set_arrays)
                files[f"set_{f}_items.json"] = items_json.encode("utf-8")
                files[f"set_{f}.faiss"] = faiss_bytes
            arrays, vocab = self._lexical.to_arrays()
            files["lexical.npz"] = persist.save_npz(arrays)
            files["lexical_vocab.json"] = vocab.encode("utf-8")
            manifest = {
                "library": "simtrials",
                "model": {
                    "name": self.embedder.name,
                    "dimension": self.embedder.dimension,
                    "fingerprint": self.embedder.fingerprint,
                    "max_tokens": self.embedder.max_tokens,
                },
                "scoring": self.scoring.to_dict(),
                "index": {
                    "spec": self.index_spec,
                    "factory": self.index_type,
                    "ef_search": self.ef_search,
                    "nprobe": self.nprobe,
                },
                "fields_state": field_state,
                "counts": {"trials": len(self), "next_id": int(self._next_id)},
            }
            return persist.write_index_dir(path, files, manifest)

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
            An existing :class:`~simtrials.embed.Embedder` to reuse.
        verify
            Check every file's sha256 against the manifest (default).

        Raises
        ------
        IndexFormatError
            A missing or corrupted file, or a format version newer than this library's.
        ModelMismatchError
            ``model``/``embedder`` is not the model that built the index (dimension or vectors differ).
        """
        manifest, data = persist.read_manifest(path, verify=verify)
        try:
            minfo = manifest["model"]
            scoring = Scoring(
                dict(manifest["scoring"]["fields"]),
                float(manifest["scoring"]["lexical_weight"]),
                dict(manifest["scoring"].get("caps", {})),
            )
            spec = manifest["index"]
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexFormatError(f"{path}: manifest.json lacks {exc}") from None
        if embedder is None:
            name = (
                model
                if model is not None
                else (None if minfo["name"] == DEFAULT_MODEL else minfo["name"])
            )
            embedder = Embedder(name, device=device)
        idx = cls(
            embedder=embedder,
            scoring=scoring,
            index=spec["spec"],
            ef_search=spec["ef_search"],
            nprobe=spec["nprobe"],
        )
        idx._factory = spec["factory"]
        explicit = model is not None or embedder is not None
        idx._expected_fingerprint = minfo["fingerprint"]
        if explicit:
            if embedder.dimension != int(minfo["dimension"]):
                raise ModelMismatchError(
                    f"model {embedder.name!r} makes {embedder.dimension}-dimensional vectors but the index "
                    f"at {path} holds {minfo['dimension']}-dimensional vectors of {minfo['name']!r}"
                )
            idx._model_checked = False
            idx._check_model()
        else:
            idx._model_checked = False  # checked on the first query that needs the model
        try:
            table = pd.read_parquet(data / "trials.parquet")
            idx._trials = schema.validate(table, source=str(data / "trials.parquet"))
            idx._ids = persist.load_npy(data / "ids.npy").astype(np.int64)
            for f in scoring.fields:
                if f"set_{f}.npz" in manifest["files"]:
                    idx._sets[f] = ItemSets.from_arrays(
                        int(minfo["dimension"]),
                        persist.load_npz(data / f"set_{f}.npz"),
                        (data / f"set_{f}_items.json").read_text(encoding="utf-8"),
                        (data / f"set_{f}.faiss").read_bytes(),
                    )
                    continue
                fname = f"field_{f}.faiss"
                if fname not in manifest["files"]:
                    continue
                idx._vectors[f] = FieldVectors.from_bytes(
                    (data / fname).read_bytes(),
                    int(minfo["dimension"]),
                    spec["factory"],
                    ids=persist.load_npy(data / f"field_{f}.ids.npy"),
                    tombstones=manifest.get("fields_state", {}).get(f, {}).get("tombstones", []),
                    ef_search=spec["ef_search"],
                    nprobe=spec["nprobe"],
                )
            idx._lexical = LexicalIndex.from_arrays(
                persist.load_npz(data / "lexical.npz"),
                (data / "lexical_vocab.json").read_text(encoding="utf-8"),
            )
            idx._next_id = int(manifest["counts"]["next_id"])
        except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError) as exc:
            raise IndexFormatError(f"{path}: cannot read the saved index ({exc})") from None
        if len(idx._ids) != len(idx._trials) or len(idx._lexical) != len(idx._trials):
            raise IndexFormatError(f"{path}: the saved files disagree on the number of trials")
        idx._reindex_rows()
        return idx


# ---------------------------------------------------------------------- helpers


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _check_fields(fields: Mapping[str, float] | Sequence[str] | None) -> dict[str, float]:
    if fields is None:
        return dict(DEFAULT_FIELDS)
    if isinstance(fields, str):
        fields = [fields]
    weights = dict(fields) if isinstance(fields, Mapping) else {f: 1.0 for f in fields}
    if not weights:
        raise ValueError("fields must name at least one field")
    for f, w in weights.items():
        if f not in FIELDS:
            raise ValueError(f"unknown field {f!r}; expected one of {', '.join(FIELDS)}")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise ValueError(f"the weight of field {f!r} must be a number >= 0, got {w!r}")
    if not any(w > 0 for w in weights.values()):
        raise ValueError("at least one field needs a weight above 0")
    return {f: float(w) for f, w in weights.items()}


def _check_caps(caps: Mapping[str, float] | None, weights: Mapping[str, float]) -> dict[str, float]:
    if caps is None:
        return {f: c for f, c in DEFAULT_CAPS.items() if f in weights}
    out = {}
    for f, c in dict(caps).items():
        if f not in weights:
            raise ValueError(
                f"cap on field {f!r}, which is not indexed; fields: {', '.join(weights)}"
            )
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 < c <= 1:
            raise ValueError(f"the cap of field {f!r} must be a number in (0, 1], got {c!r}")
        out[f] = float(c)
    return out


def _as_table(trials: Any) -> pd.DataFrame:
    return read_ctgov(trials)  # validates a DataFrame and keeps one record per NCT ID


@contextlib.contextmanager
def _no_placeholder_in_errors():
    """Report a draft's errors without the placeholder NCT ID it was parsed under."""
    try:
        yield
    except TrialFormatError as err:
        raise TrialFormatError(err.reason, source=err.source, field=err.field) from None


def _query_record(query: Any) -> dict:
    """A query that is not an NCT ID -> a normalized record dict (NCT ID optional)."""
    if isinstance(query, pd.DataFrame):
        if len(query) != 1:
            raise QueryError(f"a DataFrame query must have exactly 1 row, got {len(query)}")
        query = query.iloc[0]
    if isinstance(query, pd.Series):
        query = query.to_dict()
    if not isinstance(query, dict):
        raise QueryError(
            f"cannot use a {type(query).__name__} as a query; expected an NCT ID, a study dict, "
            "a record (Series/dict) or a 1-row DataFrame"
        )
    if is_study(query):
        section = query.get("protocolSection")
        ident = section.get("identificationModule") if isinstance(section, dict) else None
        if not isinstance(section, dict) or (
            isinstance(ident, dict) and ident.get("nctId") is not None
        ):
            return parse_study(query, source="query")  # a typed error for a bad section
        study = json.loads(json.dumps(query))  # a draft: a placeholder ID just to parse it
        ident = ident if isinstance(ident, dict) else {}
        study["protocolSection"]["identificationModule"] = {**ident, "nctId": _PLACEHOLDER_ID}
        with _no_placeholder_in_errors():
            rec = parse_study(study, source="query")
        rec["nct_id"] = None
        return rec
    unknown = [k for k in query if k not in schema.COLUMN_NAMES]
    if unknown and not any(k in schema.COLUMN_NAMES for k in query):
        raise QueryError(
            f"the query dict has none of the trial fields (found {', '.join(map(str, unknown[:5]))}); "
            "expected an API v2 study {'protocolSection': ...} or normalized fields such as "
            "title, brief_summary, conditions, interventions"
        )
    rec = dict(query)
    nct = rec.get("nct_id")
    placeholder = nct is None or (not isinstance(nct, str) and pd.isna(nct))
    rec["nct_id"] = _PLACEHOLDER_ID if placeholder else nct
    with _no_placeholder_in_errors() if placeholder else contextlib.nullcontext():
        table = schema.validate(
            pd.DataFrame([{k: v for k, v in rec.items() if k in schema.COLUMN_NAMES}]),
            source="query",
        )
    out = table.iloc[0].to_dict()
    if placeholder:
        out["nct_id"] = None
    return out
