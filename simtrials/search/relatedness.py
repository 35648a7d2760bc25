"""Relatedness as the rubric means it: the same condition AND the same kind of intervention.

Pure functions over arrays. For a query and a candidate:

- ``condition`` C in [0, 1]: the best cosine between a condition of one and a condition of
  the other (MeSH terms included), read on a ramp: at or below 0.3 (what unrelated
  conditions score) it is 0, at or above 0.6 (the level that means "the same condition",
  the cap the engine has used since 0.1) it is 1.
- ``intervention`` I in [0, 1]: the larger of the class match of
  :func:`simtrials.vocab.intervention_match` (1 for a shared specific class such as "PDE5
  inhibitor", 0.6 for a shared broad class or kind such as "cell therapy") and the best cosine
  between the two trials' intervention names on a ramp from 0.45 to 0.8.
- Read C and I as the chances that each part matches, and ``Crel`` (the same cosine on a
  ramp from 0.15 to 0.45) as the chance that the conditions are at least related. The rubric
  grades a pair 2 when both parts match (gain 2^2 - 1 = 3), 1 when only the condition does,
  or when only the kind of intervention does *in a related condition* (gain 1), else 0. The
  three events are exclusive, with chances ``C*I``, ``C*(1-I)`` and ``(1-C)*I*Crel``; the
  expected gain ``3*C*I + C*(1-I) + (1-C)*I*Crel``, over its largest value 3, is the
  *relatedness* R in [0, 1]: both parts must match for a high score, one gives a middling one.
- The final score mixes R with the *text* score T (the whole-text, capped-conditions and
  lexical score of :mod:`simtrials.search.score`, which orders trials within a grade):
  ``(w_text*T + w_c*P(condition only) + w_i*P(intervention only) + w_b*P(both)) /
  (w_text + max(w_c, w_i, w_b))``, where the ``w`` are the gains of the events.

:data:`FOCUS` holds the presets: ``"both"`` (default) gives the events the rubric's gains
1, 1 and 3; ``"condition"`` counts a matching condition whatever the intervention (gains 1,
0, 1), ``"intervention"`` a matching kind of intervention in a related condition (0, 1, 1).
Explicit ``weights`` (``{"text": 9, "condition": 1, "intervention": 1, "both": 3}``) set any
mix at query time, without rebuilding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PARTS",
    "FOCUS",
    "RELATEDNESS_WEIGHT",
    "FOCUSED_WEIGHT",
    "CONDITION_RAMP",
    "INTERVENTION_RAMP",
    "RELATED_CONDITION_RAMP",
    "ramp",
    "resolve_weights",
    "Bounds",
    "bounds",
    "Relatedness",
    "relatedness",
]

#: The parts a score mixes: the text score, the condition, the intervention, and both at once.
PARTS: tuple[str, ...] = ("text", "condition", "intervention", "both")
#: Share of the rubric part in the default score (the rest is the text score). Chosen on the
#: judged dev pairs in both protocols (benchmarks/results/eval_sweep_relatedness.json).
RELATEDNESS_WEIGHT = 0.05
#: Cosine levels read as "unrelated" and "the same" for conditions and intervention names.
CONDITION_RAMP = (0.3, 0.6)
INTERVENTION_RAMP = (0.45, 0.8)


def _preset(condition: float, intervention: float, both: float, share: float) -> dict[str, float]:
    # the text weight that gives the rubric part the given share of the score
    top = max(condition, intervention, both)
    text = top * (1.0 - share) / share
    return {"text": text, "condition": condition, "intervention": intervention, "both": both}


#: Share of the rubric part in a ``focus="condition"`` or ``"intervention"`` score: the part
#: asked for leads, the text score orders trials within it.
FOCUSED_WEIGHT = 0.5

#: ``focus`` presets -> weights (gains) of :data:`PARTS`.
FOCUS: dict[str, dict[str, float]] = {
    "both": _preset(1.0, 1.0, 3.0, RELATEDNESS_WEIGHT),
    "condition": _preset(1.0, 0.0, 1.0, FOCUSED_WEIGHT),
    "intervention": _preset(0.0, 1.0, 1.0, FOCUSED_WEIGHT),
}
#: Cosine levels of "unrelated" and "related" conditions (the gate of intervention-only credit).
RELATED_CONDITION_RAMP = (0.15, 0.45)


def ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``(x - lo) / (hi - lo)`` clipped to [0, 1]; NaN (a trial lacks the field) reads 0."""
    x = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def resolve_weights(
    focus: str | None = None, weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The weights of :data:`PARTS` for a ``focus`` preset or explicit ``weights``.

    Raises
    ------
    ValueError
        An unknown focus or part, a weight that is not a finite number >= 0, all weights 0,
        or both ``focus`` and ``weights`` given.
    """
    if focus is not None and weights is not None:
        raise ValueError("give focus= or weights=, not both")
    if weights is None:
        name = "both" if focus is None else focus
        if name not in FOCUS:
            raise ValueError(f"unknown focus {focus!r}; expected one of {', '.join(FOCUS)}")
        return dict(FOCUS[name])
    if not isinstance(weights, Mapping):
        raise ValueError(f"weights must be a mapping of part -> weight, got {weights!r}")
    out = dict.fromkeys(PARTS, 0.0)
    for part, w in weights.items():
        if part not in PARTS:
            raise ValueError(f"unknown part {part!r} in weights; parts: {', '.join(PARTS)}")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ValueError(f"the weight of {part!r} must be a finite number >= 0, got {w!r}")
        out[part] = float(w)
    if not any(out.values()):
        raise ValueError("at least one weight must be above 0")
    return out


@dataclass(frozen=True)
class Bounds:
    """The least and the most score a trial with text score ``T`` can get, whatever its
    condition and intervention parts: ``bounds(T) -> (lo, hi)`` (see :func:`bounds`)."""

    text: float
    top: float

    def __call__(self, text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        den = self.text + self.top
        t = self.text * np.asarray(text, np.float64)
        return np.clip(t / den, 0, 1), np.clip((t + self.top) / den, 0, 1)

    def least_text(self, score: np.ndarray) -> np.ndarray:
        """The least text score whose ``hi`` reaches ``score`` (at most 1): ``hi(T) >= score``
        exactly where ``T >= least_text(score)``, so a bound is compared with it in place,
        without making ``hi`` of every trial."""
        return (np.asarray(score, np.float64) * (self.text + self.top) - self.top) / self.text


def bounds(weights: Mapping[str, float]) -> Bounds | None:
    """:class:`Bounds` of a trial's score under ``weights``; ``None`` when the text has no
    weight (the parts alone decide).

    The three events of the module doc are exclusive, so their weighted chances add up to at
    most the largest weight ``top``: the score lies in ``[w_text*T, w_text*T + top] / (w_text
    + top)``, clipped to [0, 1] as :func:`relatedness` clips it.
    """
    w = {p: float(weights.get(p, 0.0)) for p in PARTS}
    if w["text"] <= 0:
        return None
    return Bounds(w["text"], max(w["condition"], w["intervention"], w["both"]))


@dataclass(frozen=True)
class Relatedness:
    """The parts of each candidate's score: condition C, intervention I and the mix."""

    condition: np.ndarray
    intervention: np.ndarray
    score: np.ndarray


def relatedness(
    text: np.ndarray,
    condition_cosine: np.ndarray,
    intervention_cosine: np.ndarray,
    kind_match: np.ndarray,
    weights: Mapping[str, float],
) -> Relatedness:
    """Mix the text score with the condition and intervention parts (see the module doc).

    Parameters
    ----------
    text
        The text score of each candidate, in [0, 1].
    condition_cosine, intervention_cosine
        Best-match cosines of the two trials' conditions and intervention names (NaN where
        either trial has none).
    kind_match
        Class match of the two trials' interventions, in [0, 1].
    weights
        Weights of :data:`PARTS` (from :func:`resolve_weights`).
    """
    c = ramp(condition_cosine, *CONDITION_RAMP)
    related = ramp(condition_cosine, *RELATED_CONDITION_RAMP)
    kind = np.nan_to_num(np.asarray(kind_match, dtype=np.float64))
    i = np.maximum(kind, ramp(intervention_cosine, *INTERVENTION_RAMP))
    w = {p: float(weights.get(p, 0.0)) for p in PARTS}
    events = w["condition"] * c * (1 - i) + w["intervention"] * (1 - c) * i * related
    events = events + w["both"] * c * i
    top = max(w["condition"], w["intervention"], w["both"])
    mixed = (w["text"] * np.asarray(text, np.float64) + events) / (w["text"] + top)
    return Relatedness(
        c.astype(np.float32), i.astype(np.float32), np.clip(mixed, 0, 1).astype(np.float32)
    )
