"""The landscape of a related set, checked against plain pandas over the same real trials.

The related sets are real records of the bundled corpus: every stroke trial (in corpus
order), and the 50 hits of NCT03735277 in the conftest ``index``. Each figure of
:func:`simtrials.landscape.summarize` is recomputed here with pandas; the ``why_stopped``
classifier is checked on real reasons, quoted verbatim from registry records.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from simtrials import landscape
from simtrials.landscape import figures, outcomes, stop_kind, summarize

STROKE_CELL = "NCT03735277"  # Hemacord HPC cord blood in acute ischemic stroke
STOPPED = ["TERMINATED", "WITHDRAWN", "SUSPENDED"]


@pytest.fixture(scope="module")
def stroke(corpus) -> pd.DataFrame:
    """Every trial of the corpus with a stroke among its conditions, in corpus order."""
    regex = re.compile(r"\bstroke", re.I)
    mask = corpus["conditions"].map(lambda c: any(regex.search(x) for x in c))
    return corpus[mask].reset_index(drop=True)


@pytest.fixture(scope="module")
def land(stroke) -> landscape.Landscape:
    return summarize(stroke, query="stroke trials")


def has(values: pd.Series) -> pd.Series:
    """Whether each value is present: not NA, and a non-empty list for list columns."""
    return values.map(lambda v: len(v) > 0 if isinstance(v, list) else not pd.isna(v))


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for col, value in where.items():
        mask &= (table[col] == value).to_numpy()
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


# ------------------------------------------------------------------ coverage: n of k


def test_coverage_counts_the_trials_that_have_each_field(stroke, land):
    assert land.k == len(stroke) > 50
    cov = land.coverage.set_index("field")
    for field in landscape.FIELDS:
        if field in stroke.columns:
            assert cov.loc[field, "n"] == has(stroke[field]).sum(), field
            assert cov.loc[field, "missing"] == land.k - cov.loc[field, "n"]
        else:
            assert not cov.loc[field, "available"] and cov.loc[field, "n"] == 0
    # the real corpus lacks many fields: the landscape must say so rather than fill them in
    assert 0 < cov.loc["enrollment", "n"] < land.k
    assert 0 < cov.loc["phases", "n"] < land.k


# ------------------------------------------------------------------ status, why stopped


def test_status_counts_and_shares_match_pandas(stroke, land):
    expected = stroke["overall_status"].value_counts()
    got = land.status.set_index("overall_status")
    assert got["n"].to_dict() == expected.to_dict()
    assert got["share"].to_numpy() == pytest.approx(
        got["n"] / stroke["overall_status"].notna().sum()
    )
    assert set(got.index[got["stopped"]]) == set(expected.index) & set(STOPPED)
    stopped = stroke[stroke["overall_status"].isin(STOPPED)]
    assert land.stopped["nct_id"].tolist() == stopped["nct_id"].tolist()
    text = land.summary()
    n_status = stroke["overall_status"].notna().sum()
    assert f"Stopped early: {len(stopped)} of {n_status}" in text


def test_stop_reasons_count_every_stopped_trial_once(stroke, land):
    reasons = land.stop_reasons.set_index("kind")
    assert reasons["n"].sum() == len(land.stopped)
    why = stroke.set_index("nct_id").loc[land.stopped["nct_id"]]
    given = has(why["why_stopped"]) if "why_stopped" in why else pd.Series(False, why.index)
    assert reasons.loc["reason not given", "n"] == (~given).sum()  # counted, not guessed


# Real reasons, quoted verbatim from ClinicalTrials.gov records (statusModule.whyStopped) of
# the raw files behind the corpus (../shared/data/raw, see data/SOURCES.md).
REAL_REASONS = [
    ("NCT04357353", "low enrollment", "enrollment/accrual"),
    ("NCT01215409", "Slow recruitment", "enrollment/accrual"),
    ("NCT00544076", "Accrual too slow", "enrollment/accrual"),
    ("NCT00382161", "not enough patients meeting inclusion criteria", "enrollment/accrual"),
    ("NCT05247567", "there is not enough volounteer for the trial", "enrollment/accrual"),
    (
        "NCT04783389",
        "Trial was discontinued in 2022 due to COVID-19 pandemic and Ukraine/Russia conflict "
        "related enrollment challenges. Discontinuation was not related to safety.",
        "enrollment/accrual",
    ),
    ("NCT03681392", "Lack of funding", "funding/business"),
    ("NCT03039218", "Commercial decision", "funding/business"),
    ("NCT05196191", "Sponsor decision", "funding/business"),
    ("NCT04402008", "Business decision, not related to safety.", "funding/business"),
    (
        "NCT05289492",
        "Company operational decision. Decision to stop study is not due to safety or efficacy "
        "concerns",
        "funding/business",
    ),
    (
        "NCT05693090",
        "This study was withdrawn due to a strategic business decision; no patients were enrolled.",
        "funding/business",
    ),
    (
        "NCT00848497",
        "Lack of volunteers who would consent to participate and lack of funding",
        "funding/business",
    ),
    ("NCT02996448", "Safety concerns led to early termination.", "safety"),
    ("NCT04634825", "Based on internal review of safety data", "safety"),
    (
        "NCT05144685",
        "Data Safety Monitoring Board (DSMB) recommendation per Charter stopping rules. The "
        "study surpassed the pre-planned futility boundary.",
        "efficacy/futility",
    ),
    (
        "NCT02526537",
        "Similar study has revealed result of no benefit for participants",
        "efficacy/futility",
    ),
    ("NCT00162773", "PI left institution", "other"),
    ("NCT03670628", "Due to COVID-19 Pandemic", "other"),
    ("NCT04129320", "Change in study design", "other"),
]


@pytest.mark.parametrize(
    ("nct_id", "reason", "kind"), REAL_REASONS, ids=[r[0] for r in REAL_REASONS]
)
def test_stop_kind_of_real_reasons(nct_id, reason, kind):
    assert stop_kind(reason) == kind


def test_stop_kind_of_a_missing_reason_is_not_guessed():
    for missing in (None, pd.NA, np.nan, "", "   "):
        assert stop_kind(missing) == "reason not given"


def test_stop_reasons_of_the_corpus(corpus):
    """Every real reason in the corpus gets exactly one kind, and the common kinds occur."""
    if "why_stopped" not in corpus or not corpus["why_stopped"].notna().any():
        pytest.skip("the bundled corpus carries no why_stopped yet")
    stopped = corpus[corpus["overall_status"].isin(STOPPED)]
    land = summarize(stopped)
    reasons = land.stop_reasons.set_index("kind")
    given = stopped["why_stopped"].notna().sum()
    assert reasons.drop("reason not given")["n"].sum() == given > 20
    assert reasons.loc["reason not given", "n"] == len(stopped) - given
    kinds = stopped["why_stopped"].dropna().map(stop_kind).value_counts()
    # the 47 real reasons of the small corpus: enrollment and funding/business among them,
    # and many that name no kind (COVID-19, "staff shortage", "change of study design")
    assert kinds.get("enrollment/accrual", 0) >= 10 and kinds.get("funding/business", 0) >= 5
    assert reasons.drop("reason not given")["n"].to_dict() == {
        k: int(kinds.get(k, 0)) for k in landscape.STOP_KINDS
    }


# ------------------------------------------------------------------ enrollment, duration


def test_enrollment_median_and_iqr_match_pandas_by_type_and_phase(stroke, land):
    types = (
        stroke["enrollment_type"].str.upper()
        if "enrollment_type" in stroke
        else pd.Series(pd.NA, index=stroke.index, dtype="string")
    )
    kind = types.fillna("type not given")
    counted = 0
    for t in ("ACTUAL", "ESTIMATED", "type not given"):
        values = stroke.loc[(kind == t) & stroke["enrollment"].notna(), "enrollment"].astype(float)
        if values.empty:
            continue
        got = row(land.enrollment, phase="all", enrollment_type=t)
        assert got["n"] == len(values)
        assert got["median"] == pytest.approx(values.median())
        assert got["q1"] == pytest.approx(values.quantile(0.25))
        assert got["q3"] == pytest.approx(values.quantile(0.75))
        counted += len(values)
    assert counted == stroke["enrollment"].notna().sum()  # nothing guessed, nothing dropped
    phase = stroke["phases"].map(figures.phase_label)
    for label in ["Phase 3", "Not applicable"]:
        values = stroke.loc[(phase == label) & stroke["enrollment"].notna(), "enrollment"]
        got = land.enrollment[land.enrollment["phase"] == label]
        assert got["n"].sum() == len(values) > 0
        if len(got) == 1:
            assert got["median"].iloc[0] == pytest.approx(values.astype(float).median())


def test_duration_in_months_matches_pandas(stroke, land):
    for measure, end in (
        ("start to completion", "completion_date"),
        ("start to primary completion", "primary_completion_date"),
    ):
        got = row(land.duration, measure=measure)
        if end not in stroke:
            assert got["n"] == 0
            continue
        days = (stroke[end] - stroke["start_date"]).dt.days.dropna()
        months = days[days >= 0] / (365.25 / 12)
        assert got["n"] == len(months)
        assert got["negative"] == (days < 0).sum()
        if len(months):
            assert got["median"] == pytest.approx(months.median())
            assert got["q1"] == pytest.approx(months.quantile(0.25))
    assert row(land.duration, measure="start to completion")["n"] > 20


# ------------------------------------------------------------------ timeline, phases, design


def test_start_years_phases_and_designs_match_pandas(stroke, land):
    years = stroke["start_date"].dt.year.dropna().astype(int).value_counts()
    got = land.start_years.set_index("year")["n"]
    assert got[got > 0].to_dict() == years.to_dict()
    assert got.index.tolist() == list(range(years.index.min(), years.index.max() + 1))

    phases = stroke["phases"].map(figures.phase_label).dropna().value_counts()
    assert land.phases.set_index("phase")["n"].to_dict() == phases.to_dict()
    assert land.phases["phase"].tolist()[-1] == "Not applicable"  # clinical order

    for field in figures.DESIGN_FIELDS:
        got = land.designs[land.designs["field"] == field].set_index("value")
        expected = stroke[field].value_counts()
        assert got["n"].to_dict() == expected.to_dict()
        assert got["share"].sum() == pytest.approx(1.0)


def test_sponsors_countries_and_results_match_pandas(stroke, land):
    assert land.sponsors.set_index("sponsor")["n"].to_dict() == (
        stroke["sponsor"].value_counts().to_dict()
    )
    per_country = stroke["countries"].map(lambda c: list(dict.fromkeys(c))).explode().dropna()
    got = land.countries.set_index("country")
    assert got["n"].to_dict() == per_country.value_counts().to_dict()
    with_country = (stroke["countries"].map(len) > 0).sum()
    assert got["share"].to_numpy() == pytest.approx(got["n"].to_numpy() / with_country)
    for field, table in (("has_results", land.results), ("sponsor_class", land.sponsor_classes)):
        known = stroke[field].dropna() if field in stroke else pd.Series([], dtype=object)
        assert table["n"].sum() == len(known)


# ------------------------------------------------------------------ outcomes


def test_outcomes_grouped_by_text_count_trials_as_pandas(stroke, land):
    measures = stroke[["nct_id", "primary_outcomes"]].explode("primary_outcomes").dropna()
    measures["key"] = measures["primary_outcomes"].map(
        lambda o: outcomes.text_key(outcomes.measure_of(o)) or outcomes.measure_of(o).lower()
    )
    per_key = measures.groupby("key")["nct_id"].nunique().sort_values(ascending=False)
    top = land.outcomes.iloc[0]
    assert top["n"] == per_key.iloc[0] > 1
    with_outcome = (stroke["primary_outcomes"].map(len) > 0).sum()
    assert top["share"] == pytest.approx(top["n"] / with_outcome)
    assert land.n_of("primary_outcomes") == with_outcome
    assert len(top["nct_ids"]) == top["n"] and set(top["nct_ids"]) <= set(stroke["nct_id"])


def test_text_key_groups_rewordings_of_one_measure():
    assert outcomes.text_key("Modified Rankin Scale (mRS) at 90 days") == "modified rankin"
    assert outcomes.text_key("modified Rankin scale score") == "modified rankin"
    assert outcomes.measure_of("Berg Balance Scale (BBS), balance, 4 weeks") == (
        "Berg Balance Scale (BBS)"
    )


def test_outcomes_with_an_embedder_merge_near_duplicates(stroke, embedder):
    berg = stroke[
        stroke["primary_outcomes"].map(
            lambda os: any(re.match(r"Bergs? Balance Scale", outcomes.measure_of(o)) for o in os)
        )
    ]
    wordings = {
        outcomes.measure_of(o)
        for os in berg["primary_outcomes"]
        for o in os
        if re.match(r"Bergs? Balance Scale", o)
    }
    assert len(wordings) >= 2  # real rewordings: "Berg Balance Scale (BBS)", "Bergs Balance Scale"
    by_text, _ = outcomes.group_outcomes(berg, top=None)
    by_vector, n = outcomes.group_outcomes(berg, embedder=embedder, top=None)
    assert n == len(berg)
    merged = by_vector[by_vector["measure"].str.match(r"Bergs? Balance Scale")]
    assert len(merged) == 1 and merged["n"].iloc[0] == len(berg)
    assert len(by_text[by_text["measure"].str.match(r"Bergs? Balance Scale")]) >= 2
    with pytest.raises(ValueError, match="similarity"):
        outcomes.group_outcomes(berg, embedder=embedder, similarity=1.5)


# ------------------------------------------------------------------ missing columns


def test_a_missing_column_is_not_available_and_never_filled(stroke):
    gone = ["why_stopped", "has_results", "enrollment_type", "sponsor_class", "location_count"]
    gone += ["primary_completion_date", "countries"]
    trimmed = stroke.drop(columns=[c for c in gone if c in stroke])
    land = summarize(trimmed)
    k = len(trimmed)
    cov = land.coverage.set_index("field")
    assert not cov.loc[gone, "available"].any() and (cov.loc[gone, "n"] == 0).all()
    assert land.results.empty and land.sponsor_classes.empty and land.countries.empty
    text = land.summary()
    for title in ("Results posted", "Sponsor classes", "Countries", "Sites per trial"):
        assert f"{title}: not available (0 of {k})" in text
    assert f"start to primary completion: not available (0 of {k}" in text
    # enrollment without its type is kept apart as "type not given", not called actual
    assert set(land.enrollment["enrollment_type"]) >= {"type not given"}
    assert row(land.enrollment, phase="all", enrollment_type="ACTUAL")["n"] == 0


def test_every_figure_names_n_of_k(land):
    text = land.summary()
    k = land.k
    for field, title in (
        ("overall_status", "Status"),
        ("enrollment", "Enrollment"),
        ("start_date", "Start years"),
        ("phases", "Phases"),
        ("sponsor", "Lead sponsors"),
    ):
        assert f"{title} ({land.n_of(field)} of {k})" in text
    assert str(land) == text and "<pre" in land._repr_html_()


# ------------------------------------------------------------------ input, JSON, hits


def test_to_dict_is_json_ready(land):
    data = json.loads(json.dumps(land.to_dict()))
    assert data["k"] == land.k and data["query"] == "stroke trials"
    assert sum(r["n"] for r in data["status"]) == land.n_of("overall_status")
    assert {"coverage", "enrollment", "outcomes", "stop_reasons"} <= set(data)


def test_input_is_checked_once(stroke):
    by_id = stroke.head(20).set_index("nct_id")
    assert summarize(by_id).k == 20  # the nct_id index of index.trials.set_index(...).loc[...]
    with pytest.raises(ValueError, match="more than once: " + stroke["nct_id"].iloc[0]):
        summarize(pd.concat([stroke.head(3), stroke.head(1)]))
    with pytest.raises(TypeError, match="DataFrame"):
        summarize(stroke.to_dict("records"))
    with pytest.raises(ValueError, match="nct_id"):
        summarize(stroke.drop(columns="nct_id"))


def test_landscape_of_the_hits_of_an_index(index):
    hits = index.similar(STROKE_CELL, k=50)
    trials = index.trials.set_index("nct_id").loc[hits.nct_id].reset_index()
    land = summarize(trials, query=STROKE_CELL, embedder=index.embedder)
    assert land.k == 50 and land.query == STROKE_CELL
    assert land.status["n"].sum() == trials["overall_status"].notna().sum()
    values = trials["enrollment"].dropna().astype(float)
    assert land.enrollment.loc[land.enrollment["phase"] == "all", "n"].sum() == len(values)
    assert land.outcomes["n"].sum() >= len(land.outcomes) > 0
    assert land.summary().startswith(f"Landscape of 50 trials related to {STROKE_CELL}")


# ------------------------------------------------------------------ new schema fields


@pytest.fixture(scope="module")
def samples():
    """The real API v2 JSON samples: they carry enrollment_type, sponsor_class, results …"""
    import simtrials as st

    parts = [st.read_ctgov(st.datasets.sample_path(n)) for n in st.datasets.list_samples()]
    parts = [p for p in parts if "sponsor_class" in p and p["sponsor_class"].notna().any()]
    if not parts:
        pytest.skip("no bundled sample carries sponsor_class")
    return pd.concat(parts, ignore_index=True).drop_duplicates("nct_id").reset_index(drop=True)


def test_new_fields_of_real_json_records_match_pandas(samples):
    land = summarize(samples)
    assert land.sponsor_classes.set_index("sponsor_class")["n"].to_dict() == (
        samples["sponsor_class"].value_counts().to_dict()
    )
    results = samples["has_results"].dropna().map({True: "yes", False: "no"}).value_counts()
    assert land.results.set_index("has_results")["n"].to_dict() == results.to_dict()
    for t in ("ACTUAL", "ESTIMATED"):
        values = samples.loc[
            (samples["enrollment_type"] == t) & samples["enrollment"].notna(), "enrollment"
        ]
        got = row(land.enrollment, phase="all", enrollment_type=t)
        assert got["n"] == len(values)
        if len(values):
            assert got["median"] == pytest.approx(values.astype(float).median())
    assert row(land.enrollment, phase="all", enrollment_type="ACTUAL")["n"] > 0
    days = (samples["primary_completion_date"] - samples["start_date"]).dt.days.dropna()
    got = row(land.duration, measure="start to primary completion")
    assert got["n"] == (days >= 0).sum() > 0
    assert got["median"] == pytest.approx((days[days >= 0] / (365.25 / 12)).median())
    sites = land.sites.set_index("measure").loc["sites per trial"]
    assert sites["n"] == samples["location_count"].notna().sum()
    assert sites["median"] == pytest.approx(samples["location_count"].dropna().median())
    text = land.summary()
    assert f"Sponsor classes ({samples['sponsor_class'].notna().sum()} of {len(samples)})" in text


# ------------------------------------------------------------------ the figure

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def panels(fig) -> dict:
    return {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}


def bar_widths(ax) -> list[float]:
    return [p.get_width() for p in ax.patches]


def test_draw_has_every_panel_with_its_data(land):
    import matplotlib.pyplot as plt

    from simtrials.landscape import draw
    from simtrials.landscape.draw import PANELS

    fig = draw(land)
    fig.canvas.draw()  # Agg renders every artist
    got = panels(fig)
    assert list(got) == list(PANELS)
    k = land.k
    status = got["status"]
    assert bar_widths(status) == land.status["n"].tolist()
    assert [t.get_text() for t in status.get_yticklabels()] == land.status[
        "overall_status"
    ].tolist()
    assert status.get_title(loc="left") == f"Status ({land.n_of('overall_status')} of {k})"
    assert bar_widths(got["stopped"]) == land.stop_reasons["n"].tolist()
    drawn = sum(len(c.get_offsets()) for c in got["enrollment"].collections)
    assert drawn == land.n_of("enrollment")
    assert got["enrollment"].get_yscale() == "log"
    assert sum(p.get_height() for p in got["timeline"].patches) == land.n_of("start_date")
    duration = got["duration"]
    n_months = land.trials["months_to_completion"].notna().sum()
    assert sum(p.get_height() for p in duration.patches) == n_months
    assert f"({n_months} of {k})" in duration.get_title(loc="left")
    assert bar_widths(got["outcomes"]) == land.outcomes["n"].head(8).tolist()
    assert bar_widths(got["countries"]) == land.countries["n"].head(10).tolist()
    design = got["design"]
    assert sum(bar_widths(design)) == pytest.approx(len(design.get_yticklabels()))
    # the stroke trials carry no sponsor class: the panel says so instead of drawing
    if not land.n_of("sponsor_class"):
        notes = [t.get_text() for t in got["sponsors"].texts if t.get_gid() == "not-available"]
        assert notes == [f"not available (0 of {k})"] and not got["sponsors"].patches
    assert "stroke trials" in fig._suptitle.get_text()
    plt.close(fig)


def test_draw_takes_a_figsize(land):
    import matplotlib.pyplot as plt

    from simtrials.landscape import draw

    fig = draw(land, figsize=(9, 7))
    assert tuple(fig.get_size_inches()) == pytest.approx((9, 7))
    plt.close(fig)
