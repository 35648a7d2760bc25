"""Registry wording of the classic XML and the legacy website export, as API v2 codes.

The pre-2024 formats (the ``<clinical_study>`` XML of AllPublicXML.zip and the website's
``SearchResults.csv``) spell coded values in words: "Parallel Assignment", "None (Open
Label)", "Observational [Patient Registry]", "18 Years and older   (Adult, Older Adult)".
These functions turn them into the codes API v2 JSON carries (``PARALLEL``, ``NONE``,
``OBSERVATIONAL``, …), so a trial reads the same whichever format it came from. Values that are
already codes pass through unchanged.
"""

from __future__ import annotations

import re

from .values import parse_age_years, parse_code

__all__ = [
    "MISSING_MARKERS",
    "is_missing_marker",
    "study_type_code",
    "parse_age_cell",
    "parse_enrollment_type",
    "parse_sponsor_class",
    "parse_has_results",
]

# Whole-cell texts that exports write for "no value" (compared case-insensitively, stripped).
MISSING_MARKERS = frozenset({"", "null", "na", "n/a", "none", "nan"})


def is_missing_marker(text: str | None) -> bool:
    """Whether ``text`` is a missing-value marker (``null``, ``NA``, ``N/A``, ``None``, empty)."""
    return text is None or text.strip().lower() in MISSING_MARKERS


def study_type_code(text: str | None) -> str | None:
    """``"Observational [Patient Registry]"`` -> ``OBSERVATIONAL``;
    ``"Expanded Access:Treatment IND/Protocol"`` -> ``EXPANDED_ACCESS``."""
    if text is None:
        return None
    return parse_code(re.split(r"[\[:(]", text.strip().strip('"'), maxsplit=1)[0])


_AGE_RANGE = re.compile(
    r"^\s*(?:(?P<lo>\d+(?:\.\d+)?\s*[A-Za-z]+)\s+to\s+(?P<hi>\d+(?:\.\d+)?\s*[A-Za-z]+)"
    r"|(?P<min>\d+(?:\.\d+)?\s*[A-Za-z]+)\s+and\s+older"
    r"|up\s+to\s+(?P<max>\d+(?:\.\d+)?\s*[A-Za-z]+))\s*$",
    re.I,
)


def parse_age_cell(text: str | None) -> tuple[list[str], float | None, float | None]:
    """An export's "Age" cell as ``(std_ages, minimum_age_years, maximum_age_years)``.

    ``"18 Years and older   (Adult, Older Adult)"`` -> ``(["ADULT", "OLDER_ADULT"], 18.0,
    None)``; ``"1 Year to 24 Years   (Child, Adult)"`` -> ``(["CHILD", "ADULT"], 1.0, 24.0)``;
    ``"ADULT, OLDER_ADULT"`` (the current export) -> ``(["ADULT", "OLDER_ADULT"], None, None)``.

    Raises
    ------
    ValueError
        For an age range whose ages cannot be read.
    """
    if text is None or not text.strip():
        return [], None, None
    groups, range_text = text, ""
    m = re.fullmatch(r"\s*(.*?)\s*\(([^()]*)\)\s*", text, re.S)
    if m:
        range_text, groups = m.group(1), m.group(2)
    elif re.match(r"\s*(\d|up\s+to\b)", text, re.I):
        range_text, groups = text, ""
    ages = [c for c in (parse_code(a) for a in groups.split(",")) if c]
    lo = hi = None
    if range_text:
        r = _AGE_RANGE.match(range_text)
        if r is None:
            raise ValueError(
                f"expected an age range such as '18 Years to 65 Years', got {range_text!r}"
            )
        lo = parse_age_years(r.group("lo") or r.group("min"))
        hi = parse_age_years(r.group("hi") or r.group("max"))
    return ages, lo, hi


_ENROLLMENT_TYPES = {
    "ACTUAL": "ACTUAL",
    "ESTIMATED": "ESTIMATED",
    "ESTIMATE": "ESTIMATED",
    "ANTICIPATED": "ESTIMATED",  # the classic XML and the pre-2017 registry
    "EXPECTED": "ESTIMATED",
}


def parse_enrollment_type(value: str | None) -> str | None:
    """``"Actual"`` -> ``ACTUAL``; ``"Anticipated"``, ``"Estimated"`` -> ``ESTIMATED``.

    Raises
    ------
    ValueError
        For a value that is neither.
    """
    code = parse_code(value)
    if code is None:
        return None
    if code not in _ENROLLMENT_TYPES:
        raise ValueError(f"unknown enrollment type {value!r}; expected ACTUAL or ESTIMATED")
    return _ENROLLMENT_TYPES[code]


# Lead sponsor classes (API v2 AgencyClass) and the classic XML / legacy CSV spellings.
_SPONSOR_CLASS_ALIASES = {
    "U_S_FED": "FED",
    "US_FED": "FED",
    "OTHER_U_S_FEDERAL_AGENCY": "FED",
    "OTHER_GOVERNMENT": "OTHER_GOV",
    "INDIVIDUAL": "INDIV",
    "AMBIGUOUS": "AMBIG",
}


def parse_sponsor_class(value: str | None) -> str | None:
    """A lead sponsor class as an API v2 code: ``"Industry"`` -> ``INDUSTRY``, ``"U.S. Fed"`` -> ``FED``."""
    code = parse_code(value)
    if code is None:
        return None
    return _SPONSOR_CLASS_ALIASES.get(code, code)


_RESULTS_WORDS = {
    "YES": True,
    "TRUE": True,
    "HAS_RESULTS": True,
    "NO": False,
    "FALSE": False,
    "NO_RESULTS_AVAILABLE": False,
}


def parse_has_results(value: str | None) -> bool | None:
    """The CSV exports' "Study Results" cell: ``"YES"``/``"Has Results"`` -> True, ``"NO"`` /
    ``"No Results Available"`` -> False.

    Raises
    ------
    ValueError
        For any other text.
    """
    code = parse_code(value)
    if code is None:
        return None
    if code not in _RESULTS_WORDS:
        raise ValueError(f"expected YES/NO or 'Has Results'/'No Results Available', got {value!r}")
    return _RESULTS_WORDS[code]
