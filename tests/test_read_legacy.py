"""Legacy website CSV exports (``SearchResults.csv``) and missing-value markers in CSV cells.

``data/samples/legacy_search_results.csv`` is the first 30 rows of a real legacy export
(raw/basskot-bcell/SearchResults.csv); its row 19 has ``null`` in "Completion Date" and
"Results First Posted", which used to fail the whole file.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from simtrials.datasets import sample_path
from simtrials.io import read_ctgov
from simtrials.io.codes import MISSING_MARKERS

SHARED_RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
needs_shared = pytest.mark.skipif(
    not SHARED_RAW.is_dir(), reason="needs ../shared/data/raw (the raw source files)"
)
LEGACY = (
    "basskot-bcell/SearchResults.csv",
    "nih-fmrif-pet/SearchResults.csv",
    "reesewang25-enrollment/SearchResults.csv",
    "sametgumus212-coronavirus/SearchResults.csv",
    "zhaqinqin1234-covid/COVID clinical trials.csv",
)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(sample_path("legacy_search_results.csv"), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return read_ctgov(sample_path("legacy_search_results.csv"))


def test_every_row_reads_and_null_cells_are_missing(raw, trials):
    assert trials["nct_id"].tolist() == raw["NCT Number"].tolist()
    row = raw.set_index("NCT Number").loc["NCT02060656"]
    assert row["Completion Date"] == "null" and row["Results First Posted"] == "null"
    got = trials.set_index("nct_id").loc["NCT02060656"]
    assert pd.isna(got["completion_date"])
    assert got["primary_completion_date"] == pd.Timestamp("2016-02-01")  # "February 2016"


def test_legacy_columns_map_to_the_schema(raw, trials):
    for (_, r), (_, t) in zip(raw.iterrows(), trials.iterrows()):
        assert t["title"] == r["Title"]
        assert t["conditions"] == [c.strip() for c in r["Conditions"].split("|") if c.strip()]
        parties = [p.strip() for p in r["Sponsor/Collaborators"].split("|") if p.strip()]
        assert t["sponsor"] == parties[0] and t["collaborators"] == parties[1:]
        funders = r["Funded Bys"].split("|")
        expected_class = {"Other": "OTHER", "Industry": "INDUSTRY", "NIH": "NIH", "U.S. Fed": "FED"}
        assert t["sponsor_class"] == expected_class[funders[0]]
        assert t["has_results"] == (r["Study Results"] == "Has Results")
        sites = [loc for loc in r["Locations"].split("|") if loc.strip()]
        if sites:
            assert t["location_count"] == len(sites)
        else:
            assert pd.isna(t["location_count"])
        assert t["sex"] == {"All": "ALL", "Female": "FEMALE", "Male": "MALE"}[r["Gender"]]
        if r["Interventions"]:
            kinds = [
                i.split(": ", 1)[0].upper().replace(" ", "_") for i in r["Interventions"].split("|")
            ]
            assert t["intervention_types"] == kinds
        # "Outcome Measures" mixes primary, secondary and other outcomes: not guessed apart
        assert t["primary_outcomes"] == [] and t["secondary_outcomes"] == []
        statuses = {"Completed": "COMPLETED", "Recruiting": "RECRUITING",
                    "Unknown status": "UNKNOWN", "Terminated": "TERMINATED",
                    "Active, not recruiting": "ACTIVE_NOT_RECRUITING", "Withdrawn": "WITHDRAWN",
                    "Not yet recruiting": "NOT_YET_RECRUITING", "Suspended": "SUSPENDED",
                    "Enrolling by invitation": "ENROLLING_BY_INVITATION"}  # fmt: skip
        assert t["overall_status"] == statuses[r["Status"]]


def test_legacy_words_become_api_v2_codes(trials):
    assert set(trials["intervention_model"].dropna()) <= {
        "PARALLEL", "SINGLE_GROUP", "CROSSOVER", "FACTORIAL", "SEQUENTIAL"}  # fmt: skip
    assert set(trials["masking"].dropna()) <= {"NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"}
    assert set(trials["allocation"].dropna()) <= {"RANDOMIZED", "NON_RANDOMIZED", "NA"}
    assert set(trials["study_type"].dropna()) <= {
        "INTERVENTIONAL",
        "OBSERVATIONAL",
        "EXPANDED_ACCESS",
    }
    assert set(trials["phases"].explode().dropna()) <= {
        "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"}  # fmt: skip
    assert set(trials["std_ages"].explode().dropna()) <= {"CHILD", "ADULT", "OLDER_ADULT"}


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("18 Years and older \xa0 (Adult, Older Adult)", (["ADULT", "OLDER_ADULT"], 18.0, None)),
        ("1 Year to 24 Years   (Child, Adult)", (["CHILD", "ADULT"], 1.0, 24.0)),
        ("up to 17 Years   (Child)", (["CHILD"], None, 17.0)),
        ("6 Months to 17 Years   (Child)", (["CHILD"], 0.5, 17.0)),
        ("Child, Adult, Older Adult", (["CHILD", "ADULT", "OLDER_ADULT"], None, None)),
        ("ADULT, OLDER_ADULT", (["ADULT", "OLDER_ADULT"], None, None)),  # the current export
    ],
)
def test_age_cells_of_both_export_layouts(age, expected):
    from simtrials.io.codes import parse_age_cell

    assert parse_age_cell(age) == expected


def test_ages_from_the_age_cell_agree_with_the_text(raw, trials):
    for (_, r), (_, t) in zip(raw.iterrows(), trials.iterrows()):
        m = re.match(r"(\d+) Years? (?:to|and older)", r["Age"])
        if m:
            assert t["minimum_age_years"] == float(m.group(1))


# ---------------------------------------------------------------- missing-value markers


def _export() -> pd.DataFrame:
    return pd.read_csv(sample_path("urology.csv"), dtype=str, keep_default_na=False)


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


@pytest.mark.parametrize("marker", ["null", "NULL", "NA", "N/A", "n/a", "None", "none", "", "  "])
def test_a_missing_marker_in_every_column_reads_as_missing(marker):
    """Every column of a real export, one marker at a time: read as missing, never a failure."""
    export = _export()
    clean = read_ctgov(_csv(export)).set_index("nct_id")
    changed = export.copy()
    columns = [c for c in export.columns if c != "NCT Number"]
    for i, col in enumerate(columns):  # a different row for each column
        changed.loc[i % len(changed), col] = marker
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = read_ctgov(_csv(changed)).set_index("nct_id")
    assert list(got.index) == list(clean.index)
    for i, col in enumerate(columns):
        nct = export.loc[i % len(export), "NCT Number"]
        if col == "Phases" and marker.strip().upper() in ("NA", "N/A"):
            assert got.loc[nct, "phases"] == ["NA"]  # the export's "not applicable" phase
            continue
        for field in _fields_of(col):
            value = got.loc[nct, field]
            assert value == [] if isinstance(value, list) else pd.isna(value), (col, field)


def _fields_of(column: str) -> list[str]:
    return {
        "Study Title": ["title"], "Acronym": ["acronym"], "Study Status": ["overall_status"],
        "Study Results": ["has_results"], "Conditions": ["conditions"],
        "Interventions": ["interventions", "intervention_types"],
        "Primary Outcome Measures": ["primary_outcomes"],
        "Secondary Outcome Measures": ["secondary_outcomes"], "Sponsor": ["sponsor"],
        "Collaborators": ["collaborators"], "Sex": ["sex"],
        "Age": ["std_ages", "minimum_age_years", "maximum_age_years"], "Phases": ["phases"],
        "Enrollment": ["enrollment"], "Funder Type": ["sponsor_class"], "Study Type": ["study_type"],
        "Study Design": ["allocation", "intervention_model", "masking", "primary_purpose"],
        "Start Date": ["start_date"], "Primary Completion Date": ["primary_completion_date"],
        "Completion Date": ["completion_date"], "Last Update Posted": ["last_update"],
        "Locations": ["countries", "location_count"],
    }.get(column, [])  # fmt: skip


def test_markers_are_the_documented_ones():
    assert {"", "null", "na", "n/a", "none"} <= MISSING_MARKERS


# ---------------------------------------------------------------- every legacy export of raw/


@needs_shared
@pytest.mark.parametrize("rel", LEGACY)
def test_every_legacy_export_reads_every_row(rel):
    path = SHARED_RAW / rel
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "Outcome Measures" in raw.columns and "Sponsor/Collaborators" in raw.columns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate rows are kept once, with a warning
        got = read_ctgov(path)
    assert set(got["nct_id"]) == set(raw["NCT Number"])
    assert got["title"].notna().all() and got["overall_status"].notna().all()
    assert got["sponsor"].notna().all() and got["sponsor_class"].notna().all()
    assert got["has_results"].notna().all()
    nulls = raw["Completion Date"].eq("null")
    assert got.set_index("nct_id").loc[raw.loc[nulls, "NCT Number"], "completion_date"].isna().all()
