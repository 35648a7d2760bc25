"""The landscape of the trials an index finds most like a query (``TrialIndex.landscape``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .result import Landscape
from .summarize import summarize

__all__ = ["of_index", "of_hits"]


def of_hits(
    hits: pd.DataFrame, trials: pd.DataFrame | None = None, *, embedder: Any = None, **options: Any
) -> Landscape:
    """The landscape of a hits table, read from ``trials`` (the index's records) when given,
    else from the hits' own columns (fields they lack read "not available")."""
    if trials is None:
        records = pd.DataFrame(hits)
    else:
        records = trials.set_index("nct_id").loc[list(hits["nct_id"])].reset_index()
    query = getattr(hits, "query", None)
    return summarize(records, query=query, embedder=embedder, **options)


def of_index(
    index: Any,
    query: Any,
    k: int = 50,
    *,
    where: Mapping[str, Any] | None = None,
    focus: str | None = None,
    **options: Any,
) -> Landscape:
    """The landscape of the ``k`` trials of ``index`` most like ``query`` (an NCT ID, a
    record or draft, or a free text); outcome measures grouped with the index's embedder."""
    from ..search.query import is_nct_id

    text = isinstance(query, str) and not is_nct_id(query)
    ask = index.search if text else index.similar
    hits = ask(query, k=k, where=where, focus=focus)
    return of_hits(hits, index.trials, embedder=index.embedder, **options)
