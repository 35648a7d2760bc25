"""Property-based tests: real records from ``data/``, mutated at random, either read (and
index) or raise the library's typed errors, never a bare KeyError, TypeError, IndexError,
AttributeError or OverflowError.

Mutations: drop a field, set it to null / NaN / "" / blanks, retype it (str -> int, list ->
str, dict -> list, number -> str …), inflate it (long text, long lists), or swap its digits
for full-width ones. Each test runs a bounded number of examples; the profile
``SIMTRIALS_HYPOTHESIS=explore`` runs many more, with fresh random draws.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import warnings
import zipfile
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import simtrials as st
from simtrials import schema
from simtrials.datasets import sample_path
from simtrials.errors import SimtrialsError

settings.register_profile(
    "suite",
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    deadline=None,
    database=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("SIMTRIALS_HYPOTHESIS", "suite")
EXPLORE = PROFILE == "explore"
settings.load_profile(PROFILE)

EXAMPLES: Counter = Counter()  # examples run per test, printed at the end of the module


def _n(suite: int, explore: int = 2000) -> int:
    return explore if EXPLORE else suite


# ---------------------------------------------------------------------- real records


def _load_studies() -> list[dict]:
    studies = json.loads(sample_path("ctgov_studies.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(sample_path("urology.json.zip")) as zf:
        studies += [json.loads(zf.read(n)) for n in sorted(zf.namelist())]
    return studies


STUDIES = _load_studies()
EXPORT = pd.read_csv(sample_path("urology.csv"), dtype=str, keep_default_na=False)
TABLE = st.read_ctgov(sample_path("ctgov_studies.json"))

# The parts of a study the reader reads (mutating the rest proves little).
READ = (
    "protocolSection",
    "protocolSection.identificationModule",
    "protocolSection.descriptionModule",
    "protocolSection.conditionsModule",
    "protocolSection.armsInterventionsModule",
    "protocolSection.designModule",
    "protocolSection.statusModule",
    "protocolSection.sponsorCollaboratorsModule",
    "protocolSection.eligibilityModule",
    "protocolSection.outcomesModule",
    "protocolSection.contactsLocationsModule.locations",
    "derivedSection.conditionBrowseModule.meshes",
    "derivedSection.interventionBrowseModule.meshes",
)


def _paths(node, prefix=()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):  # the first items stand for the rest
            out += _paths(v, (*prefix, i))
    return out


def _is_read(path: tuple) -> bool:
    dotted = ".".join(str(p) for p in path if not isinstance(p, int))
    return any(
        dotted == r or dotted.startswith(r + ".") or r.startswith(dotted + ".") for r in READ
    )


PATHS = [[p for p in _paths(s) if _is_read(p)] for s in STUDIES]

# Every value the reader reads (missing ones are created by the mutation).
FIELDS = [
    tuple(int(p) if p.isdigit() else p for p in f.split("."))
    for f in """
    protocolSection protocolSection.identificationModule
    protocolSection.identificationModule.nctId protocolSection.identificationModule.briefTitle
    protocolSection.identificationModule.officialTitle protocolSection.identificationModule.acronym
    protocolSection.descriptionModule.briefSummary
    protocolSection.descriptionModule.detailedDescription
    protocolSection.conditionsModule.conditions protocolSection.conditionsModule.conditions.0
    protocolSection.conditionsModule.keywords
    protocolSection.armsInterventionsModule.interventions
    protocolSection.armsInterventionsModule.interventions.0
    protocolSection.armsInterventionsModule.interventions.0.name
    protocolSection.armsInterventionsModule.interventions.0.type
    protocolSection.armsInterventionsModule.interventions.0.description
    protocolSection.armsInterventionsModule.interventions.0.otherNames
    protocolSection.designModule.phases protocolSection.designModule.studyType
    protocolSection.designModule.designInfo protocolSection.designModule.designInfo.allocation
    protocolSection.designModule.designInfo.interventionModel
    protocolSection.designModule.designInfo.maskingInfo.masking
    protocolSection.designModule.designInfo.primaryPurpose
    protocolSection.designModule.enrollmentInfo protocolSection.designModule.enrollmentInfo.count
    protocolSection.statusModule.overallStatus protocolSection.statusModule.startDateStruct.date
    protocolSection.statusModule.completionDateStruct.date
    protocolSection.statusModule.lastUpdatePostDateStruct
    protocolSection.statusModule.lastUpdatePostDateStruct.date
    protocolSection.statusModule.lastUpdateSubmitDate
    protocolSection.sponsorCollaboratorsModule.leadSponsor.name
    protocolSection.sponsorCollaboratorsModule.collaborators
    protocolSection.sponsorCollaboratorsModule.collaborators.0.name
    protocolSection.eligibilityModule.sex protocolSection.eligibilityModule.stdAges
    protocolSection.eligibilityModule.minimumAge protocolSection.eligibilityModule.maximumAge
    protocolSection.eligibilityModule.healthyVolunteers
    protocolSection.eligibilityModule.eligibilityCriteria
    protocolSection.outcomesModule.primaryOutcomes
    protocolSection.outcomesModule.primaryOutcomes.0.measure
    protocolSection.outcomesModule.primaryOutcomes.0.timeFrame
    protocolSection.contactsLocationsModule.locations
    protocolSection.contactsLocationsModule.locations.0.country
    derivedSection.conditionBrowseModule.meshes derivedSection.conditionBrowseModule.meshes.0.term
    derivedSection.interventionBrowseModule.meshes.0.term
    """.split()
]

# ---------------------------------------------------------------------- mutations

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _retype(value, op: str, size: int):
    """``value`` changed by ``op`` (``size`` scales inflation)."""
    if op == "null":
        return None
    if op == "nan":
        return math.nan
    if op == "inf":
        return math.inf
    if op == "empty":
        return "" if not isinstance(value, (list, dict)) else type(value)()
    if op == "blank":
        return " \t\n "
    if op == "int":
        return len(value) if isinstance(value, (str, list, dict)) else 7
    if op == "float":
        return 1.5e300 if size % 2 else -2.5
    if op == "bool":
        return True
    if op == "str":
        return json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    if op == "list":
        return list(value.values()) if isinstance(value, dict) else [value]
    if op == "dict":
        return {"value": value}
    if op == "digits":
        return value.translate(FULL_WIDTH) if isinstance(value, str) else value
    if op == "inflate":
        if isinstance(value, str):
            return (value + " ") * size
        if isinstance(value, list):
            return value * size
        return value
    raise AssertionError(op)


OPS = ("drop", "null", "nan", "inf", "empty", "blank", "int", "float", "bool", "str", "list",
       "dict", "digits", "inflate")  # fmt: skip


def _apply(study: dict, path: tuple, op: str, size: int) -> None:
    node = study
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed or retyped the parent
    last = path[-1]
    if isinstance(node, dict) and last not in node:  # a field this record lacks: add it
        if op != "drop":
            node[last] = _retype(None, op, size)
        return
    try:
        value = node[last]
    except (KeyError, IndexError, TypeError):
        return
    if op == "drop":
        del node[last]
    else:
        node[last] = _retype(value, op, size)


# Mutations that keep a record usable (missing, blank or long values), for the index tests.
USABLE = ("drop", "null", "empty", "blank", "inflate")


NCT_PATH = ("protocolSection", "identificationModule", "nctId")


def _keeps_id(path: tuple) -> bool:
    return NCT_PATH[: len(path)] != path


@hs.composite
def mutated_study(draw, ops=OPS, most: int = 4, max_size: int = 400, keep_id: bool = False) -> dict:
    """A real study with 1 to ``most`` mutations drawn from ``ops`` (``keep_id``: not its ID)."""
    i = draw(hs.integers(0, len(STUDIES) - 1))
    study = copy.deepcopy(STUDIES[i])
    fields, paths = FIELDS, PATHS[i]
    if keep_id:
        fields, paths = [p for p in fields if _keeps_id(p)], [p for p in paths if _keeps_id(p)]
    for _ in range(draw(hs.integers(1, most))):
        path = draw(hs.one_of(hs.sampled_from(fields), hs.sampled_from(paths)))
        _apply(study, path, draw(hs.sampled_from(ops)), draw(hs.integers(2, max_size)))
    return study


def _check_table(df: pd.DataFrame) -> None:
    """A successful read gives the normalized schema."""
    assert list(df.columns) == list(schema.COLUMN_NAMES)
    assert df.dtypes.astype(str).to_dict() == schema.dtypes()
    assert df["nct_id"].str.fullmatch(r"NCT[0-9]{8}").all()
    for col in schema.LIST_COLUMNS:
        assert (
            df[col].map(lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)).all()
        )
    for col in schema.TEXT_COLUMNS:
        assert not (df[col].dropna().str.strip() == "").any(), col


OUTCOMES: Counter = Counter()  # (test, "read" | error class name)


def _typed(exc: BaseException, test: str = "") -> None:
    """A refusal must be one of the library's errors, and a ValueError or KeyError."""
    OUTCOMES[test, type(exc).__name__] += 1
    assert isinstance(exc, SimtrialsError), f"untyped {type(exc).__name__}: {exc}"
    assert isinstance(exc, (ValueError, KeyError)), type(exc)


def _read(src, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicates, skipped records, decoding: all documented
        return st.read_ctgov(src, **kwargs)


# ---------------------------------------------------------------------- reading


@settings(max_examples=_n(150))
@given(study=mutated_study(), as_bytes=hs.booleans())
def test_mutated_study_reads_or_raises_a_typed_error(study, as_bytes):
    EXAMPLES["json"] += 1
    src = [STUDIES[0], study]
    try:
        df = _read(json.dumps(src).encode() if as_bytes else src)
    except Exception as exc:  # noqa: BLE001 - what is raised is the point
        _typed(exc, "json")
        if exc.__class__.__name__ == "TrialFormatError":
            assert exc.position in (None, 1) and (exc.source or "") != ""
        return
    _check_table(df)
    OUTCOMES["json", "read"] += 1
    assert df["nct_id"].iloc[0] == STUDIES[0]["protocolSection"]["identificationModule"]["nctId"]


@settings(max_examples=_n(60))
@given(studies=hs.lists(mutated_study(), min_size=1, max_size=4))
def test_skip_mode_never_raises_for_bad_records(studies):
    EXAMPLES["json-skip"] += 1
    try:
        df = _read([STUDIES[1], *studies], errors="skip")
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        raise AssertionError(f"errors='skip' raised {exc!r}") from exc
    _check_table(df)
    assert STUDIES[1]["protocolSection"]["identificationModule"]["nctId"] in set(df["nct_id"])


CELLS = ("", " ", "nan", "NaN", "inf", "-1", "1e400", "0x1F", "None", "|||", ",", "\"", "N/A",
         "2019-02-30", "31/12/2019", "99999-01-01", "2300-01", "PHASE9", "Phase 2|Phase 3",
         "NCT０１２３４５６７", "NCT1234567", "DRUG:", ": x", "Allocation: |Masking:",
         "18 Years", "ADULT, CHILD", "\u00e9\u00e8", "x" * 5000)  # fmt: skip


@hs.composite
def mutated_export(draw) -> bytes:
    frame = EXPORT.iloc[draw(hs.lists(hs.integers(0, len(EXPORT) - 1), min_size=1, max_size=4))]
    frame = frame.copy().reset_index(drop=True)
    columns = list(frame.columns)
    for _ in range(draw(hs.integers(1, 6))):
        row = draw(hs.integers(0, len(frame) - 1))
        col = draw(hs.sampled_from(columns))
        frame.loc[row, col] = draw(hs.one_of(hs.sampled_from(CELLS), hs.text(max_size=40)))
    drop = draw(hs.lists(hs.sampled_from(columns[1:]), max_size=5, unique=True))
    frame = frame.drop(columns=drop)
    sep = draw(hs.sampled_from([",", ";", "\t", "|"]))
    buf = io.StringIO()
    frame.to_csv(buf, index=False, sep=sep)
    return buf.getvalue().encode(draw(hs.sampled_from(["utf-8", "utf-8-sig", "utf-16"])), "replace")


@settings(max_examples=_n(100))
@given(data=mutated_export())
def test_mutated_csv_export_reads_or_raises_a_typed_error(data):
    EXAMPLES["csv"] += 1
    try:
        df = _read(data)
    except Exception as exc:  # noqa: BLE001
        _typed(exc, "csv")
        return
    _check_table(df)
    OUTCOMES["csv", "read"] += 1


VALUES = (None, math.nan, math.inf, -math.inf, pd.NA, pd.NaT, "", " ", "text", 7, -1, 2**70,
          1.5, True, b"bytes", [], ["a", None], [1, 2], ("a",), {"a": 1}, ["x" * 3000],
          np.array(["a"]), np.float64("nan"), np.int64(3), pd.Timestamp("2019-01-01"),
          pd.Timestamp("2019-01-01", tz="UTC"), "2019-02-30", "3000-01-01")  # fmt: skip


@hs.composite
def mutated_table(draw) -> pd.DataFrame:
    frame = TABLE.astype(object).copy()
    for _ in range(draw(hs.integers(1, 6))):
        row = draw(hs.integers(0, len(frame) - 1))
        col = draw(hs.sampled_from(list(schema.COLUMN_NAMES)))
        frame.at[row, col] = draw(hs.sampled_from(VALUES))
    drop = draw(hs.lists(hs.sampled_from(list(schema.COLUMN_NAMES[1:])), max_size=4, unique=True))
    return frame.drop(columns=drop)


@settings(max_examples=_n(100))
@given(frame=mutated_table())
def test_mutated_dataframe_reads_or_raises_a_typed_error(frame):
    EXAMPLES["dataframe"] += 1
    try:
        df = _read(frame)
    except Exception as exc:  # noqa: BLE001
        _typed(exc, "dataframe")
        return
    _check_table(df)
    OUTCOMES["dataframe", "read"] += 1


# ---------------------------------------------------------------------- indexing


@settings(max_examples=_n(12, explore=200))
@given(
    studies=hs.lists(
        hs.one_of(
            mutated_study(USABLE, most=3, max_size=40, keep_id=True),
            mutated_study(most=1, max_size=40),
        ),
        min_size=2,
        max_size=3,
    )
)
def test_mutated_studies_build_and_answer_or_raise_a_typed_error(embedder, studies):
    """TrialIndex.build on 2-3 mutated real records, then a query of each kind."""
    EXAMPLES["build"] += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # two mutations of one real study: a duplicate ID
            index = st.TrialIndex.build(studies, embedder=embedder, show_progress=False)
    except Exception as exc:  # noqa: BLE001
        _typed(exc, "build")
        return
    OUTCOMES["build", "built"] += 1
    assert 1 <= len(index) <= len(studies)
    first = index.trials["nct_id"].iloc[0]
    for ask in (
        lambda: index.similar(first, k=2),
        lambda: index.similar(studies[0], k=2),
        lambda: index.search("ischemic stroke", k=2),
        lambda: index.explain(first, index.trials["nct_id"].iloc[-1]),
    ):
        try:
            ask()
        except Exception as exc:  # noqa: BLE001 - e.g. a query with no usable field
            _typed(exc, "query")


@pytest.fixture(scope="module", autouse=True)
def _report_examples():
    yield
    print(
        f"\nhypothesis examples run ({PROFILE}): {dict(EXAMPLES)}, total {sum(EXAMPLES.values())}"
    )
    print("outcomes:", dict(sorted(OUTCOMES.items())))
