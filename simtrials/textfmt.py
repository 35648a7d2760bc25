"""Small text helpers: the one ``clip``, ``short`` and ``distinct`` of simtrials."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["clip", "short", "distinct"]


def clip(text: str, n: int) -> str:
    """``text`` cut to at most ``n`` characters, an ellipsis marking the cut."""
    return text if len(text) <= n else text[: n - 1] + "…"


def short(value: object, width: int) -> str:
    """A cell as text of at most ``width`` characters: lists joined by commas, missing empty."""
    if isinstance(value, (list, tuple, np.ndarray)):
        text = ", ".join(map(str, value))
    elif value is None or (not isinstance(value, str) and pd.isna(value)):
        text = ""
    else:
        text = str(value)
    return clip(text, width)


def distinct(items: Iterable[str]) -> list[str]:
    """The items stripped, in order, each once (compared case-blind), blanks left out."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out
