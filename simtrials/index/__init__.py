"""The stores of an index: vectors per field (``vectors.py``), condition sets
(``itemsets.py``), TF-IDF counts (``lexical.py``), kept in step by ``store.py``; encoding
trials for them (``encode.py``)."""

from .itemsets import ItemSets
from .lexical import LexicalIndex
from .store import TrialStore
from .vectors import FieldVectors, choose_factory

__all__ = ["FieldVectors", "ItemSets", "LexicalIndex", "TrialStore", "choose_factory"]
