"""Hit assembly: ranked candidates and their score parts -> a :class:`Hits` table, with the
reasons (conditions and interventions shared with the query) beside the scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import explain
from .query import Query
from .results import RECORD_COLUMNS, Hits
from .score import Parts

if TYPE_CHECKING:
    from ..index.store import TrialStore

__all__ = ["top", "assemble", "REASON_COLUMNS"]

# The record columns the reasons and the display need (taking only these keeps queries fast).
REASON_COLUMNS = (
    "title", "conditions", "condition_mesh", "keywords", "interventions", "intervention_other_names",
    "intervention_mesh", "phases", "overall_status", "study_type", "start_date",
)  # fmt: skip


def top(parts: Parts, nct_ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best candidates: by score, ties by NCT ID."""
    return np.lexsort((nct_ids, -parts.score))[:k]


def reasons(q: Query, records: list[Mapping]) -> tuple[list[list[str]], list[list[str]]]:
    """The conditions and the interventions each record shares with the query."""
    if not q.record:
        return [[] for _ in records], [[] for _ in records]
    return (
        [explain.shared_conditions(q.record, r) for r in records],
        [explain.shared_interventions(q.record, r) for r in records],
    )


def assemble(store: TrialStore, q: Query, rows: np.ndarray, parts: Parts) -> Hits:
    """The hits table of the candidates at ``rows`` (already in rank order) and their parts."""
    table = store.table
    columns = {c: table[c].iloc[rows].to_numpy() for c in REASON_COLUMNS}
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "nct_id": store.nct[rows],
            "title": columns["title"],
            "score": parts.score,
        }
    )
    for f, sims in parts.per_field.items():
        out[f"score_{f}"] = sims
    out["score_lexical"] = parts.lexical
    records = [{c: columns[c][i] for c in REASON_COLUMNS} for i in range(len(rows))]
    out["shared_conditions"], out["shared_interventions"] = reasons(q, records)
    for col in RECORD_COLUMNS:
        out[col] = columns[col]
    hits = Hits(out)
    hits.query = q.label
    return hits
