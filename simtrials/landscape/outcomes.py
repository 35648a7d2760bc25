"""The most common primary outcome measures of a set of trials, near-duplicates grouped.

A registered outcome is one string, "measure, description, time frame" (see
:mod:`simtrials.schema`); its *measure* is taken as the text before the first ", ". Measures
that say the same thing in different words are grouped in two steps:

1. **Text key** (always): lower case, parenthesised asides ("(mRS)"), time points ("at 90
   days", "12 months"), punctuation and filler words (:data:`FILLER`) removed, and the
   remaining words sorted. "Modified Rankin Scale (mRS) at 90 days" and "modified Rankin
   scale" share the key ``modified rankin``.
2. **Vectors** (when an ``embedder`` is given): the key groups are clustered by the cosine
   similarity of their measures' vectors (``embedder.encode`` returns unit rows), average
   linkage, merging groups whose mean similarity is at least ``similarity``.

A group counts each trial once, however many of its outcomes fall in it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .stats import is_missing

__all__ = ["measure_of", "text_key", "group_outcomes", "FILLER", "OUTCOME_COLUMNS"]

#: Words left out of the text key: function words and the wording around a measure.
FILLER = frozenset(
    "a an the of in on at to for from by with and or as per its their who which that is are be "
    "using measured assessed evaluated via based defined during after within over between "
    "change changes baseline score scores scale number proportion percentage percent rate "
    "participants patients subjects total overall".split()
)

OUTCOME_COLUMNS = ("measure", "n", "share", "variants", "examples", "nct_ids")

_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TIME = re.compile(
    r"\b(?:day|week|month|year|visit)s?\s*\d+\b|"
    r"\b\d+(?:\s*(?:-|to|and)\s*\d+)?\s*(?:h|hrs?|hours?|d|days?|wks?|weeks?|mos?|months?|"
    r"yrs?|years?)\b",
    re.I,
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def measure_of(outcome: str) -> str:
    """The measure of a registered outcome string: its text before the first ``", "``."""
    return outcome.split(", ", 1)[0].strip()


def text_key(measure: str) -> str:
    """The normalized key of a measure (see the module's docstring); ``""`` for filler only.

    >>> text_key("Modified Rankin Scale (mRS) at 90 days")
    'modified rankin'
    """
    text = _TIME.sub(" ", _ASIDE.sub(" ", measure.lower()))
    words = [w for w in _NON_WORD.sub(" ", text).split() if w not in FILLER and not w.isdigit()]
    return " ".join(sorted(set(words)))


def _mentions(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per (trial, distinct measure): nct_id, rank, measure, key."""
    rows = []
    if "primary_outcomes" not in trials.columns:  # not available: nothing to count
        return pd.DataFrame(rows, columns=["nct_id", "rank", "measure", "key"])
    for rank, (nct, outcomes) in enumerate(zip(trials["nct_id"], trials["primary_outcomes"])):
        if is_missing(outcomes):
            continue
        for outcome in dict.fromkeys(measure_of(str(o)) for o in outcomes):
            key = text_key(outcome) or outcome.lower()
            if outcome:
                rows.append((nct, rank, outcome, key))
    return pd.DataFrame(rows, columns=["nct_id", "rank", "measure", "key"])


def _cluster_keys(groups: pd.DataFrame, embedder, similarity: float) -> np.ndarray:
    """A cluster label per key group: by vectors with an embedder, else one per key."""
    if embedder is None or len(groups) < 2:
        return np.arange(len(groups))
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.asarray(embedder.encode(list(groups["measure"])), dtype=np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    distance = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    condensed = distance[np.triu_indices(len(groups), k=1)]
    tree = linkage(condensed, method="average")
    return fcluster(tree, t=1.0 - similarity, criterion="distance")


def group_outcomes(
    trials: pd.DataFrame,
    *,
    embedder=None,
    similarity: float = 0.75,
    top: int | None = 10,
) -> tuple[pd.DataFrame, int]:
    """The most common primary outcome measures, grouped; and how many trials name one.

    Returns
    -------
    (table, n)
        ``table`` has one row per group, most trials first (ties: the best-ranked trial):
        ``measure`` (the group's most common wording), ``n`` (trials), ``share`` (of the
        ``n`` trials with at least one primary outcome), ``variants`` (distinct wordings),
        ``examples`` (up to three other wordings) and ``nct_ids`` (the trials, rank order).
    """
    similarity = _check_similarity(similarity)
    mentions = _mentions(trials)
    n_known = int(mentions["nct_id"].nunique()) if len(mentions) else 0
    if not n_known:
        return pd.DataFrame({c: [] for c in OUTCOME_COLUMNS}).astype({"n": "int64"}), 0
    # each key group is named by its most common wording (ties: best rank)
    wording = (
        mentions.groupby(["key", "measure"], sort=False)
        .agg(n=("nct_id", "nunique"), rank=("rank", "min"))
        .reset_index()
        .sort_values(["n", "rank"], ascending=[False, True], kind="stable")
    )
    groups = wording.drop_duplicates("key").reset_index(drop=True)
    label = dict(zip(groups["key"], _cluster_keys(groups, embedder, similarity)))
    mentions["cluster"] = mentions["key"].map(label)
    wording["cluster"] = wording["key"].map(label)
    rows = []
    for cluster, part in mentions.groupby("cluster", sort=False):
        names = wording[wording["cluster"] == cluster]
        names = names.groupby("measure", sort=False).agg(n=("n", "sum"), rank=("rank", "min"))
        names = names.sort_values(["n", "rank"], ascending=[False, True], kind="stable")
        ids = part.sort_values("rank", kind="stable")["nct_id"].drop_duplicates().tolist()
        measures = list(names.index)
        rows.append(
            {
                "measure": measures[0],
                "n": len(ids),
                "share": len(ids) / n_known,
                "variants": len(measures),
                "examples": measures[1:4],
                "nct_ids": ids,
                "_rank": int(part["rank"].min()),
            }
        )
    table = pd.DataFrame(rows).sort_values(["n", "_rank"], ascending=[False, True], kind="stable")
    table = table.drop(columns="_rank").reset_index(drop=True).astype({"n": "int64"})
    return (table if top is None else table.head(top)).reset_index(drop=True), n_known


def _check_similarity(similarity: float) -> float:
    if not 0.0 < float(similarity) <= 1.0:
        raise ValueError(f"similarity must be in (0, 1], got {similarity!r}")
    return float(similarity)
