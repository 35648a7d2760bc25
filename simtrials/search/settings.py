"""The scoring settings of an index (:class:`Scoring`) and their one validator.

Every place that takes scoring settings (``TrialIndex.build``, the ``simtrials build``
command, a saved index's manifest) checks them here, so each rule has one wording.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..defaults import DEFAULT_CAPS, DEFAULT_FIELDS, DEFAULT_LEXICAL_WEIGHT, FIELDS

__all__ = ["Scoring", "check_fields", "check_caps", "check_lexical_weight"]


def _number(value: Any) -> bool:
    """A real, finite number (not a bool, not NaN or inf)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def check_fields(fields: Mapping[str, float] | Sequence[str] | None) -> dict[str, float]:
    """Field -> weight (a list of fields: weight 1 each; ``None``: the defaults).

    Raises
    ------
    ValueError
        An unknown field, a weight that is not a finite number >= 0, or no weight above 0.
    """
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
        if not _number(w) or w < 0:
            raise ValueError(f"the weight of field {f!r} must be a number >= 0, got {w!r}")
    if not any(w > 0 for w in weights.values()):
        raise ValueError("at least one field needs a weight above 0")
    return {f: float(w) for f, w in weights.items()}


def check_caps(caps: Mapping[str, float] | None, weights: Mapping[str, float]) -> dict[str, float]:
    """Field -> cap in (0, 1] on an indexed field (``None``: the defaults for those fields)."""
    if caps is None:
        return {f: c for f, c in DEFAULT_CAPS.items() if f in weights}
    out = {}
    for f, c in dict(caps).items():
        if f not in weights:
            raise ValueError(
                f"cap on field {f!r}, which is not indexed; fields: {', '.join(weights)}"
            )
        if not _number(c) or not 0 < c <= 1:
            raise ValueError(f"the cap of field {f!r} must be a number in (0, 1], got {c!r}")
        out[f] = float(c)
    return out


def check_lexical_weight(value: Any) -> float:
    """The lexical weight as a float in [0, 1]."""
    if not _number(value) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"lexical_weight must be a number in [0, 1], got {value!r}")
    return float(value)


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
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT
    caps: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        fields: Mapping[str, float] | Sequence[str] | None = None,
        lexical_weight: Any = DEFAULT_LEXICAL_WEIGHT,
        caps: Mapping[str, float] | None = None,
    ) -> Scoring:
        """Checked settings; ``None`` gives the defaults (see :mod:`simtrials.defaults`)."""
        weights = check_fields(fields)
        return cls(weights, check_lexical_weight(lexical_weight), check_caps(caps, weights))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scoring:
        """The inverse of :meth:`to_dict` (KeyError/TypeError/ValueError when malformed)."""
        return cls(dict(data["fields"]), float(data["lexical_weight"]), dict(data.get("caps", {})))

    def to_dict(self) -> dict:
        return {
            "fields": dict(self.fields),
            "lexical_weight": self.lexical_weight,
            "caps": dict(self.caps),
        }
