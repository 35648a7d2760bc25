"""Search, stage by stage: the query (``query.py``), candidates (``candidates.py``, with
``filters.py``), similarities (``similarity.py``), the score (``score.py``, settings in
``settings.py``), hits and reasons (``hits.py``, ``results.py``, ``explain.py``)."""

from .explain import Explanation
from .query import Query
from .results import Hits
from .score import Parts, Scoring

__all__ = ["Explanation", "Hits", "Parts", "Query", "Scoring"]
