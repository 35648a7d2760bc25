"""CSV exports of ClinicalTrials.gov: the website's ``ctg-studies.csv``, the legacy website's
``SearchResults.csv`` and the Trial2Vec layout.

Column names are matched loosely (case, spaces, underscores and punctuation are ignored), so
``NCT Number``, ``NCT_Number`` and ``nct number`` are the same column. The columns that exist
are used; the ones that don't are left empty. A cell holding a missing-value marker (``null``,
``NA``, ``N/A``, ``None`` or nothing) is missing in every column (in "Phases", ``NA`` and
``N/A`` mean "not applicable", the phase code ``NA``, as the exports write it).

The legacy ``SearchResults.csv`` layout (before 2024) differs in a few columns: "Title",
"Status", "Gender", "Study Designs" in words ("Parallel Assignment"), "Sponsor/Collaborators"
(the lead sponsor first, then the collaborators), "Funded Bys" (the distinct classes of those
organisations in the same order, so the first is the lead sponsor's class), "Age" as
"18 Years and older   (Adult, Older Adult)". Its "Outcome Measures" column lists the titles of
the primary, secondary and other outcomes together, with nothing to tell them apart, so it is
not read into ``primary_outcomes`` or ``secondary_outcomes``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from ..errors import TrialFormatError
from ..schema import NCT_ID_RE
from . import codes, values

__all__ = ["parse_csv_frame", "column_key", "looks_like_trial_csv"]


def column_key(name: str) -> str:
    """The loose form of a column name: lower case letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


# schema field -> loose column names, in order of preference
_WEBSITE_COLUMNS: dict[str, tuple[str, ...]] = {
    "nct_id": ("nctnumber", "nctid", "nct"),
    "title": ("studytitle", "brieftitle", "title"),
    "official_title": ("officialtitle",),
    "acronym": ("acronym",),
    "brief_summary": ("briefsummary", "summary"),
    "detailed_description": ("detaileddescription",),
    "conditions": ("conditions", "condition"),
    "keywords": ("keywords", "keyword"),
    "condition_mesh": ("conditionmesh", "conditionmeshterms"),
    "interventions": ("interventions", "intervention"),
    "phases": ("phases", "phase"),
    "study_type": ("studytype",),
    "overall_status": ("studystatus", "overallstatus", "status"),
    "why_stopped": ("whystopped",),
    "has_results": ("studyresults", "hasresults"),
    "results_first_posted": ("resultsfirstposted",),
    "study_design": ("studydesign", "studydesigns"),
    "enrollment": ("enrollment",),
    "enrollment_type": ("enrollmenttype",),
    "start_date": ("startdate",),
    "primary_completion_date": ("primarycompletiondate",),
    "completion_date": ("completiondate",),
    "last_update": ("lastupdateposted", "lastupdate", "lastupdated"),
    "sponsor": ("sponsor", "leadsponsor"),
    "sponsor_collaborators": ("sponsorcollaborators",),
    "sponsor_class": ("fundertype", "leadsponsorclass", "sponsorclass"),
    "funded_bys": ("fundedbys", "fundedby"),
    "collaborators": ("collaborators",),
    "sex": ("sex", "gender"),
    "std_ages": ("age", "ages"),
    "eligibility_criteria": ("eligibilitycriteria", "criteria"),
    "primary_outcomes": ("primaryoutcomemeasures", "primaryoutcomes"),
    "secondary_outcomes": ("secondaryoutcomemeasures", "secondaryoutcomes"),
    "locations": ("locations",),
}
_DATE_FIELDS = (
    "start_date",
    "primary_completion_date",
    "completion_date",
    "last_update",
    "results_first_posted",
)

# The Trial2Vec demo layout (nct_id, title, description, intervention_name, disease, keyword, …)
_TRIAL2VEC_COLUMNS: dict[str, tuple[str, ...]] = {
    "nct_id": ("nctid",),
    "title": ("title",),
    "brief_summary": ("description",),
    "conditions": ("disease",),
    "keywords": ("keyword",),
    "interventions": ("interventionname",),
    "overall_status": ("overallstatus",),
    "eligibility_criteria": ("criteria",),
    "primary_outcomes": ("outcomemeasure",),
}


def looks_like_trial_csv(columns: list[str]) -> bool:
    """Whether a CSV header has an NCT ID column of either layout."""
    keys = {column_key(c) for c in columns}
    return bool(keys & {"nctnumber", "nctid", "nct"})


def _is_trial2vec(keys: set[str]) -> bool:
    return {"nctid", "disease", "interventionname"} <= keys


def _resolve(columns: list[str], mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(column_key(c), c)
    found = {}
    for field, keys in mapping.items():
        for k in keys:
            if k in by_key:
                found[field] = by_key[k]
                break
    return found


# Registry country names that hold a comma ("Korea, Republic of"): their second part.
_COUNTRY_TAILS = re.compile(
    r"^(republic of|islamic republic of|democratic republic of the|the democratic republic of the|"
    r"united republic of|plurinational state of|bolivarian republic of|province of china|"
    r"federated states of|occupied|the|republic of the)$",
    re.I,
)


def _country(location: str) -> str:
    """The country of a CSV "Locations" entry ("Facility, City, State, Zip, Country")."""
    parts = [p.strip() for p in location.split(",")]
    if len(parts) >= 2 and _COUNTRY_TAILS.match(parts[-1]):
        return f"{parts[-2]}, {parts[-1]}"
    return parts[-1]


def _split(value: str, sep: str) -> list[str]:
    if not value:
        return []
    parts = [p.strip() for p in value.split(sep)]
    return [p for p in parts if not codes.is_missing_marker(p)]


def parse_csv_frame(frame: pd.DataFrame, *, source: str | None = None, errors: str = "raise"):
    """Parse a CSV export already read as strings into normalized records.

    Returns ``(records, problems)``: the records that parsed and, when ``errors="skip"``,
    the :class:`TrialFormatError` of each record that did not.

    Raises
    ------
    TrialFormatError
        When the file has no NCT ID column, or (``errors="raise"``) for the first bad record.
    """
    columns = [str(c) for c in frame.columns]
    keys = {column_key(c) for c in columns}
    trial2vec = _is_trial2vec(keys)
    cols = _resolve(columns, _TRIAL2VEC_COLUMNS if trial2vec else _WEBSITE_COLUMNS)
    if "nct_id" not in cols:
        raise TrialFormatError(
            "not a ClinicalTrials.gov CSV export: no 'NCT Number' column "
            f"(columns found: {', '.join(columns[:8])}{' …' if len(columns) > 8 else ''})",
            source=source,
            field="NCT Number",
        )
    list_sep = ", " if trial2vec else "|"
    frame = frame.fillna("")
    dayfirst = {
        f: values.infer_dayfirst(frame[cols[f]].tolist()) for f in _DATE_FIELDS if f in cols
    }
    records: list[dict] = []
    problems: list[TrialFormatError] = []
    rows = frame[[c for c in cols.values()]].to_dict("records")
    for pos, row in enumerate(rows):
        try:
            records.append(_parse_row(row, cols, pos, source, list_sep, trial2vec, dayfirst))
        except TrialFormatError as exc:
            if errors == "raise":
                raise
            problems.append(exc)
    return records, problems


def _parse_row(
    row: dict[str, Any],
    cols: dict[str, str],
    pos: int,
    source: str | None,
    list_sep: str,
    trial2vec: bool,
    dayfirst: dict[str, bool],
) -> dict:
    r = _Row(row, cols, pos, source, list_sep, trial2vec)
    nct = r.cell("nct_id")
    if not nct:
        raise TrialFormatError(
            "the record has no NCT ID", source=source, position=pos, field=cols["nct_id"]
        )
    if not NCT_ID_RE.fullmatch(nct):
        raise TrialFormatError(
            f"invalid NCT ID {nct!r}; expected 'NCT' followed by 8 digits",
            source=source,
            position=pos,
            field=cols["nct_id"],
        )
    r.nct_id = nct
    rec: dict[str, Any] = {"nct_id": nct, "source": source}
    _texts(r, rec)
    _interventions(r, rec)
    _design(r, rec)
    _dates(r, rec, dayfirst)
    _ages_and_locations(r, rec)
    return rec


class _Row:
    """One CSV row: its cells by schema field, missing markers read as "", typed errors."""

    def __init__(self, row, cols, pos, source, list_sep: str, trial2vec: bool) -> None:
        self.row, self.cols, self.pos, self.source = row, cols, pos, source
        self.list_sep, self.trial2vec = list_sep, trial2vec
        self.nct_id: str | None = None

    def cell(self, field: str) -> str:
        col = self.cols.get(field)
        if col is None:
            return ""
        value = self.row[col]
        text = "" if value is None else str(value).strip()
        if field == "phases" and text.upper() in ("NA", "N/A"):
            return text  # "not applicable", the phase code NA
        return "" if codes.is_missing_marker(text) else text

    def parsed(self, field: str, parser, *args, **kwargs) -> Any:
        """``parser(cell, …)``; its ValueError as a TrialFormatError naming the column."""
        try:
            return parser(self.cell(field), *args, **kwargs)
        except ValueError as exc:
            raise TrialFormatError(
                str(exc),
                source=self.source,
                position=self.pos,
                nct_id=self.nct_id,
                field=self.cols.get(field, field),
            ) from None


def _texts(r: _Row, rec: dict[str, Any]) -> None:
    for field in (
        "title",
        "official_title",
        "acronym",
        "brief_summary",
        "detailed_description",
        "sponsor",
        "why_stopped",
    ):
        rec[field] = r.cell(field) or None
    criteria = r.cell("eligibility_criteria")
    rec["eligibility_criteria"] = (criteria.replace("~", "\n") if r.trial2vec else criteria) or None
    rec["conditions"] = _split(r.cell("conditions"), r.list_sep)
    rec["keywords"] = _split(r.cell("keywords"), r.list_sep)
    rec["condition_mesh"] = _split(r.cell("condition_mesh"), "|")
    rec["collaborators"] = _split(r.cell("collaborators"), "|")
    rec["primary_outcomes"] = _split(r.cell("primary_outcomes"), "|")
    rec["secondary_outcomes"] = _split(r.cell("secondary_outcomes"), "|")
    _sponsors(rec, r.cell)


def _interventions(r: _Row, rec: dict[str, Any]) -> None:
    names, types = [], []
    for item in _split(r.cell("interventions"), r.list_sep):
        itype, name = values.split_intervention(item) if not r.trial2vec else (None, item)
        if name:
            names.append(name)
            types.append(itype or "")
    rec["interventions"] = names
    rec["intervention_types"] = types if any(types) else []
    rec["intervention_descriptions"] = []


def _enrollment(text: str) -> int | None:
    if not text:
        return None
    try:
        count = float(text)
    except ValueError:
        count = math.nan
    if not (math.isfinite(count) and 0 <= count < 2**63):
        raise ValueError(f"expected a whole number >= 0, got {text!r}")
    return int(count)


def _design(r: _Row, rec: dict[str, Any]) -> None:
    rec["phases"] = r.parsed("phases", values.parse_phases)
    rec["study_type"] = codes.study_type_code(r.cell("study_type"))
    rec["overall_status"] = values.parse_status(r.cell("overall_status"))
    rec.update(values.parse_design(r.cell("study_design")))
    count = r.parsed("enrollment", _enrollment)
    if count is not None:
        rec["enrollment"] = count


def _dates(r: _Row, rec: dict[str, Any], dayfirst: dict[str, bool]) -> None:
    dates = {
        field: r.parsed(field, values.parse_date, dayfirst=dayfirst.get(field, False))
        for field in _DATE_FIELDS
    }
    rec.update({k: v for k, v in dates.items() if k != "results_first_posted"})
    rec["enrollment_type"] = r.parsed("enrollment_type", codes.parse_enrollment_type)
    rec["has_results"] = r.parsed("has_results", codes.parse_has_results)
    if "has_results" not in r.cols and dates["results_first_posted"] is not None:
        rec["has_results"] = True  # results are posted on that date


def _ages_and_locations(r: _Row, rec: dict[str, Any]) -> None:
    rec["sex"] = values.parse_code(r.cell("sex"))
    rec["std_ages"], rec["minimum_age_years"], rec["maximum_age_years"] = r.parsed(
        "std_ages", codes.parse_age_cell
    )
    countries: list[str] = []
    locations = _split(r.cell("locations"), "|")
    for loc in locations:
        country = _country(loc)
        if country and country not in countries:
            countries.append(country)
    rec["countries"] = countries
    rec["location_count"] = len(locations) or None


def _sponsors(rec: dict[str, Any], cell) -> None:
    """Lead sponsor, its class and the collaborators, from either export layout."""
    both = _split(cell("sponsor_collaborators"), "|")  # legacy: the lead sponsor first
    if both and rec["sponsor"] is None:
        rec["sponsor"] = both[0]
        if not rec["collaborators"]:
            rec["collaborators"] = both[1:]
    sponsor_class = cell("sponsor_class")
    if not sponsor_class:  # legacy "Funded Bys": distinct classes in sponsor order
        funded = _split(cell("funded_bys"), "|")
        sponsor_class = funded[0] if funded else ""
    rec["sponsor_class"] = codes.parse_sponsor_class(sponsor_class)
