"""How a candidate trial is scored against a query: per-field similarities fused with lexical.

Pure functions over arrays; :class:`~simtrials.TrialIndex` gathers the vectors and calls them.

For a query ``q`` and a candidate ``c``:

1. Per field ``f`` present in both trials, a similarity ``s_f`` in [0, 1]: the cosine of the
   two field vectors (``all``, ``title``, ``summary``, ``interventions`` …), or for the
   set-valued ``conditions`` the best cosine between any condition of one and any condition
   of the other (MeSH terms included).
2. The *semantic* score is the weighted mean of ``min(s_f, cap_f)`` over the fields present
   in both, weights renormalized, so a record with only a title is not punished for what it
   lacks. The default caps the conditions at 0.6, the level that means "same condition": a
   gate that says the trials study the same disease, after which the intervention (carried
   by the whole text and the lexical score) decides among trials of that disease.
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

__all__ = ["Scoring", "fuse", "semantic", "cosines"]


@dataclass(frozen=True)
class Scoring:
    """The scoring settings of an index (saved with it).

    Parameters
    ----------
    fields
        Field name -> weight of its similarity in the semantic score (0: computed and shown,
        not scored).
    lexical_weight
        Share of the TF-IDF score in the fused score (0 = semantic only).
    caps
        Field -> the most its similarity may contribute (``{"conditions": 0.6}``).
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


def cosines(query: np.ndarray | None, cands: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``max(0, cos)`` of a query vector with each candidate that has the field; NaN elsewhere."""
    out = np.full(len(present), np.nan, dtype=np.float32)
    if query is not None and present.any():
        out[present] = np.clip(cands[present] @ query, 0.0, 1.0)
    return out


def semantic(
    per_field: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    caps: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Renormalized weighted mean of the capped per-field similarities.

    Parameters
    ----------
    per_field
        Field -> similarity of each candidate, NaN where either trial lacks the field.
    weights
        Field -> weight.
    caps
        Field -> cap on its similarity in the mean.

    Returns
    -------
    (scores, scored)
        The semantic score of each candidate, and whether any weighted field was present in
        both trials (where not, the caller falls back to cross-field similarities).
    """
    caps = caps or {}
    n = len(next(iter(per_field.values()))) if per_field else 0
    num = np.zeros(n, dtype=np.float64)
    den = np.zeros(n, dtype=np.float64)
    for f, w in weights.items():
        s = per_field.get(f)
        if s is None or w == 0:
            continue
        ok = ~np.isnan(s)
        num[ok] += w * np.minimum(s[ok], caps.get(f, 1.0))
        den[ok] += w
    scored = den > 0
    return np.divide(num, den, out=np.zeros(n), where=scored).astype(np.float32), scored


def fuse(
    semantic_scores: np.ndarray, lexical_scores: np.ndarray, lexical_weight: float
) -> np.ndarray:
    """``(1 - w) * semantic + w * lexical``, clipped to [0, 1]."""
    w = float(lexical_weight)
    return np.clip((1.0 - w) * semantic_scores + w * lexical_scores, 0.0, 1.0).astype(np.float32)
