"""simtrials: find the registered clinical trials most like yours, ranked, with the reasons.

>>> import simtrials as st
>>> trials = st.datasets.load_trials()
>>> index = st.TrialIndex.build(trials)
>>> index.similar("NCT03735277", k=10)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import datasets, errors, schema
from .embed import Embedder
from .evaluate import compare, evaluate
from .io import TrialFormatWarning, read_ctgov
from .search import Explanation, Hits

if TYPE_CHECKING:
    from .trial_index import TrialIndex

__version__ = "0.2.0"

# Imported on first use, so that `import simtrials` stays light and the readers and the
# Embedder work where FAISS is not installed (e.g. a GPU machine encoding only).
_LAZY = {"TrialIndex": "trial_index"}
# Subpackages imported on first use: `st.plot` (needs matplotlib), `st.landscape`, `st.vocab`.
_LAZY_MODULES = ("plot", "landscape", "vocab")


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simtrials' has no attribute {name!r}")


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
    "evaluate",
    "compare",
    "__version__",
]
