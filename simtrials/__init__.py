"""simtrials: find the registered clinical trials most like yours, ranked, with the reasons.

>>> import simtrials as st
>>> trials = st.datasets.load_trials()
>>> index = st.TrialIndex.build(trials)
>>> index.similar("NCT03735277", k=10)
"""

from __future__ import annotations

from . import datasets, errors, schema
from .io import TrialFormatWarning, read_ctgov

__version__ = "0.1.0"

__all__ = ["read_ctgov", "datasets", "errors", "schema", "TrialFormatWarning", "__version__"]
