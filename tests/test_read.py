"""read_ctgov on real files: every format, JSON-vs-CSV agreement, bad input, the schema."""

from __future__ import annotations

import gzip
import io
import json
import re
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import simtrials as st
from simtrials import schema
from simtrials.datasets import sample_path
from simtrials.errors import TrialFormatError
from simtrials.io import TrialFormatWarning, read_ctgov

# The raw files the bundled data is built from (../shared/data/raw beside the repository).
SHARED_RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
needs_shared = pytest.mark.skipif(
    not SHARED_RAW.is_dir(), reason="needs ../shared/data/raw (the raw source files)"
)


@pytest.fixture(scope="module")
def studies() -> list[dict]:
    """Ten real API v2 studies (a whole real file)."""
    return json.loads(sample_path("ctgov_studies.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def study_ids(studies) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


# ---------------------------------------------------------------- formats


def test_json_list_file_gives_one_row_per_study(studies, study_ids):
    df = read_ctgov(sample_path("ctgov_studies.json"))
    assert df["nct_id"].tolist() == study_ids
    first = studies[0]["protocolSection"]
    assert df.loc[0, "title"] == first["identificationModule"]["briefTitle"]
    assert df.loc[0, "conditions"] == first["conditionsModule"]["conditions"]


def test_every_json_shape_reads_the_same(studies, study_ids, tmp_path):
    expected = read_ctgov(studies).drop(columns="source")
    one = read_ctgov(studies[0])
    assert one["nct_id"].tolist() == study_ids[:1]
    page = {"studies": studies, "nextPageToken": "abc"}
    ndjson = "\n".join(json.dumps(s) for s in studies)
    shapes = {
        "page dict": page,
        "page bytes": json.dumps(page).encode(),
        "ndjson bytes": ndjson.encode(),
        "ndjson text file": io.StringIO(ndjson),
        "binary file": io.BytesIO(json.dumps(studies).encode()),
        "gzip bytes": gzip.compress(json.dumps(studies).encode()),
    }
    for label, src in shapes.items():
        got = read_ctgov(src).drop(columns="source")
        pd.testing.assert_frame_equal(got, expected, obj=label)


def test_format_is_detected_from_content_not_extension(studies, tmp_path):
    path = tmp_path / "studies.csv"  # JSON in a file named .csv
    path.write_text(json.dumps(studies), encoding="utf-8")
    assert len(read_ctgov(path)) == len(studies)
    gz = tmp_path / "studies.ndjson.gz"
    gz.write_bytes(gzip.compress("\n".join(json.dumps(s) for s in studies).encode()))
    assert len(read_ctgov(str(gz))) == len(studies)


def test_bulk_download_zip_one_json_per_study():
    df = read_ctgov(sample_path("urology.json.zip"))
    with zipfile.ZipFile(sample_path("urology.json.zip")) as zf:
        ids = sorted(n.removesuffix(".json") for n in zf.namelist())
    assert sorted(df["nct_id"]) == ids
    assert df["source"].str.contains(r"urology\.json\.zip!NCT\d{8}\.json").all()


def test_zip_holding_one_json_list(studies, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ctg-studies.json", json.dumps(studies))
    assert len(read_ctgov(buf.getvalue())) == len(studies)


def test_website_csv_export():
    df = read_ctgov(sample_path("website_export.csv.gz"))
    raw = pd.read_csv(sample_path("website_export.csv.gz"), dtype=str, keep_default_na=False)
    assert df["nct_id"].tolist() == raw["NCT Number"].tolist()
    row = raw.iloc[0]
    got = df.iloc[0]
    assert got["title"] == row["Study Title"]
    assert got["conditions"] == row["Conditions"].split("|")
    names = [i.split(": ", 1)[1] for i in row["Interventions"].split("|")]
    types = [i.split(": ", 1)[0] for i in row["Interventions"].split("|")]
    assert got["interventions"] == names and got["intervention_types"] == types
    assert got["phases"] == row["Phases"].split("|")
    assert got["brief_summary"] == row["Brief Summary"]


def test_csv_column_names_matched_loosely_and_day_first_dates():
    df = read_ctgov(sample_path("underscore_columns.csv"))
    raw = pd.read_csv(sample_path("underscore_columns.csv"), dtype=str, keep_default_na=False)
    assert df["nct_id"].tolist() == raw["NCT_Number"].tolist()
    assert df["title"].tolist() == raw["Study_Title"].tolist()
    # jk1201's export writes dd-mm-yyyy ("18-12-2025")
    for text, ts in zip(raw["Last_Update_Posted"], df["last_update"]):
        m = re.fullmatch(r"(\d\d)-(\d\d)-(\d{4})", text)
        if m:
            assert (ts.day, ts.month, ts.year) == tuple(int(g) for g in m.groups())
    assert df["allocation"].notna().any() and df["masking"].notna().any()


def test_csv_with_semicolon_delimiter(tmp_path):
    raw = pd.read_csv(sample_path("urology.csv"), dtype=str, keep_default_na=False)
    path = tmp_path / "export.csv"
    raw.to_csv(path, sep=";", index=False)
    expected = read_ctgov(sample_path("urology.csv")).drop(columns="source")
    pd.testing.assert_frame_equal(read_ctgov(path).drop(columns="source"), expected)


def test_trial2vec_layout():
    df = read_ctgov(sample_path("trial2vec_layout.csv"))
    raw = pd.read_csv(sample_path("trial2vec_layout.csv"), dtype=str, keep_default_na=False)
    assert df["nct_id"].tolist() == raw["nct_id"].tolist()
    assert df.loc[0, "conditions"] == [c.strip() for c in raw.loc[0, "disease"].split(",")]
    assert set(df["overall_status"].dropna()) <= {
        "COMPLETED", "RECRUITING", "UNKNOWN", "TERMINATED", "ACTIVE_NOT_RECRUITING",
        "WITHDRAWN", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION", "SUSPENDED",
    }  # fmt: skip


def test_normalized_dataframe_is_validated_and_returned():
    df = read_ctgov(sample_path("ctgov_studies.json"))
    again = read_ctgov(df)
    pd.testing.assert_frame_equal(again, df)


def test_several_sources_in_one_call(study_ids):
    df = read_ctgov([sample_path("ctgov_studies.json"), sample_path("urology.csv")])
    assert df["nct_id"].tolist()[: len(study_ids)] == study_ids
    assert len(df) == len(study_ids) + len(read_ctgov(sample_path("urology.csv")))


# ---------------------------------------------------------------- JSON vs CSV


def _carried(value) -> bool:
    return bool(value) if isinstance(value, list) else not pd.isna(value)


# Fields both the API v2 JSON and the current CSV export carry, added with the schema's second
# version; each must be compared on real trials, not only be absent from both.
NEW_FIELDS_IN_CSV = (
    "has_results",
    "primary_completion_date",
    "sponsor_class",
    "secondary_outcomes",
    "location_count",
)


def _agreement(from_json: pd.DataFrame, from_csv: pd.DataFrame) -> Counter:
    """Assert every field the CSV carries equals the JSON's; count comparisons per column."""
    from_json, from_csv = from_json.set_index("nct_id"), from_csv.set_index("nct_id")
    assert set(from_csv.index) == set(from_json.index)
    compared: Counter = Counter()
    for nct, row in from_csv.iterrows():
        for col in from_csv.columns.drop("source"):
            if _carried(row[col]):
                assert from_json.loc[nct, col] == row[col], (nct, col)
                compared[col] += 1
    return compared


def test_same_trial_from_json_and_csv_agrees_on_every_field_the_csv_carries():
    compared = _agreement(
        read_ctgov(sample_path("urology.json.zip")), read_ctgov(sample_path("urology.csv"))
    )
    assert sum(compared.values()) > 300  # titles, conditions, interventions, phases, dates …
    for col in NEW_FIELDS_IN_CSV:
        assert compared[col] >= 10, col
    assert compared["has_results"] == 25  # YES/NO in every row, true/false in every study


def test_new_fields_read_from_json_and_csv_of_real_trials():
    from_json = read_ctgov(sample_path("urology.json.zip")).set_index("nct_id")
    from_csv = read_ctgov(sample_path("urology.csv")).set_index("nct_id")
    raw = pd.read_csv(sample_path("urology.csv"), dtype=str, keep_default_na=False)
    raw = raw.set_index("NCT Number")
    with zipfile.ZipFile(sample_path("urology.json.zip")) as zf:
        studies = {n.removesuffix(".json"): json.loads(zf.read(n)) for n in zf.namelist()}
    for nct, study in studies.items():
        ps = study["protocolSection"]
        assert from_json.loc[nct, "has_results"] == study["hasResults"]
        assert from_csv.loc[nct, "has_results"] == (raw.loc[nct, "Study Results"] == "YES")
        lead = ps["sponsorCollaboratorsModule"]["leadSponsor"]
        assert from_json.loc[nct, "sponsor_class"] == lead["class"] == raw.loc[nct, "Funder Type"]
        locations = ps.get("contactsLocationsModule", {}).get("locations", [])
        expected = len(locations) or pd.NA
        assert from_json.loc[nct, "location_count"] is expected or (
            from_json.loc[nct, "location_count"] == expected
        )
        arms = ps.get("armsInterventionsModule", {}).get("armGroups", [])
        assert from_json.loc[nct, "arm_group_labels"] == [a["label"] for a in arms]
        types = [a.get("type", "") for a in arms]
        assert from_json.loc[nct, "arm_group_types"] == (types if any(types) else [])
        secondary = ps.get("outcomesModule", {}).get("secondaryOutcomes", [])
        assert len(from_json.loc[nct, "secondary_outcomes"]) == len(secondary)
        enrollment_type = ps["designModule"].get("enrollmentInfo", {}).get("type")
        assert from_json.loc[nct, "enrollment_type"] is pd.NA or (
            from_json.loc[nct, "enrollment_type"] == enrollment_type
        )
    # every arm list is aligned: one type and one description per label (or none at all)
    for col in ("arm_group_types", "arm_group_descriptions"):
        lengths = from_json[col].map(len)
        labels = from_json["arm_group_labels"].map(len)
        assert ((lengths == labels) | (lengths == 0)).all(), col
    assert (from_json["arm_group_labels"].map(len) > 0).sum() == 7  # 7 of the 25 list arms


@needs_shared
def test_why_stopped_is_read_from_json_and_csv():
    folder = SHARED_RAW / "marcmorcos-urology"
    from_csv = read_ctgov(folder / "ctg-studies.csv")
    compared = _agreement(read_ctgov(folder / "ctg-studies.json.zip"), from_csv)
    for col in NEW_FIELDS_IN_CSV:
        assert compared[col] >= 500, col  # all 635 trials of the export
    trials = read_ctgov(folder / "ctg-studies.json.zip").set_index("nct_id")
    with zipfile.ZipFile(folder / "ctg-studies.json.zip") as zf:
        why = {}
        for name in zf.namelist():
            status = json.loads(zf.read(name))["protocolSection"]["statusModule"]
            if status.get("whyStopped"):
                why[name.removesuffix(".json")] = status["whyStopped"].strip()
    assert len(why) > 30
    assert trials["why_stopped"].dropna().to_dict() == why
    stopped = trials.loc[list(why), "overall_status"]
    assert set(stopped) <= {"TERMINATED", "WITHDRAWN", "SUSPENDED"}


def test_old_tables_without_the_new_columns_still_read(tmp_path):
    """A parquet table saved before the new columns existed reads, the new columns empty."""
    new = ("why_stopped", "has_results", "primary_completion_date", "enrollment_type",
           "sponsor_class", "secondary_outcomes", "arm_group_labels", "arm_group_types",
           "arm_group_descriptions", "location_count")  # fmt: skip
    old = read_ctgov(sample_path("ctgov_studies.json")).drop(columns=list(new))
    old.to_parquet(tmp_path / "old.parquet")
    got = read_ctgov(tmp_path / "old.parquet")
    assert list(got.columns) == list(schema.COLUMN_NAMES)
    assert got.dtypes.astype(str).to_dict() == schema.dtypes()
    for col in new:
        assert got[col].map(lambda v: v == [] if isinstance(v, list) else pd.isna(v)).all(), col


# ---------------------------------------------------------------- schema


def test_schema_dtypes_and_empty_values():
    df = st.datasets.load_trials()
    assert list(df.columns) == list(schema.COLUMN_NAMES)
    for name, dtype in schema.dtypes().items():
        assert str(df[name].dtype) == dtype, name
    for col in schema.LIST_COLUMNS:
        assert df[col].map(lambda v: isinstance(v, list)).all(), col
    for col in schema.TEXT_COLUMNS:
        assert not (df[col].dropna().str.strip() == "").any(), col
    assert df["nct_id"].str.fullmatch(r"NCT\d{8}").all()
    assert df["nct_id"].is_unique


def test_phase_codes_are_api_v2_whatever_the_source():
    df = st.datasets.load_trials()
    allowed = {"EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"}
    assert set(df["phases"].explode().dropna()) <= allowed


def test_month_only_dates_become_first_of_month(studies):
    df = read_ctgov(studies)
    for s, ts in zip(studies, df["start_date"]):
        text = s["protocolSection"]["statusModule"].get("startDateStruct", {}).get("date")
        if text and len(text) == 7:
            assert (ts.year, ts.month, ts.day) == (int(text[:4]), int(text[5:]), 1)


def _sources_md() -> tuple[dict, dict]:
    """data/SOURCES.md's file table: {raw file: row} and the totals row."""
    text = (st.datasets.data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    row = re.compile(
        r"^\| (raw/[^|]+?) \| (json|xml|csv) \| `([0-9a-f]{64})` \| (\d+) \| (\d+|-) \| (\d+) \|$",
        flags=re.M,
    )
    files = {
        m[0]: {"format": m[1], "sha256": m[2], "records": int(m[3]),
               "small": None if m[4] == "-" else int(m[4]), "full": int(m[5])}
        for m in row.findall(text)
    }  # fmt: skip
    total = re.search(
        r"\| \*\*total\*\* \| \| \| \*\*(\d+)\*\* \(\d+ in small files\) \| \*\*(\d+)\*\* \| "
        r"\*\*(\d+)\*\* \|",
        text,
    )
    assert total, "no totals row in SOURCES.md"
    return files, {"records": int(total[1]), "small": int(total[2]), "full": int(total[3])}


def test_load_trials_counts_match_sources_md():
    files, total = _sources_md()
    df = st.datasets.load_trials()
    assert total["small"] == len(df) == 8769  # the trials the relevance pairs were judged over
    kept = {f: row["small"] for f, row in files.items() if row["small"]}
    assert df["source"].value_counts().to_dict() == kept
    assert sum(row["records"] for row in files.values()) == total["records"]
    assert sum(1 for row in files.values() if row["small"] is not None) == 28


def test_full_corpus_counts_match_sources_md():
    files, total = _sources_md()
    full = st.datasets.load_trials(corpus="full")
    assert len(full) == total["full"] > 25000
    assert full["nct_id"].is_unique and full["nct_id"].is_monotonic_increasing
    kept = {f: row["full"] for f, row in files.items() if row["full"]}
    assert full["source"].value_counts().to_dict() == kept
    assert list(full.columns) == list(schema.COLUMN_NAMES)
    assert full.dtypes.astype(str).to_dict() == schema.dtypes()
    small = st.datasets.load_trials()
    assert set(small["nct_id"]) <= set(full["nct_id"])
    # every format is in it, the classic XML and the legacy exports included
    formats = {files[s]["format"] for s in full["source"].unique()}
    assert formats == {"json", "xml", "csv"}
    assert full["source"].str.contains("SearchResults.csv").any()


@needs_shared
def test_sources_md_sha256_and_record_counts_are_those_of_the_raw_files():
    import hashlib

    files, _ = _sources_md()
    on_disk = sorted(
        str(p.relative_to(SHARED_RAW.parent)) for p in SHARED_RAW.rglob("*") if p.is_file()
    )
    assert sorted(files) == on_disk  # every raw file is listed, none skipped
    for rel, row in files.items():
        assert hashlib.sha256((SHARED_RAW.parent / rel).read_bytes()).hexdigest() == row["sha256"]
    small = st.datasets.data_dir() / "trials.parquet"
    text = (st.datasets.data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    assert hashlib.sha256(small.read_bytes()).hexdigest() in text


def test_load_trials_of_an_unknown_corpus_is_a_clear_error():
    with pytest.raises(ValueError, match="'small' or 'full'"):
        st.datasets.load_trials(corpus="medium")


def test_load_relevance_reads_the_judged_pairs():
    qrels = st.datasets.load_relevance()
    assert list(qrels.columns)[:4] == ["query", "candidate", "grade", "reason"]
    assert set(qrels["grade"]) == {0, 1, 2}
    # every judged trial is in the default (small) corpus, which keeps exactly those trials
    corpus = set(st.datasets.load_trials()["nct_id"])
    assert set(qrels["query"]) | set(qrels["candidate"]) <= corpus
    first = qrels[qrels["pool"] == "rerank"] if "pool" in qrels.columns else qrels
    assert first["query"].nunique() == 42 and len(first) == 505  # the first pooling round


# ---------------------------------------------------------------- duplicates and bad input


def test_duplicate_ids_keep_the_most_recent_record_with_a_warning(studies):
    old, new = json.loads(json.dumps(studies[0])), json.loads(json.dumps(studies[0]))
    old["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2001-01-01"}
    new["protocolSection"]["identificationModule"]["briefTitle"] = studies[1]["protocolSection"][
        "identificationModule"
    ]["briefTitle"]
    new["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2030-01-01"}
    with pytest.warns(TrialFormatWarning, match="1 duplicate"):
        df = read_ctgov([new, old][::-1] + studies[1:2])
    assert len(df) == 2
    nct = studies[0]["protocolSection"]["identificationModule"]["nctId"]
    assert df.set_index("nct_id").loc[nct, "last_update"] == pd.Timestamp("2030-01-01")


def _mutate(study: dict, path: str, value) -> dict:
    s = json.loads(json.dumps(study))
    node = s
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    if value is KeyError:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return s


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("protocolSection.identificationModule.nctId", KeyError, "nctId", "no NCT ID"),
        ("protocolSection.identificationModule.nctId", "NCT123", "nctId", "invalid NCT ID"),
        ("protocolSection.conditionsModule.conditions", "Stroke", "conditions", "expected a list"),
        ("protocolSection.identificationModule.briefTitle", 42, "briefTitle", "expected a string"),
        (
            "protocolSection.designModule.enrollmentInfo.count",
            "many",
            "count",
            "expected an integer",
        ),
        ("protocolSection.designModule.phases", ["PHASE9"], "phases", "unknown phase"),
        ("protocolSection", KeyError, "protocolSection", "no 'protocolSection'"),
    ],
)
def test_bad_field_names_source_record_and_field(studies, path, value, field, message):
    bad = _mutate(studies[2], path, value)
    with pytest.raises(TrialFormatError, match=message) as info:
        read_ctgov([studies[0], studies[1], bad])
    err = info.value
    assert err.position == 2
    assert field in (err.field or "")
    assert "record 2" in str(err)
    if field not in ("nctId", "protocolSection"):
        assert err.nct_id == studies[2]["protocolSection"]["identificationModule"]["nctId"]
        assert err.nct_id in str(err)


def test_errors_skip_leaves_bad_records_out_with_one_warning(studies):
    bad1 = _mutate(studies[1], "protocolSection.identificationModule.nctId", "bogus")
    bad2 = _mutate(studies[3], "protocolSection.conditionsModule.conditions", 7)
    with pytest.warns(TrialFormatWarning, match="skipped 2 bad record") as rec:
        df = read_ctgov([studies[0], bad1, studies[2], bad2], errors="skip")
    assert len([w for w in rec if issubclass(w.category, TrialFormatWarning)]) == 1
    assert len(df) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'[{"protocolSection": {"identificationModule": ', "invalid JSON"),
        (b'{"hello": "world"}', "not a ClinicalTrials.gov API v2 study"),
        (b"name,age\nfoo,3\n", "unknown format"),
        (b"PK\x03\x04garbage", "broken zip"),
        (b"\x1f\x8bnot really gzip", "broken gzip"),
    ],
)
def test_unreadable_input_is_a_clear_error(data, message):
    with pytest.raises(TrialFormatError, match=message):
        read_ctgov(data)


def test_missing_path_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_ctgov(tmp_path / "nope.json")


def test_csv_row_without_nct_id_names_row_and_column():
    raw = sample_path("urology.csv").read_text(encoding="utf-8").splitlines()
    header, rows = raw[0], raw[1:]
    first_col = rows[3].split(",", 1)
    rows[3] = "," + first_col[1]
    with pytest.raises(TrialFormatError, match=r"record 3.*NCT Number.*no NCT ID"):
        read_ctgov("\n".join([header, *rows]).encode())


def test_non_utf8_csv_is_decoded_with_a_warning():
    text = sample_path("urology.csv").read_text(encoding="utf-8")
    data = text.encode("utf-8").replace(b"Erectile", "Erect\u00efle".encode("cp1252"), 1)
    with pytest.warns(TrialFormatWarning, match="not valid UTF-8"):
        df = read_ctgov(data)
    assert (
        df["title"].str.contains("Erect\u00efle").any()
        or df["conditions"].map(lambda c: any("Erect\u00efle" in x for x in c)).any()
    )


def test_dataframe_with_wrong_type_names_row_and_column():
    df = read_ctgov(sample_path("ctgov_studies.json"))
    df.loc[4, "conditions"] = "Asthma"
    with pytest.raises(TrialFormatError, match=r"record 4.*'conditions'.*list") as info:
        read_ctgov(df)
    assert info.value.nct_id == df.loc[4, "nct_id"]


def test_warnings_are_not_raised_for_clean_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_ctgov(sample_path("ctgov_studies.json"))
        read_ctgov(sample_path("urology.csv"))
