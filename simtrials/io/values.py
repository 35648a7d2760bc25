"""Parsers for single values that ClinicalTrials.gov writes in several ways.

The JSON and CSV readers both call these, so that a trial read from either format gets the
same value for the same field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from ..schema import DATE_MAX, DATE_MIN

__all__ = [
    "parse_phases",
    "parse_status",
    "parse_code",
    "parse_age_years",
    "parse_date",
    "infer_dayfirst",
    "parse_design",
    "design_code",
    "split_intervention",
    "INTERVENTION_TYPES",
]

INTERVENTION_TYPES = (
    "DRUG",
    "DEVICE",
    "BIOLOGICAL",
    "PROCEDURE",
    "RADIATION",
    "BEHAVIORAL",
    "GENETIC",
    "DIETARY_SUPPLEMENT",
    "COMBINATION_PRODUCT",
    "DIAGNOSTIC_TEST",
    "OTHER",
)

_PHASE_WORDS = {
    "EARLYPHASE1": "EARLY_PHASE1",
    "EARLY_PHASE1": "EARLY_PHASE1",
    "PHASE0": "EARLY_PHASE1",
    "PHASE1": "PHASE1",
    "PHASE2": "PHASE2",
    "PHASE3": "PHASE3",
    "PHASE4": "PHASE4",
    "NA": "NA",
    "N/A": "NA",
    "NOTAPPLICABLE": "NA",
}


def parse_phases(value: str | Iterable[str] | None) -> list[str]:
    """Phases as API v2 codes from any spelling.

    ``"PHASE1|PHASE2"``, ``"Phase 1/Phase 2"``, ``["PHASE2"]``, ``"Early Phase 1"`` and
    ``"N/A"`` all map to codes (``["PHASE1", "PHASE2"]``, ``["EARLY_PHASE1"]``, ``["NA"]``).

    Raises
    ------
    ValueError
        For a token that is not a phase.
    """
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        # "Phase 1/Phase 2", "PHASE1|PHASE2", "Phase 2, Phase 3"; "N/A" is one token
        text = re.sub(r"(?<![A-Za-z])N\s*/\s*A(?![A-Za-z])", "NA", text, flags=re.I)
        tokens = re.split(r"\s*[|/,;]\s*", text)
    else:
        tokens = [str(v) for v in value]
    out: list[str] = []
    for tok in tokens:
        key = re.sub(r"[\s\-]", "", tok.upper())
        if not key:
            continue
        if key not in _PHASE_WORDS:
            raise ValueError(f"unknown phase {tok!r}; expected e.g. PHASE2 or 'Phase 2'")
        code = _PHASE_WORDS[key]
        if code not in out:
            out.append(code)
    return out


def parse_code(value: str | None) -> str | None:
    """An enum-like value as an API v2 code: ``"Active, not recruiting"`` -> ``ACTIVE_NOT_RECRUITING``."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or None


_STATUS_ALIASES = {"UNKNOWN_STATUS": "UNKNOWN", "AVAILABLE": "AVAILABLE"}


def parse_status(value: str | None) -> str | None:
    """Overall status as an API v2 code (``"Unknown status"`` -> ``UNKNOWN``)."""
    code = parse_code(value)
    if code is None:
        return None
    return _STATUS_ALIASES.get(code, code)


_AGE_UNITS = {
    "YEAR": 1.0,
    "MONTH": 1.0 / 12.0,
    "WEEK": 7.0 / 365.25,
    "DAY": 1.0 / 365.25,
    "HOUR": 1.0 / (365.25 * 24),
    "MINUTE": 1.0 / (365.25 * 24 * 60),
}


def parse_age_years(value: str | None) -> float | None:
    """``"18 Years"``, ``"6 Months"``, ``"N/A"`` -> 18.0, 0.5, None.

    Raises
    ------
    ValueError
        For text that is not an age.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.upper() in ("N/A", "NA", "NONE"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)?", text)
    if not m:
        raise ValueError(f"expected an age such as '18 Years', got {text!r}")
    number = float(m.group(1))
    unit = (m.group(2) or "YEARS").upper().rstrip("S")
    if unit not in _AGE_UNITS:
        raise ValueError(f"unknown age unit in {text!r}")
    return round(number * _AGE_UNITS[unit], 4)


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
# "September 20, 2018", "Sep 20 2018", "May 2020": the classic XML and legacy exports (fast path)
_MONTH_DAY_YEAR = re.compile(r"^(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$")
_MONTH_YEAR = re.compile(r"^(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})$")
_MONTHS = {
    name.lower(): i
    for i, names in enumerate(
        [
            (m, m[:3])
            for m in (
                "January February March April May June July August September "
                "October November December"
            ).split()
        ],
        start=1,
    )
    for name in names
}
_MONTHS["sept"] = 9
_MONTH_NAME_FORMATS = ("%B %d, %Y", "%B %d %Y", "%B %Y", "%b %d, %Y", "%b %Y", "%d %B %Y")


def infer_dayfirst(values: Iterable[str]) -> bool:
    """Whether a column of ``dd-mm-yyyy``/``mm/dd/yyyy`` dates is day-first.

    Decided on the whole column: a first number above 12 means day-first, a second number
    above 12 means month-first; otherwise ``-`` separated dates are read day-first (as in
    European exports) and ``/`` separated month-first (as in US spreadsheets).
    """
    first_big = second_big = False
    dash = slash = 0
    for v in values:
        m = _NUMERIC.match(str(v).strip())
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        first_big |= a > 12
        second_big |= b > 12
        if "-" in v:
            dash += 1
        else:
            slash += 1
    if first_big and not second_big:
        return True
    if second_big and not first_big:
        return False
    return dash > slash


def parse_date(value: str | None, *, dayfirst: bool = False) -> pd.Timestamp | None:
    """A registry date in any of the forms seen in exports, as a Timestamp.

    Month-only dates ("2019-08", "August 2019") become the first of the month.

    Raises
    ------
    ValueError
        For text that is not a date.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return _in_range(_parse_date(text, dayfirst), text)


def _in_range(ts: pd.Timestamp, text: str) -> pd.Timestamp:
    if not DATE_MIN <= ts <= DATE_MAX:
        raise ValueError(
            f"date {text!r} is out of range; expected a date between "
            f"{DATE_MIN.date()} and {DATE_MAX.date()}"
        )
    return ts


def _parse_date(text: str, dayfirst: bool) -> pd.Timestamp:
    try:
        m = _ISO_DAY.match(text)
        if m:
            return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _ISO_MONTH.match(text)
        if m:
            return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
        m = _NUMERIC.match(text)
        if m:
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            day, month = (a, b) if dayfirst else (b, a)
            return pd.Timestamp(y, month, day)
        m = _MONTH_DAY_YEAR.match(text) or _MONTH_YEAR.match(text)
        month = _MONTHS.get(m.group("month").lower()) if m else None
        if month is not None:
            day = int(m.groupdict().get("day") or 1)
            return pd.Timestamp(int(m.group("year")), month, day)
    except ValueError:
        raise ValueError(f"expected a date, got {text!r}") from None
    for fmt in _MONTH_NAME_FORMATS:
        try:
            return pd.Timestamp(pd.to_datetime(text, format=fmt))
        except (ValueError, TypeError):
            continue
    raise ValueError(f"expected a date such as 2019-08-05 or 2019-08, got {text!r}")


# field -> {legacy code: API v2 code}
_DESIGN_ALIASES: dict[str, dict[str, str]] = {
    "allocation": {"N_A": "NA", "NON_RANDOMISED": "NON_RANDOMIZED", "RANDOMISED": "RANDOMIZED"},
    "intervention_model": {
        "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
        "PARALLEL_ASSIGNMENT": "PARALLEL",
        "CROSSOVER_ASSIGNMENT": "CROSSOVER",
        "FACTORIAL_ASSIGNMENT": "FACTORIAL",
        "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
    },
    "masking": {
        "OPEN_LABEL": "NONE",
        "SINGLE_BLIND": "SINGLE",
        "DOUBLE_BLIND": "DOUBLE",
    },
    "primary_purpose": {
        "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
        "N_A": "NA",
    },
}


def design_code(field: str, text: str | None) -> str | None:
    """A study-design value as an API v2 code.

    ``design_code("intervention_model", "Parallel Assignment")`` -> ``"PARALLEL"``;
    ``design_code("masking", "Double (Participant, Investigator)")`` -> ``"DOUBLE"``;
    ``design_code("allocation", "N/A")`` -> ``"NA"``.
    """
    if text is None:
        return None
    code = parse_code(text.split("(")[0])
    if code is None:
        return None
    return _DESIGN_ALIASES.get(field, {}).get(code, code)


_DESIGN_KEYS = {
    "ALLOCATION": "allocation",
    "INTERVENTION_MODEL": "intervention_model",
    "MASKING": "masking",
    "PRIMARY_PURPOSE": "primary_purpose",
}


def parse_design(value: str | None) -> dict[str, str]:
    """The CSV export's "Study Design" cell as schema fields.

    ``"Allocation: RANDOMIZED|Intervention Model: PARALLEL|Masking: DOUBLE (PARTICIPANT)|
    Primary Purpose: TREATMENT"`` -> ``{"allocation": "RANDOMIZED", …, "masking": "DOUBLE"}``.
    """
    out: dict[str, str] = {}
    if not value:
        return out
    for part in re.split(r"\s*\|\s*", str(value)):
        if ":" not in part:
            continue
        key, _, val = part.partition(":")
        field = _DESIGN_KEYS.get(parse_code(key) or "")
        val = val.strip()
        if field and val:
            # "DOUBLE (PARTICIPANT, OUTCOMES_ASSESSOR)" -> "DOUBLE"; "Parallel Assignment" -> PARALLEL
            out[field] = design_code(field, val) or ""
            if not out[field]:
                del out[field]
    return out


_TYPE_PREFIX = re.compile(r"^\s*([A-Za-z_ ]+?)\s*:\s*(.+)$", re.S)
_TYPE_SET = set(INTERVENTION_TYPES)


def split_intervention(text: str) -> tuple[str | None, str]:
    """``"DRUG: Aspirin"`` -> ``("DRUG", "Aspirin")``; text without a known type prefix -> ``(None, text)``."""
    m = _TYPE_PREFIX.match(text)
    if m:
        code = parse_code(m.group(1))
        if code in _TYPE_SET:
            return code, m.group(2).strip()
    return None, text.strip()
