"""Bad input, one kind per test: a typed error that names the file, the record (position and
NCT ID) and the field and says what was expected; or, where the input is usable, a
documented warning and a defined result.

Every input is a real record of ``data/`` (the sample files and the bundled corpus), mutated
for the case; nothing is invented. ``tests/test_read.py`` and ``tests/test_index.py`` hold
the first cases of several kinds; the ones here are other variants of those kinds. After
every failed call on an index, the index answers exactly as before (:func:`fingerprint`).
"""

from __future__ import annotations

import copy
import io
import json
import math
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from faults_helper import QUERIES, TEXT_QUERY, fingerprint, small_trials, write_model

import simtrials as st
from simtrials import schema
from simtrials.datasets import sample_path
from simtrials.errors import (
    DuplicateTrialError,
    ModelMismatchError,
    QueryError,
    TrialFormatError,
    TrialNotFoundError,
)
from simtrials.io import TrialFormatWarning, read_ctgov

P = "protocolSection."
AT = 3  # the position of the mutated study among the real ones
NCT_AT = "NCT06133985"  # its NCT ID (2 interventions, 4 primary outcomes, 4 keywords)


@pytest.fixture(scope="module")
def studies() -> list[dict]:
    """Ten real API v2 studies (data/samples/ctgov_studies.json)."""
    data = json.loads(sample_path("ctgov_studies.json").read_text(encoding="utf-8"))
    assert data[AT]["protocolSection"]["identificationModule"]["nctId"] == NCT_AT
    return data


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    """The real website CSV export data/samples/urology.csv, as strings."""
    return pd.read_csv(sample_path("urology.csv"), dtype=str, keep_default_na=False)


def mutate(study: dict, path: str, value) -> dict:
    """A deep copy of ``study`` with the value at dotted ``path`` replaced (``KeyError``: deleted)."""
    s = copy.deepcopy(study)
    node = s
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if value is KeyError:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return s


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def csv_bytes(frame: pd.DataFrame, sep: str = ",") -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, sep=sep)
    return buf.getvalue().encode("utf-8")


def raises_naming(src, match: str, *, source=None, position=None, nct_id=None, field=None):
    """read_ctgov(src) raises a TrialFormatError whose message and attributes name each part."""
    with pytest.raises(TrialFormatError, match=match) as info:
        read_ctgov(src)
    err, msg = info.value, str(info.value)
    assert isinstance(err, ValueError)
    if source is not None:
        assert err.source == str(source) and f"source {source}" in msg
    if position is not None:
        assert err.position == position and f"record {position}" in msg
    if nct_id is not None:
        assert err.nct_id == nct_id and nct_id in msg
    if field is not None:
        assert err.field == field and f"field {field!r}" in msg
    return err


def is_missing(value) -> bool:
    return value == [] if isinstance(value, list) else bool(pd.isna(value))


# ====================================================================== JSON


def test_not_json_names_file_line_and_column(studies, tmp_path):
    text = json.dumps(studies).replace('"nctId":', '"nctId"=', 1)
    path = write(tmp_path, "ctg-studies.json", text)
    raises_naming(path, r"invalid JSON at line 1, column \d+: Expecting ':'", source=path)


def test_truncated_json_file_names_the_file(studies, tmp_path):
    data = json.dumps(studies).encode()
    path = write(tmp_path, "ctg-studies.json", data[: len(data) * 3 // 5])
    raises_naming(path, r"invalid JSON at line 1, column \d+", source=path)


def test_truncated_ndjson_names_the_line_and_skip_keeps_the_rest(studies, tmp_path):
    text = "\n".join(json.dumps(s) for s in studies)
    path = write(tmp_path, "ctg-studies.ndjson", text[:-200])
    raises_naming(path, r"invalid JSON on line 10", source=path, position=9)
    with pytest.warns(TrialFormatWarning, match="skipped 1 bad record"):
        df = read_ctgov(path, errors="skip")
    assert df["nct_id"].tolist() == [
        s[P[:-1]]["identificationModule"]["nctId"] for s in studies[:9]
    ]


@pytest.mark.parametrize(
    ("make", "match", "position", "field"),
    [
        (
            lambda s: s[AT]["protocolSection"],
            "not a ClinicalTrials.gov API v2 study",
            None,
            "protocolSection",
        ),
        (
            lambda s: [*s[:AT], "NCT06133985"],
            "expected a study object, got str",
            AT,
            "protocolSection",
        ),
        (lambda s: [*s[:AT], 42], "expected a study object, got int 42", AT, "protocolSection"),
        (lambda s: {"studies": {"0": s[0]}}, "'studies' must be a list, got dict", None, "studies"),
    ],
    ids=["protocol-section-alone", "string-in-list", "number-in-list", "page-studies-not-list"],
)
def test_json_that_is_not_a_study(studies, tmp_path, make, match, position, field):
    path = write(tmp_path, "ctg-studies.json", make(studies))
    raises_naming(path, match, source=path, position=position, field=field)


@pytest.mark.parametrize(
    ("value", "match"),
    [(None, "'protocolSection' is empty"), ([], "expected an object, got list")],
)
def test_study_with_empty_or_wrong_protocol_section(studies, tmp_path, value, match):
    bad = [*studies[:AT], mutate(studies[AT], "protocolSection", value)]
    path = write(tmp_path, "ctg-studies.json", bad)
    raises_naming(path, match, source=path, position=AT, field="protocolSection")


def test_study_with_null_identification_module_has_no_nct_id(studies, tmp_path):
    bad = [*studies[:AT], mutate(studies[AT], P + "identificationModule", None)]
    path = write(tmp_path, "ctg-studies.json", bad)
    raises_naming(
        path,
        "the study has no NCT ID",
        source=path,
        position=AT,
        field=P + "identificationModule.nctId",
    )


@pytest.mark.parametrize(
    ("nct", "match"),
    [
        ("nct06133985", "invalid NCT ID 'nct06133985'; expected 'NCT' followed by 8 digits"),
        ("NCT061339850", "invalid NCT ID 'NCT061339850'; expected 'NCT' followed by 8 digits"),
        ("NCT0613398５", "invalid NCT ID 'NCT0613398５'"),  # a full-width digit (was accepted)
        ("NCT 06133985", "invalid NCT ID 'NCT 06133985'"),
        ("", "invalid NCT ID ''"),
        (6133985, "expected a string, got int 6133985"),
    ],
    ids=["lower-case", "nine-digits", "full-width-digit", "inner-space", "empty", "number"],
)
def test_nct_id_not_nct_and_8_digits(studies, tmp_path, nct, match):
    bad = [*studies[:AT], mutate(studies[AT], P + "identificationModule.nctId", nct)]
    path = write(tmp_path, "ctg-studies.json", bad)
    raises_naming(path, match, source=path, position=AT, field=P + "identificationModule.nctId")


def test_nct_id_with_surrounding_whitespace_is_stripped(studies):
    df = read_ctgov([mutate(studies[AT], P + "identificationModule.nctId", f" {NCT_AT}\n")])
    assert df["nct_id"].tolist() == [NCT_AT]


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (
            P + "conditionsModule.keywords",
            "yoga, asthma",
            "expected a list, got str 'yoga, asthma'",
        ),
        (P + "identificationModule.officialTitle", 42, "expected a string, got int 42"),
        (P + "conditionsModule.conditions", {"0": "Stroke"}, "expected a list, got dict"),
        (
            P + "conditionsModule.conditions",
            ["Stroke", 7],
            "expected a list of strings, found int 7",
        ),
        (
            P + "armsInterventionsModule.interventions.1.type",
            ["DRUG"],
            "expected a string, got list",
        ),
        (
            P + "outcomesModule.primaryOutcomes.2.measure",
            {"text": "x"},
            "expected a string, got dict",
        ),
        (P + "outcomesModule.primaryOutcomes.0.timeFrame", 12, "expected a string, got int 12"),
        (P + "designModule.enrollmentInfo.count", "28", "expected an integer or a number, got str"),
        (P + "eligibilityModule.healthyVolunteers", "Yes", "expected true/false, got str 'Yes'"),
        (P + "eligibilityModule.minimumAge", 18, "expected a string, got int 18"),
        (P + "statusModule.startDateStruct", "2019-01", "expected an object at 'date', got str"),
        (P + "designModule.phases", "PHASE2", "expected a list, got str 'PHASE2'"),
    ],
)
def test_field_of_the_wrong_type(studies, tmp_path, path, value, match):
    bad = [*studies[:AT], mutate(studies[AT], path, value)]
    file = write(tmp_path, "ctg-studies.json", bad)
    field = path.replace(".1.", "[1].").replace(".2.", "[2].").replace(".0.", "[0].")
    if path.endswith("startDateStruct"):
        field = path + ".date"
    raises_naming(file, match, source=file, position=AT, nct_id=NCT_AT, field=field)


@pytest.mark.parametrize(
    "count",
    [math.nan, math.inf, -math.inf, 1e30, -5],
    ids=["nan", "inf", "-inf", "1e30", "negative"],
)
def test_enrollment_that_is_no_count(studies, tmp_path, count):
    """NaN, infinities and 1e30 used to escape as a bare ValueError/OverflowError/TypeError."""
    bad = [*studies[:AT], mutate(studies[AT], P + "designModule.enrollmentInfo.count", count)]
    file = write(tmp_path, "ctg-studies.json", bad)  # json writes NaN/Infinity, and reads them
    raises_naming(
        file,
        r"expected a whole number >= 0",
        source=file,
        position=AT,
        nct_id=NCT_AT,
        field=P + "designModule.enrollmentInfo.count",
    )


@pytest.mark.parametrize("date", ["2500-01-01", "1000-06", "September 1, 3011"])
def test_date_outside_the_tables_range(studies, tmp_path, date):
    """Dates past 2262 or before 1677 used to escape as pandas' OutOfBoundsDatetime."""
    path = P + "statusModule.completionDateStruct.date"
    bad = [*studies[:AT], mutate(studies[AT], path, date)]
    file = write(tmp_path, "ctg-studies.json", bad)
    raises_naming(file, "out of range; expected a date between 1678-01-01 and 2261-12-31",
                  source=file, position=AT, nct_id=NCT_AT, field=path)  # fmt: skip


def _every_leaf(node, change):
    """``node`` with every leaf but the NCT ID replaced by ``change(leaf)``."""
    if isinstance(node, dict):
        return {k: node[k] if k == "nctId" else _every_leaf(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_every_leaf(v, change) for v in node]
    return change(node)


@pytest.mark.parametrize(
    "change",
    [
        lambda v: None,
        lambda v: "" if isinstance(v, str) else v,
        lambda v: " \t\n " if isinstance(v, str) else v,
    ],
    ids=["null-everywhere", "empty-strings", "whitespace-only"],
)
def test_missing_empty_or_blank_values_everywhere_read_as_missing(studies, change):
    """Every optional value of every real study null, "" or blank: each column reads as missing.

    (``null`` items inside lists used to be an error.) Numbers and true/false stay as they are
    when only the strings change.
    """
    blanked = [_every_leaf(s, change) for s in studies]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = read_ctgov(blanked)
    assert df["nct_id"].tolist() == [s[P[:-1]]["identificationModule"]["nctId"] for s in studies]
    kept = {"nct_id", "source", "enrollment", "healthy_volunteers", "has_results"}
    for col in schema.COLUMN_NAMES:
        if col not in kept:
            assert df[col].map(is_missing).all(), col


def test_nan_none_and_na_everywhere_optional_in_a_dataframe():
    df = read_ctgov(sample_path("ctgov_studies.json")).astype(object)
    fills = [np.nan, None, pd.NA]
    for j, col in enumerate(schema.COLUMN_NAMES):
        for i in range(len(df)):
            if col != "nct_id":
                fill = fills[(i + j) % 3]
                df.at[i, col] = [fill, " "] if col in schema.LIST_COLUMNS and i % 2 else fill
    got = read_ctgov(df)
    assert list(got.columns) == list(schema.COLUMN_NAMES)
    for col in schema.COLUMN_NAMES:
        if col == "intervention_descriptions":  # aligned with interventions: '' where absent
            assert got[col].map(lambda v: set(v) <= {""}).all()  # NaN used to become "nan"
        elif col != "nct_id":
            assert got[col].map(is_missing).all(), col


def test_one_megabyte_description_is_read_whole(studies):
    text = studies[AT]["protocolSection"]["descriptionModule"]["detailedDescription"]
    big = (text.strip() + "\n") * (1_000_000 // len(text) + 1)
    df = read_ctgov([mutate(studies[AT], P + "descriptionModule.detailedDescription", big)])
    assert len(df.loc[0, "detailed_description"]) == len(big.strip()) > 1_000_000


def test_ten_thousand_conditions_are_read_in_bounded_time(studies, corpus):
    names = pd.Series(
        [c for col in ("conditions", "keywords", "condition_mesh") for v in corpus[col] for c in v]
    ).drop_duplicates()
    assert len(names) > 5_000  # every distinct real condition, keyword and MeSH term, cycled
    conditions = [names.iloc[i % len(names)] for i in range(10_000)]
    started = time.perf_counter()
    df = read_ctgov([mutate(studies[AT], P + "conditionsModule.conditions", conditions)])
    assert time.perf_counter() - started < 10
    assert df.loc[0, "conditions"] == [c.strip() for c in conditions]


def test_non_utf8_json_is_decoded_as_windows_1252_with_a_warning(studies, tmp_path):
    title = studies[AT]["protocolSection"]["identificationModule"]["briefTitle"]
    data = json.dumps(studies, ensure_ascii=False).encode("utf-8")
    data = data.replace(title.encode(), (title + " \u2013 caf\u00e9").encode("cp1252"))
    path = write(tmp_path, "ctg-studies.json", data)
    with pytest.warns(TrialFormatWarning, match=r"ctg-studies\.json: not valid UTF-8 \(byte \d+\)"):
        df = read_ctgov(path)
    assert df.loc[AT, "title"] == title + " \u2013 caf\u00e9"


def test_utf16_json_with_byte_order_mark_is_read(studies, tmp_path):
    """Windows "Unicode" exports; used to fail as an unknown format."""
    path = write(tmp_path, "ctg-studies.json", json.dumps(studies).encode("utf-16"))
    expected = read_ctgov(studies).drop(columns="source")
    pd.testing.assert_frame_equal(read_ctgov(path).drop(columns="source"), expected)


def test_json_text_passed_as_str_is_a_clear_error(studies):
    """A str is a path; JSON text in one used to raise OSError 'File name too long'."""
    with pytest.raises(
        TrialFormatError, match=r"a str is read as a path: pass JSON or CSV text as bytes"
    ):
        read_ctgov(json.dumps(studies[:2]))
    with pytest.raises(TrialFormatError, match=r"no such file; a str is read as a path"):
        read_ctgov(json.dumps(studies[0])[:100])
    assert len(read_ctgov(json.dumps(studies[:2]).encode())) == 2


@pytest.mark.parametrize("src", [42, None, 3.5], ids=["int", "None", "float"])
def test_source_of_an_unreadable_type(src):
    with pytest.raises(
        TrialFormatError, match=rf"cannot read a {type(src).__name__}; expected a path"
    ):
        read_ctgov(src)


# ====================================================================== CSV


def test_csv_with_duplicate_ids_keeps_the_newest_with_a_warning(export, tmp_path):
    old = export.iloc[[2]].assign(**{"Last Update Posted": "2001-01-01", "Study Title": "old"})
    path = write(tmp_path, "export.csv", csv_bytes(pd.concat([export, old])))
    with pytest.warns(TrialFormatWarning, match="1 duplicate NCT ID record"):
        df = read_ctgov(path)
    assert df["nct_id"].tolist() == export["NCT Number"].tolist()
    assert df.loc[2, "title"] == export.loc[2, "Study Title"]


def test_duplicate_ids_across_sources_keep_one_record_each():
    with pytest.warns(TrialFormatWarning, match=r"\d+ duplicate NCT ID record"):
        df = read_ctgov([sample_path("urology.json.zip"), sample_path("urology.csv")])
    assert df["nct_id"].is_unique
    assert set(df["nct_id"]) == set(read_ctgov(sample_path("urology.csv"))["nct_id"])


def test_csv_with_missing_columns_reads_what_is_there(export):
    df = read_ctgov(csv_bytes(export[["NCT Number", "Study Title"]]))
    assert df["title"].tolist() == export["Study Title"].tolist()
    for col in ("conditions", "interventions", "phases", "start_date", "sponsor"):
        assert df[col].map(is_missing).all(), col


@pytest.mark.parametrize("name", ["nct_id", "NCT-Number", "nct number"])
def test_csv_with_a_loosely_renamed_id_column_reads(export, name):
    df = read_ctgov(csv_bytes(export.rename(columns={"NCT Number": name})))
    assert df["nct_id"].tolist() == export["NCT Number"].tolist()


@pytest.mark.parametrize("name", ["Trial ID", "Identifier"])
def test_csv_without_an_id_column_names_the_file_and_columns(export, tmp_path, name):
    path = write(tmp_path, "export.csv", csv_bytes(export.rename(columns={"NCT Number": name})))
    raises_naming(path, rf"a CSV without an 'NCT Number' column \(first columns: {name}, Study Title",
                  source=path)  # fmt: skip


@pytest.mark.parametrize("sep", ["\t", "|"], ids=["tab", "pipe"])
def test_csv_with_another_delimiter_reads_the_same(export, sep):
    """Tab- and pipe-separated exports (pipe used to be an unknown format)."""
    expected = read_ctgov(sample_path("urology.csv")).drop(columns="source")
    got = read_ctgov(csv_bytes(export, sep=sep)).drop(columns="source")
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("Enrollment", "inf", "expected a whole number >= 0, got 'inf'"),
        ("Enrollment", "1e30", "expected a whole number >= 0, got '1e30'"),
        ("Enrollment", "-3", "expected a whole number >= 0, got '-3'"),
        ("Start Date", "2300-01", "date '2300-01' is out of range"),
        ("Phases", "PHASE2|PHASE7", "unknown phase 'PHASE7'"),
        ("NCT Number", "NCT0019956３", "invalid NCT ID 'NCT0019956３'"),
    ],
)
def test_csv_cell_of_the_wrong_kind_names_row_id_and_column(export, tmp_path, column, value, match):
    bad = export.copy()
    bad.loc[2, column] = value
    path = write(tmp_path, "export.csv", csv_bytes(bad))
    nct = None if column == "NCT Number" else export.loc[2, "NCT Number"]
    raises_naming(path, match, source=path, position=2, nct_id=nct, field=column)


def test_empty_file_names_the_file(tmp_path):
    for name, content in (("empty.json", b""), ("blank.csv", b" \r\n\t\n")):
        path = write(tmp_path, name, content)
        raises_naming(path, "the file is empty", source=path)


def test_empty_list_page_or_header_only_csv_is_an_empty_table(export):
    for src in (b"[]", {"studies": []}, csv_bytes(export.iloc[:0])):
        df = read_ctgov(src)
        assert len(df) == 0 and list(df.columns) == list(schema.COLUMN_NAMES)
        assert df.dtypes.astype(str).to_dict() == schema.dtypes()


# ====================================================================== zip


def _zip_with(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bulk_members() -> dict[str, bytes]:
    """The members of the real bulk download data/samples/urology.json.zip."""
    with zipfile.ZipFile(sample_path("urology.json.zip")) as zf:
        return {n: zf.read(n) for n in sorted(zf.namelist())}


@pytest.mark.parametrize("damage", ["bad-crc", "truncated-json", "not-a-study"])
def test_zip_with_a_broken_member(bulk_members, tmp_path, damage):
    names = list(bulk_members)
    broken = names[4]
    members = dict(bulk_members)
    if damage == "truncated-json":
        members[broken] = members[broken][:500]
    elif damage == "not-a-study":
        members[broken] = b'{"hello": "world"}'
    data = _zip_with(members)
    if damage == "bad-crc":  # flip a byte of the stored member's content
        at = data.index(members[broken][1000:1040]) + 10
        data = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    path = write(tmp_path, "ctg-studies.json.zip", data)
    member = f"{path}!{broken}"
    match = {
        "bad-crc": "broken zip member",
        "truncated-json": "invalid JSON",
        "not-a-study": "not a",
    }
    raises_naming(path, match[damage], source=member)
    with pytest.warns(
        TrialFormatWarning, match=r"skipped 1 bad record.*" + broken.replace(".", r"\.")
    ):
        df = read_ctgov(path, errors="skip")
    assert sorted(df["nct_id"]) == sorted(n.removesuffix(".json") for n in names if n != broken)


# ====================================================================== DataFrame


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("enrollment", math.inf, "expected a finite number, got inf"),
        ("enrollment", 1e30, "expected a whole number below 2\\*\\*63"),
        ("start_date", "2500-01-01", "out of range"),
        ("keywords", [1, 2], "expected a list of strings, found an item of type int"),
        ("healthy_volunteers", "yes", "expected True/False, got str"),
        ("nct_id", pd.NA, "invalid NCT ID <NA>"),
    ],
)
def test_dataframe_value_of_the_wrong_kind(column, value, match):
    """Infinite or huge counts and far dates used to escape as bare errors or become NaT."""
    df = read_ctgov(sample_path("ctgov_studies.json")).astype(object)
    df.at[AT, column] = value
    with pytest.raises(TrialFormatError, match=match) as info:
        read_ctgov(df)
    err = info.value
    assert err.position == AT and err.field == column and f"record {AT}" in str(err)
    if column != "nct_id":
        assert err.nct_id == NCT_AT and NCT_AT in str(err)


# ====================================================================== the index


@pytest.fixture(scope="module")
def trials(corpus) -> pd.DataFrame:
    return small_trials(corpus)


@pytest.fixture(scope="module")
def small(trials, embedder) -> st.TrialIndex:
    """40 real trials, the two query trials among them; tests must leave it as it is."""
    return st.TrialIndex.build(trials, embedder=embedder, show_progress=False)


@pytest.fixture(scope="module")
def before(small) -> list:
    return fingerprint(small)


def _study_of(corpus_row: pd.Series) -> dict:
    """A minimal API v2 study carrying a real trial's ID, title and conditions."""
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": corpus_row["nct_id"],
                "briefTitle": corpus_row["title"],
            },
            "conditionsModule": {"conditions": list(corpus_row["conditions"])},
        }
    }


Q = QUERIES[0]

# fmt: off
BAD_CALLS = [
    # k: 0, negative, float, huge (test_index has 0, -3, 2.5, "10", True for similar())
    ("k=2.0", lambda i: i.similar(Q, k=2.0), QueryError, "k must be a positive whole number"),
    ("k=np.float64", lambda i: i.similar(Q, k=np.float64(3)), QueryError, "k must be a positive"),
    ("k=nan", lambda i: i.search(TEXT_QUERY, k=math.nan), QueryError, "got float nan"),
    ("k=inf", lambda i: i.search(TEXT_QUERY, k=math.inf), QueryError, "got float inf"),
    ("k=-10**12", lambda i: i.search(TEXT_QUERY, k=-(10**12)), QueryError, "at least 1"),
    ("k=0 shortlist", lambda i: i.similar(Q, k=0, candidates=[QUERIES[1]]), QueryError, "at least 1"),
    # unknown NCT IDs as queries
    ("unknown id explain", lambda i: i.explain("NCT00000001", Q), TrialNotFoundError, "NCT00000001"),
    # not an NCT ID, as the readers say (schema.NCT_ID_PATTERN: ASCII digits only)
    ("full-width digit id", lambda i: i.similar("NCT0373527７"), QueryError, "is not an NCT ID"),
    ("lower-case id", lambda i: i.similar(Q.lower()), QueryError, "is not an NCT ID"),
    ("empty id", lambda i: i.similar(""), QueryError, "is not an NCT ID"),
    ("None query", lambda i: i.similar(None), QueryError, "cannot use a NoneType as a query"),
    # queries without a usable field
    ("study of an id only", lambda i: i.similar({"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}), QueryError, "no usable field"),
    ("dict of NaN/None", lambda i: i.similar({"title": math.nan, "conditions": None, "brief_summary": pd.NA}), QueryError, "no usable field"),
    ("dict of blanks", lambda i: i.similar({"title": " \t", "conditions": ["", "  "], "interventions": []}), QueryError, "no usable field"),
    ("empty study", lambda i: i.similar({"protocolSection": {}}), QueryError, "no usable field"),
    ("draft of wrong type", lambda i: i.similar({"title": 42}), TrialFormatError, "field 'title': expected text, got int"),
    ("search of None", lambda i: i.search(None), QueryError, "needs a non-empty text"),
    ("search of blanks", lambda i: i.search("\n\t "), QueryError, "needs a non-empty text"),
    # filters (test_index has 'colour', '~', a bad date, [2], ('>', 'many'))
    ("filter on source", lambda i: i.similar(Q, where={"source": "x"}), QueryError, "unknown filter column 'source'"),
    ("filter column case", lambda i: i.similar(Q, where={"Phases": ["PHASE2"]}), QueryError, "unknown filter column 'Phases'"),
    ("filter column int", lambda i: i.similar(Q, where={5: "x"}), QueryError, "unknown filter column 5"),
    ("filter not a dict", lambda i: i.similar(Q, where=[("phases", "PHASE2")]), QueryError, "where must be a dict"),
    ("operator typo", lambda i: i.similar(Q, where={"enrollment": ("=>", 10)}), QueryError, "unknown operator '=>'"),
    ("operator None", lambda i: i.similar(Q, where={"enrollment": (None, 10)}), QueryError, "expected \\(operator, value\\)"),
    ("between one value", lambda i: i.similar(Q, where={"enrollment": ("between", 10)}), QueryError, "'between' takes two values"),
    ("'>' on text", lambda i: i.similar(Q, where={"title": (">", "A")}), QueryError, "needs a date or number column"),
    ("NaN bound", lambda i: i.similar(Q, where={"enrollment": (">", math.nan)}), QueryError, "expected a number, got NaN"),
    ("empty allowed list", lambda i: i.similar(Q, where={"phases": []}), QueryError, "list of allowed values is empty"),
    ("None allowed value", lambda i: i.similar(Q, where={"phases": None}), QueryError, "expected text values"),
    ("bool filter of text", lambda i: i.similar(Q, where={"healthy_volunteers": "yes"}), QueryError, "expected True or False"),
    # shortlists with unknown IDs
    ("candidate None", lambda i: i.similar(Q, candidates=[QUERIES[1], None]), TrialNotFoundError, "not in the index: None"),
    ("candidate lower-case", lambda i: i.similar(Q, candidates=[QUERIES[1].lower()]), TrialNotFoundError, "nct02460484"),
    ("candidate as str", lambda i: i.similar(Q, candidates="NCT00000001"), TrialNotFoundError, "NCT00000001"),
    # changes that must change nothing
    ("add existing study", lambda i: i.add([_study_of(i.trials.iloc[5])]), DuplicateTrialError, "already in the index"),
    ("remove missing id", lambda i: i.remove("NCT00000001"), TrialNotFoundError, "cannot remove trials not in the index: NCT00000001"),
    ("update unknown id", lambda i: i.update([mutate(_study_of(i.trials.iloc[5]), P + "identificationModule.nctId", "NCT00000001")]), TrialNotFoundError, "cannot update trials not in the index"),
    ("add unreadable", lambda i: i.add(b"\x00\x01 not a trial"), TrialFormatError, "unknown format"),
]
# fmt: on


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_call_is_a_typed_error_and_changes_nothing(small, before, call, error, match):
    with pytest.raises(error, match=match) as info:
        call(small)
    assert isinstance(info.value, (ValueError, KeyError))
    assert fingerprint(small) == before


def test_huge_or_numpy_k_answers(small):
    assert len(small.search(TEXT_QUERY, k=10**12)) == len(small)
    assert len(small.similar(Q, k=np.int64(3))) == 3
    assert (
        small.similar(f"  {Q}\n", k=3)["nct_id"].tolist()
        == small.similar(Q, k=3)["nct_id"].tolist()
    )


def test_add_of_new_and_existing_ids_adds_nothing(trials, corpus, embedder):
    index = st.TrialIndex.build(trials.iloc[:30], embedder=embedder, show_progress=False)
    state = fingerprint(index)
    mixed = pd.concat([trials.iloc[[30, 31]], trials.iloc[[3]]])
    with pytest.raises(DuplicateTrialError, match=trials["nct_id"].iloc[3]):
        index.add(mixed)
    assert fingerprint(index) == state and len(index) == 30


def test_one_megabyte_description_indexes_and_answers(studies, embedder):
    text = studies[AT]["protocolSection"]["descriptionModule"]["detailedDescription"]
    big = mutate(
        studies[AT],
        P + "descriptionModule.detailedDescription",
        (text.strip() + "\n") * (1_000_000 // len(text) + 1),
    )
    started = time.perf_counter()
    index = st.TrialIndex.build(
        [studies[0], studies[1], big], embedder=embedder, show_progress=False
    )
    hits = [index.similar(NCT_AT, k=2), index.similar(big, k=2), index.search(text[:300], k=3)]
    assert time.perf_counter() - started < 120
    for h in hits:
        assert len(h) >= 2 and h["score"].map(math.isfinite).all()
    assert hits[2]["nct_id"].iloc[0] == NCT_AT


def test_ten_thousand_conditions_index_and_answer_in_bounded_time(trials, studies, embedder):
    """10,000 registered conditions, cycled from the real conditions of the small index."""
    names = list(dict.fromkeys(c for v in trials["conditions"] for c in v))
    many = [names[i % len(names)] for i in range(10_000)]
    study = mutate(studies[AT], P + "conditionsModule.conditions", many)
    started = time.perf_counter()
    index = st.TrialIndex.build([*studies[:AT], study], embedder=embedder, show_progress=False)
    hits = index.similar(NCT_AT, k=3)
    by_draft = index.similar({"title": "draft", "conditions": many}, k=3)
    assert time.perf_counter() - started < 120
    assert len(hits) == 3 and len(by_draft) == 3 and NCT_AT in set(by_draft["nct_id"])


@pytest.fixture(scope="module")
def model_128(tmp_path_factory) -> st.Embedder:
    """A real sentence-transformers model with 128-dimensional vectors (packaged + Dense)."""
    path = write_model(tmp_path_factory.mktemp("models") / "minilm-dense128", 128, seed=0)
    return st.Embedder(path)


def test_loading_with_a_model_of_another_dimension_is_a_model_mismatch(
    small, before, model_128, tmp_path
):
    path = small.save(tmp_path / "index")
    assert model_128.dimension == 128
    for kwargs in ({"embedder": model_128}, {"model": model_128.name}):
        with pytest.raises(
            ModelMismatchError, match="makes 128-dimensional vectors but the index"
        ) as info:
            st.TrialIndex.load(path, **kwargs)
        assert "384-dimensional" in str(info.value) and isinstance(info.value, ValueError)
    assert fingerprint(st.TrialIndex.load(path, embedder=small.embedder)) == before


# ---------------------------------------------------------------- bugs left to trial_index.py


@pytest.mark.parametrize(
    "broken",
    [
        {"protocolSection": None},
        {"protocolSection": []},
        {
            "protocolSection": {
                "identificationModule": None,
                "conditionsModule": {"conditions": ["Stroke"]},
            }
        },
    ],
    ids=["null-section", "list-section", "null-identification"],
)
def test_study_query_with_a_null_section_is_a_typed_error_or_a_draft(small, before, broken):
    try:
        hits = small.similar(broken)
    except (QueryError, TrialFormatError):
        pass  # nothing usable in it
    else:
        assert len(hits) > 0  # a draft: no NCT ID, but conditions
    assert fingerprint(small) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda i: i.similar(Q, candidates=5),
        lambda i: i.similar(Q, candidates=[[QUERIES[1]]]),
        lambda i: i.remove(None),
        lambda i: i.remove(5),
        lambda i: i.remove([[Q]]),
    ],
    ids=["candidates-int", "candidates-nested", "remove-None", "remove-int", "remove-nested"],
)
def test_candidates_or_ids_of_the_wrong_type_are_a_typed_error(small, before, call):
    with pytest.raises((QueryError, TrialNotFoundError)):
        call(small)
    assert fingerprint(small) == before


def test_empty_index_answers_with_no_hits(trials, embedder):
    empty = st.TrialIndex.build(trials.iloc[:0], embedder=embedder, show_progress=False)
    assert len(empty) == 0
    assert len(empty.search(TEXT_QUERY)) == 0
    assert len(empty.similar({"title": trials["title"].iloc[0]})) == 0


def test_duplicate_ids_in_a_dataframe_are_indexed_once(trials, embedder):
    twice = pd.concat([trials.iloc[:12], trials.iloc[[3]]], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFormatWarning)
        try:
            index = st.TrialIndex.build(twice, embedder=embedder, show_progress=False)
        except DuplicateTrialError:
            return  # refusing the input is a fine answer too
    assert len(index) == 12
    index.remove(trials["nct_id"].iloc[3])
    assert trials["nct_id"].iloc[3] not in index


def test_error_in_a_draft_query_does_not_name_a_placeholder_id(small):
    with pytest.raises(TrialFormatError) as info:
        small.similar({"title": 42, "conditions": ["Stroke"]})
    assert "NCT00000000" not in str(info.value)
