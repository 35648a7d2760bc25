"""Search: scoring (``score.py``), filters (``filters.py``), reasons (``explain.py``), results (``results.py``)."""

from .explain import Explanation
from .results import Hits
from .score import Scoring

__all__ = ["Explanation", "Hits", "Scoring"]
