"""How a candidate trial is scored against a query: per-field cosines fused with lexical.

Pure functions over arrays; :class:`~simtrials.TrialIndex` gathers the vectors and calls them.

For a query ``q`` and a candidate ``c`` with unit vectors per field:

1. ``s_f = max(0, cos(q_f, c_f))`` for every field ``f`` present in both trials, capped at
   ``caps[f]`` where a cap is set: the default caps the conditions' cosine at 0.6, the level
   that means "same condition", so that among trials of the same condition the intervention
   (carried by the whole text and the lexical score) decides.
2. The *semantic* score is the weighted mean of the ``s_f`` over the fields present in both,
   weights renormalized, so a record with only a title is not punished for what it lacks.
   When the two trials share no field (a free-text query, a title-only draft against a record
   without a title), the query's whole-text vector is compared with every field the
   candidate has (cross-field).
3. The fused score is ``(1 - lexical_weight) * semantic + lexical_weight * lexical``, where
   ``lexical`` is the TF-IDF cosine of the two trials' whole texts. Every part lies in
   [0, 1], so the score does too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Scoring", "fuse", "semantic"]


@dataclass(frozen=True)
class Scoring:
    """The scoring settings of an index (saved with it).

    Parameters
    ----------
    fields
        Field name -> weight of its cosine in the semantic score.
    lexical_weight
        Share of the TF-IDF score in the fused score (0 = semantic only).
    caps
        Field -> the most its cosine may contribute (``{"conditions": 0.6}``).
    """

    fields: Mapping[str, float] = field(default_factory=dict)
    lexical_weight: float = 1.0 / 3.0
    caps: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "fields": dict(self.fields),
            "lexical_weight": self.lexical_weight,
            "caps": dict(self.caps),
        }


def semantic(
    query: Mapping[str, np.ndarray | None],
    cands: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    query_whole: np.ndarray | None = None,
    caps: Mapping[str, float] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-field cosines and their renormalized weighted mean (see module docstring).

    Parameters
    ----------
    query
        Field -> unit vector of the query (``None`` where the query lacks the field).
    cands
        Field -> ``(n, d)`` candidate vectors.
    present
        Field -> boolean ``(n,)``: which candidates have the field.
    weights
        Field -> weight.
    query_whole
        The query's whole-text vector, for the cross-field fallback.
    caps
        Field -> cap on its cosine in the weighted mean (the reported per-field cosine is not capped).
    """
    caps = caps or {}
    n = len(next(iter(present.values()))) if present else 0
    per_field: dict[str, np.ndarray] = {}
    num = np.zeros(n, dtype=np.float64)
    den = np.zeros(n, dtype=np.float64)
    for f, w in weights.items():
        qv = query.get(f)
        s = np.full(n, np.nan, dtype=np.float32)
        if qv is not None and n:
            both = present[f]
            s[both] = np.clip(cands[f][both] @ qv, 0.0, 1.0)
            num[both] += w * np.minimum(s[both], caps.get(f, 1.0))
            den[both] += w
        per_field[f] = s
    sem = np.divide(num, den, out=np.zeros(n), where=den > 0)
    lonely = den == 0
    if lonely.any() and query_whole is not None:
        cnum = np.zeros(int(lonely.sum()))
        cden = np.zeros(int(lonely.sum()))
        idx = np.flatnonzero(lonely)
        for f, w in weights.items():
            has = present[f][lonely]
            if has.any():
                cross = np.clip(cands[f][idx[has]] @ query_whole, 0.0, 1.0)
                per_field[f][idx[has]] = cross
                cnum[has] += w * np.minimum(cross, caps.get(f, 1.0))
                cden[has] += w
        sem[lonely] = np.divide(cnum, cden, out=np.zeros_like(cnum), where=cden > 0)
    return per_field, sem.astype(np.float32)


def fuse(
    semantic_scores: np.ndarray, lexical_scores: np.ndarray, lexical_weight: float
) -> np.ndarray:
    """``(1 - w) * semantic + w * lexical``, clipped to [0, 1]."""
    w = float(lexical_weight)
    return np.clip((1.0 - w) * semantic_scores + w * lexical_scores, 0.0, 1.0).astype(np.float32)
