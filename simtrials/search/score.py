"""How a candidate trial is scored against a query: per-field similarities fused with lexical.

Pure functions over arrays: per-field similarities in, fused scores out (:func:`score`, which
returns the :class:`Parts` of every candidate). :mod:`simtrials.search.similarity` gathers the
similarities from the index; nothing here touches the index or the model.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .settings import Scoring

__all__ = ["Parts", "Scoring", "score", "fuse", "semantic", "cosines"]


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
    n = np.shape(next(iter(per_field.values()))) if per_field else (0,)  # 1-D, or 2-D (blocks)
    num = np.zeros(n, dtype=np.float32)  # float32 throughout: 26k trials x a block of queries
    den = np.zeros(n, dtype=np.float32)
    for f, w in weights.items():
        s = per_field.get(f)
        if s is None or w == 0:
            continue
        ok = ~np.isnan(s)
        part = np.minimum(np.asarray(s, dtype=np.float32), np.float32(caps.get(f, 1.0)))
        part[~ok] = 0.0
        part *= np.float32(w)
        num += part
        den += np.float32(w) * ok
    scored = den > 0
    return np.divide(num, den, out=np.zeros(n, dtype=np.float32), where=scored), scored


def fuse(
    semantic_scores: np.ndarray, lexical_scores: np.ndarray, lexical_weight: float
) -> np.ndarray:
    """``(1 - w) * semantic + w * lexical``, clipped to [0, 1]."""
    w = np.float32(lexical_weight)
    out = (np.float32(1.0) - w) * np.asarray(semantic_scores, dtype=np.float32)
    out += w * np.asarray(lexical_scores, dtype=np.float32)
    return np.clip(out, 0.0, 1.0, out=out)


@dataclass(frozen=True)
class Parts:
    """The scores of some candidates, one array entry per candidate.

    ``per_field[f]`` is the similarity in field ``f`` (NaN where either trial lacks it, or
    the cross-field similarity where the two trials share no field), ``lexical`` the TF-IDF
    cosine, ``semantic`` the capped weighted mean of the fields, ``score`` the score. With
    :meth:`with_relatedness`, ``text`` keeps the fused text score, ``condition`` and
    ``intervention`` the rubric's parts and ``kind`` the class match
    (:mod:`simtrials.search.relatedness`), and ``score`` is their mix.
    """

    per_field: dict[str, np.ndarray]
    lexical: np.ndarray
    semantic: np.ndarray
    score: np.ndarray
    text: np.ndarray | None = None
    condition: np.ndarray | None = None
    intervention: np.ndarray | None = None
    kind: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.score)

    def take(self, order: np.ndarray) -> Parts:
        """The parts of the candidates at positions ``order`` (in that order)."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[order]

        return Parts(
            {f: s[order] for f, s in self.per_field.items()},
            self.lexical[order],
            self.semantic[order],
            self.score[order],
            pick(self.text),
            pick(self.condition),
            pick(self.intervention),
            pick(self.kind),
        )

    def with_relatedness(
        self, condition: np.ndarray, intervention: np.ndarray, kind: np.ndarray, score: np.ndarray
    ) -> Parts:
        """These parts with the rubric's parts added and ``score`` as the final score."""
        return Parts(
            self.per_field, self.lexical, self.semantic, score, self.score, condition,
            intervention, kind,
        )  # fmt: skip


def score(
    per_field: dict[str, np.ndarray],
    lexical: np.ndarray,
    scoring: Scoring,
    cross: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
) -> Parts:
    """Fuse per-field and lexical similarities into scores (steps 2 and 3 above).

    ``cross(mask)`` gives, for the candidates where ``mask`` holds, the similarity of the
    query's whole text with each of their fields; it is called only for candidates that share
    no weighted field with the query (the cross-field fallback). ``per_field`` is not changed.
    """
    per_field = {f: np.array(s, copy=True) for f, s in per_field.items()}
    fields = scoring.fields
    sem, scored = semantic(per_field, fields, scoring.caps)
    lonely = ~scored
    if cross is not None and lonely.any():
        other = cross(lonely)
        if other is not None:
            for f in fields:
                per_field[f][lonely] = other[f]
            sem[lonely] = semantic(other, fields, scoring.caps)[0]
    return Parts(per_field, lexical, sem, fuse(sem, lexical, scoring.lexical_weight))
