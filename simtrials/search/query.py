"""Checks of query arguments shared by every ranker (``TrialIndex`` and the baselines)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import QueryError, TrialNotFoundError

__all__ = ["check_k", "id_list", "require_known", "shortlist_rows"]


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


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
            f"{what} takes an NCT ID or a list of NCT IDs, got {_clip(repr(ids), 60)}"
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
