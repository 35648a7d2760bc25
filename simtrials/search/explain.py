"""Why two trials are similar: shared conditions and interventions, shared terms, field scores."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..represent import GENERIC_INTERVENTIONS, condition_items, intervention_items

__all__ = [
    "Explanation",
    "explanation",
    "shared_items",
    "shared_conditions",
    "shared_interventions",
]

_STOP = {
    "of",
    "the",
    "and",
    "in",
    "with",
    "for",
    "a",
    "an",
    "to",
    "or",
    "on",
    "by",
    "mg",
    "dose",
    "disease",
    "disorder",
}


@functools.lru_cache(maxsize=1 << 16)
def _tokens(item: str) -> frozenset[str]:
    """The words of an item, lower-case, without stop words and plural s (cached: the same
    condition and intervention names recur across thousands of trials)."""
    words = re.findall(r"[a-z0-9]+", item.lower())
    out = set()
    for w in words:
        if w in _STOP:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


def shared_items(query_items: list[str], cand_items: list[str]) -> list[str]:
    """The candidate's items that match one of the query's.

    Two items match when they are equal ignoring case, punctuation and plurals, when all the
    words of one are in the other ("ischemic stroke", "acute ischemic stroke"), or when they
    share at least two words that make up half of the shorter one ("perinatal arterial
    ischemic stroke", "acute ischemic stroke").
    """
    qtok = [t for t in (_tokens(q) for q in query_items) if t]
    out = []
    for c in cand_items:
        ct = _tokens(c)
        if ct and any(_match(ct, q) for q in qtok) and c not in out:
            out.append(c)
    return out


def _match(a: frozenset[str], b: frozenset[str]) -> bool:
    if a <= b or b <= a:
        return True
    common = len(a & b)
    return common >= 2 and 2 * common >= min(len(a), len(b))


def shared_conditions(query: pd.Series | dict, cand: pd.Series | dict) -> list[str]:
    """Conditions (with keywords and MeSH terms) the candidate shares with the query."""
    return shared_items(condition_items(query), condition_items(cand))


def shared_interventions(query: pd.Series | dict, cand: pd.Series | dict) -> list[str]:
    """Interventions the candidate shares with the query (placebo and other comparators left out)."""
    q = [*intervention_items(query), *query.get("intervention_mesh", [])]
    c = [*intervention_items(cand), *cand.get("intervention_mesh", [])]
    return [x for x in shared_items(q, c) if not GENERIC_INTERVENTIONS.match(x)]


@dataclass
class Explanation:
    """Why a candidate trial is similar to a query (from :meth:`TrialIndex.explain`)."""

    query: str
    nct_id: str
    title: str
    score: float
    field_scores: dict[str, float]
    lexical: float
    shared_conditions: list[str] = field(default_factory=list)
    shared_interventions: list[str] = field(default_factory=list)
    shared_terms: list[str] = field(default_factory=list)
    condition_match: str = ""
    intervention_match: str = ""
    condition: float = float("nan")
    intervention: float = float("nan")
    text: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Per-part scores as a one-column DataFrame (``value``): fields, lexical, the text
        score, the condition and intervention parts, then the final score."""
        rows = {f"score_{f}": v for f, v in self.field_scores.items()}
        rows["score_lexical"] = self.lexical
        rows["score_text"] = self.text
        rows["score_condition"] = self.condition
        rows["score_intervention"] = self.intervention
        rows["score"] = self.score
        return pd.DataFrame({"value": rows})

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f}={v:.2f}" if v == v else f"{f}=n/a" for f, v in self.field_scores.items()
        )
        lines = [
            f"{self.nct_id} vs {self.query}: score {self.score:.3f}  ({self.title})",
            f"  condition: {self.condition_match} ({self.condition:.2f})",
            f"  intervention: {self.intervention_match} ({self.intervention:.2f})",
            f"  text: {self.text:.2f} from fields: {fields}, lexical={self.lexical:.2f}",
            f"  shared conditions: {', '.join(self.shared_conditions) or '(none)'}",
            f"  shared interventions: {', '.join(self.shared_interventions) or '(none)'}",
            f"  shared terms: {', '.join(self.shared_terms) or '(none)'}",
        ]
        return "\n".join(lines)


def explanation(
    query: str, hit: Mapping, fields: Sequence[str], shared_terms: list[str]
) -> Explanation:
    """The :class:`Explanation` of one row of a hits table (see ``search.hits.assemble``)."""
    title = hit["title"]
    return Explanation(
        query=query,
        nct_id=str(hit["nct_id"]),
        title=str(title) if not pd.isna(title) else "",
        score=float(hit["score"]),
        field_scores={f: float(hit[f"score_{f}"]) for f in fields},
        lexical=float(hit["score_lexical"]),
        shared_conditions=list(hit["shared_conditions"]),
        shared_interventions=list(hit["shared_interventions"]),
        shared_terms=shared_terms,
        condition_match=str(hit.get("condition_match", "")),
        intervention_match=str(hit.get("intervention_match", "")),
        condition=float(hit.get("score_condition", float("nan"))),
        intervention=float(hit.get("score_intervention", float("nan"))),
        text=float(hit.get("score_text", float("nan"))),
    )
