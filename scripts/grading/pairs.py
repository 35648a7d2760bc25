"""The one step every pooling script ends with: the pooled pairs nobody judged, to a TSV."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd


def write_unjudged(path: Path, pairs: Iterable[tuple[str, str]], judged: pd.DataFrame) -> int:
    """Write the ``(query, candidate)`` pairs that ``judged`` (``load_relevance()``) does not
    grade to ``path`` (columns ``query, candidate``, sorted; nothing about how they were found)
    for ``make_packets.py``; returns how many."""
    known = set(zip(judged["query"], judged["candidate"]))
    todo = sorted({(str(q), str(c)) for q, c in pairs} - known)
    pd.DataFrame(todo, columns=["query", "candidate"]).to_csv(path, sep="\t", index=False)
    return len(todo)
