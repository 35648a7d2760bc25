"""Indexes: FAISS vectors per field (``vectors.py``) and the lexical model (``lexical.py``)."""

from .lexical import LexicalIndex
from .vectors import FieldVectors, choose_factory

__all__ = ["FieldVectors", "LexicalIndex", "choose_factory"]
