"""Errors raised by simtrials.

Every error a user can trigger with bad input is one of these typed exceptions. Each is a
subclass of the built-in exception a Python user would expect (``ValueError`` for bad values,
``KeyError`` for unknown identifiers), so ``except ValueError`` keeps working, and each
message names the file, the record (position and NCT ID where known) and the field.
"""

from __future__ import annotations

__all__ = [
    "SimtrialsError",
    "TrialFormatError",
    "TrialNotFoundError",
    "DuplicateTrialError",
    "QueryError",
    "IndexFormatError",
    "ModelMismatchError",
    "CTGovAPIError",
]


class SimtrialsError(Exception):
    """Base class of every error simtrials raises on purpose."""


class TrialFormatError(SimtrialsError, ValueError):
    """A trial record (or the file holding it) is not in a format simtrials can read.

    Attributes
    ----------
    source : str or None
        The file (or other source) the record came from.
    position : int or None
        0-based position of the record within the source.
    nct_id : str or None
        The record's NCT ID, where it could be read.
    field : str or None
        The field that was wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        position: int | None = None,
        nct_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.position = position
        self.nct_id = nct_id
        self.field = field
        self.reason = message
        where = []
        if source:
            where.append(f"source {source}")
        if position is not None:
            where.append(f"record {position}")
        if nct_id:
            where.append(nct_id)
        if field:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class TrialNotFoundError(SimtrialsError, KeyError):
    """An NCT ID that is not in the index (or not in the registry)."""

    def __init__(self, nct_id: str, message: str | None = None) -> None:
        self.nct_id = nct_id
        self.message = message or f"trial {nct_id!r} is not in the index"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return self.message


class DuplicateTrialError(SimtrialsError, ValueError):
    """Adding trials whose NCT IDs are already indexed (use ``update`` instead)."""


class QueryError(SimtrialsError, ValueError):
    """A query, ``k``, filter or candidate list that cannot be answered as given."""


class IndexFormatError(SimtrialsError, ValueError):
    """A saved index directory that is missing files, corrupted, or of another format version."""


class ModelMismatchError(IndexFormatError):
    """An index loaded or extended with a different embedding model than the one that built it."""


class CTGovAPIError(SimtrialsError, RuntimeError):
    """The ClinicalTrials.gov API answered with something that is not a valid page or study."""
