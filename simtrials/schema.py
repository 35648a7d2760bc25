"""The normalized trial table: one row per trial, the same columns whatever the source.

Every reader returns a DataFrame in this schema and every later stage (representation,
indexing, search) reads only these columns. The table is the single place that says what a
column is called, what type it holds and what it means.

Conventions
-----------
- Text columns use pandas' ``string`` dtype; a missing value is ``<NA>``, never ``""``.
- List columns (``conditions``, ``interventions`` …) hold a Python ``list`` of ``str`` in every
  row; a missing list is ``[]``, never ``None`` or ``NaN``.
- Dates are ``datetime64[ns]``; a month-only date ("2019-08") is the first of that month.
- Categorical codes use ClinicalTrials.gov API v2 enums (``PHASE2``, ``EARLY_PHASE1``,
  ``RECRUITING``, ``INTERVENTIONAL`` …) whichever format the record came from.
- Repeated groups of fields are stored as *parallel lists* of strings, which parquet holds as
  plain ``list<string>`` columns: ``interventions`` / ``intervention_types`` /
  ``intervention_descriptions`` and ``arm_group_labels`` / ``arm_group_types`` /
  ``arm_group_descriptions``. Item ``i`` of each list describes the same intervention (arm);
  an aligned list holds ``''`` where that item has no value, and is ``[]`` when no item has one.
  So arm ``i`` is ``(labels[i], types[i] if types else '', descriptions[i] if descriptions else
  '')``.
- Outcome measures (``primary_outcomes``, ``secondary_outcomes``) are one string per
  outcome: its measure, description and time frame joined by ``", "`` (the CSV export's form).
- A value a source does not carry is missing (``<NA>`` / ``[]``), never guessed. Tables saved
  before a column existed (old parquet files, saved indexes) still read: :func:`validate`
  adds the missing columns empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "dtypes",
    "Column",
    "COLUMNS",
    "COLUMN_NAMES",
    "LIST_COLUMNS",
    "TEXT_COLUMNS",
    "DATE_COLUMNS",
    "empty_frame",
    "to_frame",
    "validate",
    "NCT_ID_PATTERN",
    "DATE_MIN",
    "DATE_MAX",
]

NCT_ID_PATTERN = r"^NCT[0-9]{8}$"  # ASCII digits: r"\d" would also accept other scripts' digits
#: ``NCT_ID_PATTERN`` compiled: the one NCT ID check of the readers and the queries.
NCT_ID_RE = re.compile(NCT_ID_PATTERN)

# Dates are datetime64[ns], which holds 1677-09-22 … 2262-04-11; whole years inside that.
DATE_MIN = pd.Timestamp("1678-01-01")
DATE_MAX = pd.Timestamp("2261-12-31")


@dataclass(frozen=True)
class Column:
    """One column of the normalized trial table."""

    name: str
    kind: str  # "text" | "list" | "date" | "int" | "float" | "bool"
    doc: str


COLUMNS: tuple[Column, ...] = (
    Column("nct_id", "text", "ClinicalTrials.gov identifier, 'NCT' + 8 digits (the table's key)."),
    Column("title", "text", "Brief title."),
    Column("official_title", "text", "Official (scientific) title."),
    Column("acronym", "text", "Study acronym, e.g. 'STAMPEDE'."),
    Column("brief_summary", "text", "Brief summary."),
    Column("detailed_description", "text", "Detailed description."),
    Column("conditions", "list", "Conditions or focus of the study, as registered."),
    Column("keywords", "list", "Keywords given by the sponsor."),
    Column("condition_mesh", "list", "MeSH terms of the conditions (derived by the registry)."),
    Column("interventions", "list", "Intervention names, one per intervention."),
    Column(
        "intervention_types",
        "list",
        "Intervention types (DRUG, DEVICE, BIOLOGICAL …), aligned with interventions.",
    ),
    Column(
        "intervention_descriptions",
        "list",
        "Intervention descriptions, aligned with interventions ('' where absent).",
    ),
    Column(
        "intervention_other_names", "list", "Other names of the interventions (brand names, codes)."
    ),
    Column(
        "intervention_mesh", "list", "MeSH terms of the interventions (derived by the registry)."
    ),
    Column("arm_group_labels", "list", "Arm (or cohort) labels, one per arm group."),
    Column(
        "arm_group_types",
        "list",
        "Arm types (EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR, SHAM_COMPARATOR, "
        "NO_INTERVENTION, OTHER), aligned with arm_group_labels ('' where absent).",
    ),
    Column(
        "arm_group_descriptions",
        "list",
        "Arm descriptions, aligned with arm_group_labels ('' where absent).",
    ),
    Column("phases", "list", "Phases as API v2 codes: EARLY_PHASE1, PHASE1 … PHASE4, NA."),
    Column("study_type", "text", "INTERVENTIONAL, OBSERVATIONAL or EXPANDED_ACCESS."),
    Column("overall_status", "text", "Recruitment status (RECRUITING, COMPLETED …)."),
    Column("why_stopped", "text", "Why a terminated, suspended or withdrawn study stopped."),
    Column("has_results", "bool", "Whether results have been posted to the registry."),
    Column("allocation", "text", "RANDOMIZED, NON_RANDOMIZED or NA."),
    Column("intervention_model", "text", "PARALLEL, SINGLE_GROUP, CROSSOVER …"),
    Column("masking", "text", "NONE, SINGLE, DOUBLE, TRIPLE or QUADRUPLE."),
    Column("primary_purpose", "text", "TREATMENT, PREVENTION, DIAGNOSTIC …"),
    Column("enrollment", "int", "Enrollment count (actual or anticipated)."),
    Column(
        "enrollment_type",
        "text",
        "ACTUAL or ESTIMATED (the classic XML's 'Anticipated' is ESTIMATED).",
    ),
    Column("start_date", "date", "Study start date."),
    Column("primary_completion_date", "date", "Primary completion date."),
    Column("completion_date", "date", "Study completion date."),
    Column(
        "last_update", "date", "Date of the last update posted; used to pick the newest duplicate."
    ),
    Column("sponsor", "text", "Lead sponsor."),
    Column(
        "sponsor_class",
        "text",
        "Lead sponsor's class: INDUSTRY, NIH, FED, OTHER_GOV, INDIV, NETWORK, AMBIG, OTHER, UNKNOWN.",
    ),
    Column("collaborators", "list", "Collaborators."),
    Column("sex", "text", "ALL, FEMALE or MALE."),
    Column("std_ages", "list", "Standard age groups: CHILD, ADULT, OLDER_ADULT."),
    Column("minimum_age_years", "float", "Minimum age in years."),
    Column("maximum_age_years", "float", "Maximum age in years."),
    Column("healthy_volunteers", "bool", "Whether healthy volunteers are accepted."),
    Column("eligibility_criteria", "text", "Eligibility criteria text."),
    Column("primary_outcomes", "list", "Primary outcome measures."),
    Column("secondary_outcomes", "list", "Secondary outcome measures (as primary_outcomes)."),
    Column(
        "countries", "list", "Countries of the study locations (distinct, in order of appearance)."
    ),
    Column("location_count", "int", "Number of study locations (sites); missing when none listed."),
    Column("source", "text", "The file (or source) the record was read from."),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
LIST_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "list")
TEXT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "text")
DATE_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "date")
_KIND = {c.name: c.kind for c in COLUMNS}
_DTYPES = {
    "text": "string",
    "list": "object",
    "date": "datetime64[ns]",
    "int": "Int64",
    "float": "Float64",
    "bool": "boolean",
}


def dtypes() -> dict[str, str]:
    """The pandas dtype of every column, by name."""
    return {c.name: _DTYPES[c.kind] for c in COLUMNS}


def empty_frame() -> pd.DataFrame:
    """An empty DataFrame with the normalized columns and dtypes."""
    return pd.DataFrame({name: pd.Series([], dtype=dt) for name, dt in dtypes().items()})


def _missing_item(item: object) -> bool:
    """None, NA or NaN inside a list: a missing item, left out by :func:`to_frame`."""
    return item is None or item is pd.NA or (isinstance(item, float) and np.isnan(item))


def _clean_text(value: object) -> object:
    if value is None or value is pd.NA:
        return pd.NA
    if isinstance(value, float) and np.isnan(value):
        return pd.NA
    text = str(value).strip()
    return text if text else pd.NA


def _clean_list(value: object) -> list[str]:
    if value is None or value is pd.NA:
        return []
    if isinstance(value, float) and np.isnan(value):
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        out = []
        for item in value:
            if item is None or item is pd.NA or (isinstance(item, float) and np.isnan(item)):
                continue
            s = str(item).strip()
            if s:
                out.append(s)
        return out
    raise TypeError(f"expected a list of strings, got {type(value).__name__}")


def _clean_aligned(value: object) -> list[str]:
    """Like _clean_list but keeps empty strings, for lists aligned with interventions."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return ["" if _missing_item(v) else str(v).strip() for v in value]
    raise TypeError(f"expected a list of strings, got {type(value).__name__}")


_ALIGNED = {"intervention_descriptions", "arm_group_types", "arm_group_descriptions"}
# Aligned lists that are [] when no item has a value (the older intervention_descriptions keeps
# its '' items, as it always has).
_ALIGNED_OR_EMPTY = {"arm_group_types", "arm_group_descriptions"}


def to_frame(records: list[dict]) -> pd.DataFrame:
    """Build a normalized table from record dicts whose values are already parsed.

    Missing keys become NA / ``[]``; text is stripped and empty text becomes NA. This is the one
    place where Python values are turned into the schema's dtypes.
    """
    if not records:
        return empty_frame()
    data: dict[str, list] = {name: [] for name in COLUMN_NAMES}
    for rec in records:
        for name in COLUMN_NAMES:
            value = rec.get(name)
            kind = _KIND[name]
            if kind == "list":
                if name in _ALIGNED:
                    items = _clean_aligned(value)
                    if name in _ALIGNED_OR_EMPTY and not any(items):
                        items = []
                    data[name].append(items)
                else:
                    data[name].append(_clean_list(value))
            elif kind == "text":
                data[name].append(_clean_text(value))
            else:
                data[name].append(pd.NA if value is None else value)
    return _coerce(pd.DataFrame(data))


def _coerce(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in COLUMNS:
        s = df[col.name]
        if col.kind == "text":
            s = s.astype("string")
        elif col.kind == "list":
            s = s.astype("object")
        elif col.kind == "date":
            s = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
        elif col.kind == "int":
            s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif col.kind == "float":
            s = pd.to_numeric(s, errors="coerce").astype("Float64")
        elif col.kind == "bool":
            s = s.astype("boolean")
        out[col.name] = s
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def validate(df: pd.DataFrame, *, source: str = "DataFrame") -> pd.DataFrame:
    """Check that ``df`` is a normalized trial table and return a clean copy of it.

    Columns that are missing are added empty (so tables saved before a column existed still
    read), extra columns are dropped, each value is checked against its column's type and
    coerced to the schema's dtype. Columns that already have the schema's dtype and valid
    values (a table simtrials wrote) are checked column-wise, quickly; the others value by
    value.

    Raises
    ------
    TrialFormatError
        When a value cannot be read as its column's type, naming the row, the NCT ID and the
        column; or when ``nct_id`` is missing or malformed.
    """
    from .io.frame import validate_frame  # the DataFrame reader; it imports this module

    return validate_frame(df, source=source)
