"""Queries: :class:`Query`, resolved once from any kind of query, and the checks of query
arguments shared by every ranker (``TrialIndex`` and the baselines).

A query is an indexed NCT ID, a trial that need not be indexed (an API v2 study dict, a
normalized record as a dict, Series or 1-row DataFrame, a draft without an NCT ID) or a free
text. :func:`resolve` and :func:`from_text` turn it into a :class:`Query`: its record, its
vector per field, its whole-text vector and its TF-IDF vector, made the way the index made
those of its trials. Every later stage (candidates, scores, reasons, plots) reads the Query.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import schema
from ..errors import QueryError, TrialFormatError, TrialNotFoundError
from ..io.ctgov_json import is_study, parse_study
from ..represent import (
    SET_FIELDS,
    expand_abbreviations,
    expand_shorthand,
    field_texts,
    find_abbreviations,
    whole_text,
)
from ..textfmt import clip
from ..vocab import expand_common, intervention_classes
from ..vocab.interventions import split_text, text_classes
from .words import split_labels

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = [
    "Query",
    "resolve",
    "from_text",
    "query_record",
    "query_point",
    "is_nct_id",
    "check_k",
    "id_list",
    "require_known",
    "shortlist_rows",
]

_NCT = re.compile(schema.NCT_ID_PATTERN)
_PLACEHOLDER_ID = "NCT00000000"

Encode = Callable[[list[str]], np.ndarray]


def is_nct_id(text: object) -> bool:
    """Whether ``text`` is an NCT ID ('NCT' and 8 ASCII digits; surrounding blanks allowed)."""
    return isinstance(text, str) and _NCT.match(text.strip()) is not None


@dataclass(frozen=True)
class Query:
    """A resolved query.

    Attributes
    ----------
    label
        How results name the query: its NCT ID, ``"draft query"`` or the quoted text.
    nct_id
        Its NCT ID, if it has one (an indexed trial is never its own hit).
    record
        Its normalized record; ``None`` for a free text.
    vectors
        Field -> its vector (set fields: one row per item), for the fields it has.
    whole
        The vector of its whole text (a free text: of the text), or ``None``.
    lexical
        Its TF-IDF vector in the index's vocabulary (a 1-row sparse matrix).
    text
        The text it was made of, abbreviations expanded (a free text only).
    kinds
        ``(classes, kinds)`` of its interventions (:func:`simtrials.vocab.intervention_classes`;
        a free text: the classes it names).
    condition_items, intervention_items
        The vectors its conditions and its intervention names are compared with, one row per
        item (a record: its ``conditions`` and ``interventions`` items; a free text: the text
        without, and the spans of, the intervention words it names), or ``None``.
    """

    label: str
    nct_id: str | None
    record: dict | None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    whole: np.ndarray | None = None
    lexical: Any = None
    text: str | None = None
    kinds: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    condition_items: np.ndarray | None = None
    intervention_items: np.ndarray | None = None


def from_text(text: str, store: TrialStore, encode: Encode) -> Query:
    """A free-text query: the text with its abbreviations expanded, as one vector."""
    if not isinstance(text, str) or not text.strip():
        raise QueryError("search() needs a non-empty text; to query by trial use similar()")
    expanded = expand_common(expand_abbreviations(text.strip(), find_abbreviations(text)))
    condition_text, named = split_text(expanded)
    texts = [expanded] + ([condition_text] if condition_text else []) + named
    vecs = encode(texts)
    lexical = store.lexical.query_vector(expanded)
    return Query(
        repr(clip(text, 50)), None, None, {}, vecs[0], lexical, expanded,
        kinds=_frozen(text_classes(expanded)),
        condition_items=vecs[1:2] if condition_text else None,
        intervention_items=vecs[1 + bool(condition_text):] if named else None,
    )  # fmt: skip


def _frozen(kinds: tuple) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(kinds[0]), frozenset(kinds[1])


def _with_parts(q: Query, kinds: tuple | None = None) -> Query:
    """A record query with its intervention kinds (``kinds``: already known, as for an indexed
    trial) and the item vectors of its set fields."""
    return replace(
        q,
        kinds=_frozen(intervention_classes(q.record) if kinds is None else kinds),
        condition_items=q.vectors.get("conditions"),
        intervention_items=q.vectors.get("interventions"),
    )


def resolve(query: Any, store: TrialStore, fields: Iterable[str], encode: Encode) -> Query:
    """Any query but a free text -> a :class:`Query` (an indexed trial: from its stored vectors).

    Raises
    ------
    QueryError
        A text that is not an NCT ID, a value of the wrong kind, a record without any usable field.
    TrialNotFoundError
        An NCT ID that is not indexed.
    """
    fields = list(fields)
    if isinstance(query, str):
        nct = query.strip()
        if not _NCT.match(nct):
            raise QueryError(
                f"{clip(query, 40)!r} is not an NCT ID; use search() for free text, "
                "or pass a study dict / record"
            )
        if nct not in store.row:
            raise TrialNotFoundError(nct)
        return _stored(nct, store, fields, encode)
    record = query_record(query)
    nct_id = record.get("nct_id")
    nct_id = None if nct_id is None or pd.isna(nct_id) else str(nct_id)
    text_fields = [f for f in fields if f not in SET_FIELDS]
    texts = {f: t[0] for f, t in field_texts(pd.DataFrame([record]), text_fields).items()}
    items = {f: SET_FIELDS[f](record) for f in fields if f in SET_FIELDS}
    present = [f for f in text_fields if texts[f]]
    if not present and not any(items.values()):
        raise QueryError(
            "the query has no usable field: give it at least one of title, summary, "
            f"conditions or interventions (indexed fields: {', '.join(fields)})"
        )
    whole = whole_text(record)
    flat = [texts[f] for f in present] + [it for f in items for it in items[f]]
    vecs = encode(flat + ([whole] if "all" not in present and whole else []))
    vectors: dict[str, np.ndarray] = {f: vecs[i] for i, f in enumerate(present)}
    pos = len(present)
    for f, its in items.items():
        if its:
            vectors[f] = vecs[pos : pos + len(its)]
            pos += len(its)
    whole_vec = vectors["all"] if "all" in vectors else (vecs[-1] if whole else None)
    if "conditions" not in vectors and whole:
        # a draft with no conditions listed: its conditions are what its title says
        title = _title_text(record)
        condition_text, _ = split_text(
            expand_shorthand(title, find_abbreviations(whole)) if title else whole
        )
        if condition_text:
            vectors["conditions"] = encode([condition_text])
    label = nct_id or "draft query"
    q = Query(label, nct_id, record, vectors, whole_vec, store.lexical.query_vector(whole))
    return _with_parts(q)


def query_point(q: Query, weights: Mapping[str, float], dim: int) -> np.ndarray:
    """A query as one unit vector, as ``TrialIndex.trial_vectors`` makes a trial's: the
    weighted mean of its field vectors (a set field: the mean of its items), re-normalized;
    a free text: its vector."""
    if q.record is None:
        return np.asarray(q.whole, dtype=np.float32)
    total = np.zeros(dim, dtype=np.float32)
    for f, w in weights.items():
        vec = q.vectors.get(f)
        if w and vec is not None:
            if vec.ndim == 2:  # a set field: the mean of its items, as ItemSets does
                vec = vec.mean(axis=0)
                vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
            total += w * vec
    return total / max(float(np.linalg.norm(total)), 1e-12)


def _stored(nct: str, store: TrialStore, fields: list[str], encode: Encode) -> Query:
    """An indexed trial as a query, from its stored vectors (no model needed)."""
    from . import arrays  # the per-index arrays (same vectors as the stores, read at once)

    row = store.row[nct]
    record = arrays.record(store, row)
    vectors = {}
    for f in fields:
        vec = arrays.row_vector(store, f, row) if f in store.sets or f in store.vectors else None
        if vec is not None:
            vectors[f] = vec
    whole = vectors.get("all")
    if whole is None:
        text = whole_text(record)
        whole = encode([text])[0] if text else None
    lexical = arrays.lexical_row(store, row)
    # the classes and kinds the index keeps for the trial (intervention_classes of its record)
    kinds = split_labels(store.kinds.labels(row))
    return _with_parts(Query(nct, nct, record, vectors, whole, lexical), kinds)


def _title_text(record: Mapping) -> str:
    parts = [record.get(c) for c in ("title", "official_title")]
    return ". ".join(str(p) for p in parts if isinstance(p, str) and p.strip())


# ---------------------------------------------------------------------- records


@contextlib.contextmanager
def _no_placeholder_in_errors():
    """Report a draft's errors without the placeholder NCT ID it was parsed under."""
    try:
        yield
    except TrialFormatError as err:
        raise TrialFormatError(err.reason, source=err.source, field=err.field) from None


def query_record(query: Any) -> dict:
    """A query that is not an NCT ID -> a normalized record dict (``nct_id`` None for a draft).

    Takes an API v2 study dict, a normalized record (dict or Series) or a 1-row DataFrame.
    """
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
        return _study_record(query)
    unknown = [k for k in query if k not in schema.COLUMN_NAMES]
    if unknown and not any(k in schema.COLUMN_NAMES for k in query):
        raise QueryError(
            f"the query dict has none of the trial fields (found {', '.join(map(str, unknown[:5]))}); "
            "expected an API v2 study {'protocolSection': ...} or normalized fields such as "
            "title, brief_summary, conditions, interventions"
        )
    _warn_misspelled(unknown)
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


def _spelling(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower()).rstrip("s")


#: Each trial field by its loose spelling (lower case, "_" for spaces, no plural s).
_BY_SPELLING = {_spelling(c): c for c in schema.COLUMN_NAMES}


def _warn_misspelled(unknown: list) -> None:
    """Warn about keys of a query dict that are a trial field misspelled ("condition",
    "Brief Summary"): they are left out, so the query would silently lack that field. Other
    extra keys (a Hits row's scores, a user's own columns) pass without a word."""
    for key in unknown:
        meant = _BY_SPELLING.get(_spelling(key)) if isinstance(key, str) else None
        if meant is not None:
            warnings.warn(
                f"query field {key!r} is not a trial field and is left out; did you mean {meant!r}?",
                UserWarning,
                stacklevel=6,  # the caller of similar() / explain(): through query and resolve
            )


def _study_record(study: dict) -> dict:
    section = study.get("protocolSection")
    ident = section.get("identificationModule") if isinstance(section, dict) else None
    if not isinstance(section, dict) or (
        isinstance(ident, dict) and ident.get("nctId") is not None
    ):
        return parse_study(study, source="query")  # a typed error for a bad section
    draft = json.loads(json.dumps(study))  # a draft: a placeholder ID just to parse it
    ident = ident if isinstance(ident, dict) else {}
    draft["protocolSection"]["identificationModule"] = {**ident, "nctId": _PLACEHOLDER_ID}
    with _no_placeholder_in_errors():
        rec = parse_study(draft, source="query")
    rec["nct_id"] = None
    return rec


# ---------------------------------------------------------------------- argument checks


def check_k(k: Any) -> int:
    """``k`` as an int; QueryError unless it is a whole number of at least 1."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise QueryError(f"k must be a positive whole number, got {type(k).__name__} {k!r}")
    if k <= 0:
        raise QueryError(f"k must be at least 1, got {k}")
    return int(k)


def id_list(ids: Any, what: str) -> list:
    """An NCT ID or an iterable of them, as a list; QueryError for anything else."""
    if isinstance(ids, str):
        return [ids]
    try:
        out = list(ids)
        hash(tuple(out))
    except TypeError:
        raise QueryError(
            f"{what} takes an NCT ID or a list of NCT IDs, got {clip(repr(ids), 60)}"
        ) from None
    return out


def require_known(ids: Iterable[str], known: Mapping[str, int], message: str) -> None:
    """TrialNotFoundError ``"<message>: <the unknown IDs>"`` when some ``ids`` are not in ``known``."""
    missing = [n for n in ids if n not in known]
    if missing:
        raise TrialNotFoundError(missing[0], f"{message}: {', '.join(map(str, missing[:5]))}")


def shortlist_rows(candidates: Any, known: Mapping[str, int], container: str) -> np.ndarray:
    """The rows of a ``candidates=`` shortlist (first occurrence of each ID kept, in order)."""
    cands = list(dict.fromkeys(id_list(candidates, "candidates")))
    unknown = [c for c in cands if c not in known]
    require_known(cands, known, f"{len(unknown)} candidate(s) not in the {container}")
    return np.array([known[c] for c in cands], dtype=np.int64)
