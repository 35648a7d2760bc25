"""simtrials: find the registered clinical trials most like yours, ranked, with the reasons.

>>> import simtrials as st
>>> trials = st.datasets.load_trials()
>>> index = st.TrialIndex.build(trials)
>>> index.similar("NCT03735277", k=10)
"""

from __future__ import annotations

from . import datasets, errors, schema
from .embed import Embedder
from .io import TrialFormatWarning, read_ctgov
from .search import Explanation, Hits
from .trial_index import TrialIndex

__version__ = "0.1.0"

__all__ = [
    "read_ctgov",
    "TrialIndex",
    "Embedder",
    "Hits",
    "Explanation",
    "datasets",
    "errors",
    "schema",
    "TrialFormatWarning",
    "__version__",
]
