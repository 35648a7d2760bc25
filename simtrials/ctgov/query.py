"""Query parameters of the ``/studies`` endpoint, checked before anything is sent.

Turning the client's keyword arguments into API v2 parameters happens here, once, so that a
typo in a status or an NCT ID fails at once with a message that names it, not as an HTTP 400
after a network round trip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..errors import QueryError
from ..io.values import parse_status
from ..schema import NCT_ID_PATTERN

__all__ = ["STATUSES", "normalize_nct_id", "normalize_nct_ids", "normalize_statuses", "build_query"]

#: The values of ``filter.overallStatus`` that API v2 accepts.
STATUSES: tuple[str, ...] = (
    "ACTIVE_NOT_RECRUITING",
    "COMPLETED",
    "ENROLLING_BY_INVITATION",
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "WITHDRAWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
)

# Parameters the client sets itself while paging; a caller may not pass them in ``params``.
RESERVED = frozenset({"pageSize", "pageToken", "countTotal", "format"})

_NCT = re.compile(NCT_ID_PATTERN)  # the one pattern, in schema.py (ASCII digits)


def normalize_nct_id(value: object) -> str:
    """``" nct01234567 "`` -> ``"NCT01234567"``; anything else that is not an NCT ID raises.

    Raises
    ------
    QueryError
        When the value is not ``NCT`` followed by 8 digits.
    """
    text = str(value).strip().upper() if isinstance(value, str) else None
    if text is None or not _NCT.match(text):
        raise QueryError(f"{value!r} is not an NCT ID (expected 'NCT' followed by 8 digits)")
    return text


def normalize_nct_ids(values: str | Iterable[str]) -> list[str]:
    """Normalized NCT IDs, first occurrence kept, in the given order."""
    if isinstance(values, str):
        values = [values]
    return list(dict.fromkeys(normalize_nct_id(v) for v in values))


def normalize_statuses(values: str | Iterable[str]) -> list[str]:
    """Overall statuses as API v2 codes (``"Not yet recruiting"`` -> ``NOT_YET_RECRUITING``).

    Raises
    ------
    QueryError
        For a status that API v2 does not know.
    """
    if isinstance(values, str):
        # One status ("Active, not recruiting" holds a comma) or a comma/pipe-joined list.
        values = [values] if parse_status(values) in STATUSES else re.split(r"[,|]", values)
    out = []
    for value in values:
        code = parse_status(value) if isinstance(value, str) else None
        if code not in STATUSES:
            raise QueryError(
                f"unknown overall status {value!r}; expected one of {', '.join(STATUSES)}"
            )
        out.append(code)
    return list(dict.fromkeys(out))


def build_query(
    *,
    cond: str | None = None,
    term: str | None = None,
    intr: str | None = None,
    status: str | Iterable[str] | None = None,
    params: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """The search parameters of one ``/studies`` query (without paging and without IDs).

    Raises
    ------
    QueryError
        For an unknown status, an empty text query, or ``params`` that set a paging parameter
        or repeat one of the named arguments.
    """
    query: dict[str, str] = {}
    for name, value in (("query.cond", cond), ("query.term", term), ("query.intr", intr)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise QueryError(f"{name} must be a non-empty string, got {value!r}")
        query[name] = value.strip()
    if status is not None:
        codes = normalize_statuses(status)
        if not codes:
            raise QueryError("status is an empty list; pass None to search every status")
        query["filter.overallStatus"] = ",".join(codes)
    for key, value in (params or {}).items():
        if key in RESERVED:
            raise QueryError(f"params may not set {key!r}; the client sets it while paging")
        if key == "filter.ids":
            raise QueryError("pass NCT IDs as ids=[...], not in params (they are sent in batches)")
        if key in query:
            raise QueryError(f"{key!r} is given twice (as an argument and in params)")
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        query[key] = str(value)
    return query
