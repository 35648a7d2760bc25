"""TrialIndex on real trials: ranking behaviour, queries of every kind, changes, persistence, errors."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import is_cell_therapy, is_stroke, mentions_stroke

import simtrials as st
from simtrials.datasets import sample_path
from simtrials.errors import DuplicateTrialError, QueryError, TrialNotFoundError

QUERY = "NCT03735277"  # Hemacord HPC, cord blood, in acute ischemic stroke (real record)


def fingerprint(index: st.TrialIndex) -> list:
    """What the index answers to a fixed set of questions (to check that failures change nothing)."""
    out = [len(index), sorted(index.trials["nct_id"])]
    for q in (QUERY, "NCT02460484"):
        if q in index:
            h = index.similar(q, k=5)
            out.append(list(zip(h["nct_id"], np.round(h["score"], 5))))
    h = index.search("cord blood cells for stroke", k=5)
    out.append(list(zip(h["nct_id"], np.round(h["score"], 5))))
    return out


# ------------------------------------------------------------------ ranking behaviour


@pytest.mark.parametrize("query", [QUERY, "NCT02460484"])
def test_cell_therapy_stroke_trials_rank_above_other_stroke_and_other_cell_trials(
    index, subset, query
):
    """Cell therapy AND stroke first: not every stroke trial, not every stem-cell trial.

    The groups come from the records' own fields: cell therapy by the interventions (stem
    cells, MSCs, cord blood …), stroke by the primary registered condition.
    """
    hits = index.similar(query, k=len(index))
    rows = subset.set_index("nct_id").loc[hits["nct_id"]]
    cell = rows.apply(is_cell_therapy, axis=1).to_numpy()
    stroke = rows.apply(is_stroke, axis=1).to_numpy()
    ranks = hits["rank"].to_numpy()
    both, stroke_only, cell_only = (
        ranks[cell & stroke],
        ranks[stroke & ~cell],
        ranks[cell & ~stroke],
    )
    assert len(both) >= 1 and len(stroke_only) >= 30 and len(cell_only) >= 50
    assert both.max() < stroke_only.min() and both.max() < cell_only.min()
    assert list(ranks[: len(both)]) == sorted(both)
    # cell therapies tried in several conditions, stroke among them, beat most cell-therapy
    # trials of unrelated diseases
    broad = ranks[cell & ~stroke & rows.apply(mentions_stroke, axis=1).to_numpy()]
    unrelated = ranks[cell & ~rows.apply(mentions_stroke, axis=1).to_numpy()]
    assert len(broad) >= 1
    for r in broad:
        assert (unrelated > r).mean() >= 0.75


def test_hits_columns_order_and_query_excluded(index):
    hits = index.similar(QUERY, k=10)
    assert isinstance(hits, pd.DataFrame) and len(hits) == 10
    fields = [f"score_{f}" for f in index.fields]
    parts = ["score_condition", "score_intervention", "score_text"]
    assert list(hits.columns) == [
        "rank", "nct_id", "title", "score", "condition_match", "intervention_match", *parts,
        *fields, "score_lexical", "shared_conditions",
        "shared_interventions", "phases", "overall_status", "study_type", "start_date",
        "conditions", "interventions",
    ]  # fmt: skip
    assert QUERY not in set(hits["nct_id"])
    assert hits["rank"].tolist() == list(range(1, 11))
    assert (np.diff(hits["score"]) <= 0).all()
    assert hits["score"].between(0, 1).all()
    assert hits["shared_conditions"].map(lambda v: isinstance(v, list)).all()
    assert "similar trials to NCT03735277" in repr(hits)
    assert "<table" in hits._repr_html_()


def test_ties_are_broken_by_nct_id(index):
    hits = index.similar(QUERY, k=len(index))
    for a, b in zip(hits.itertuples(), hits.iloc[1:].itertuples()):
        if a.score == b.score:
            assert a.nct_id < b.nct_id


def test_shared_conditions_name_the_overlap(index):
    hits = index.similar(QUERY, k=10)
    top = hits.iloc[0]
    assert top["nct_id"] == "NCT02460484"
    assert any("ischemic stroke" in c.lower() for c in top["shared_conditions"])


# ------------------------------------------------------------------ query kinds


def test_trial_not_in_index_as_raw_study_finds_same_neighbours_as_by_id(subset, embedder):
    studies = json.loads(sample_path("ctgov_studies.json").read_text(encoding="utf-8"))
    idx = st.TrialIndex.build(
        pd.concat([subset, st.read_ctgov(studies)]), embedder=embedder, show_progress=False
    )
    target = studies[3]["protocolSection"]["identificationModule"]["nctId"]
    by_id = idx.similar(target, k=10)
    idx.remove([target])
    by_dict = idx.similar(studies[3], k=10)
    # removing the trial changes the TF-IDF weights a little: near-ties may swap far down
    assert by_dict["nct_id"].tolist()[:5] == by_id["nct_id"].tolist()[:5]
    assert len(set(by_dict["nct_id"]) & set(by_id["nct_id"])) >= 9
    np.testing.assert_allclose(by_dict["score"], by_id["score"], atol=0.02)


def test_query_as_series_dataframe_and_normalized_dict(index, subset):
    row = subset.set_index("nct_id").loc[QUERY].reset_index()
    expected = index.similar(QUERY, k=5)["nct_id"].tolist()
    record = subset[subset["nct_id"] == QUERY]
    assert index.similar(record, k=5)["nct_id"].tolist() == expected
    assert index.similar(record.iloc[0], k=5)["nct_id"].tolist() == expected
    assert row is not None


def test_draft_without_nct_id_and_with_only_some_fields(index, subset):
    src = subset.set_index("nct_id").loc[QUERY]
    draft = {"title": src["title"], "conditions": list(src["conditions"])}
    hits = index.similar(draft, k=5)
    assert len(hits) == 5 and hits.query == "draft query"
    study = {"protocolSection": {"identificationModule": {"briefTitle": src["title"]}}}
    hits2 = index.similar(study, k=5)
    assert QUERY in set(hits2["nct_id"])  # not excluded: the draft has no NCT ID


def test_free_text_search_finds_cord_blood_stroke_trials(index, subset):
    hits = index.search("umbilical cord blood cells for acute ischemic stroke", k=5)
    rows = subset.set_index("nct_id").loc[hits["nct_id"]]
    assert rows.apply(mentions_stroke, axis=1).all()
    assert rows.apply(is_cell_therapy, axis=1).iloc[:2].all()
    assert hits.loc[0, "score_all"] > 0  # cross-field scores are reported per field


def test_abbreviations_defined_in_a_record_are_expanded():
    from simtrials.represent import expand_abbreviations, find_abbreviations

    text = "Patients with acute ischemic stroke (AIS) receive human umbilical cord mesenchymal stem cells (hUC-MSCs)."
    abbr = find_abbreviations(text)
    assert abbr["AIS"] == "acute ischemic stroke"
    assert abbr["hUC-MSCs"] == "human umbilical cord mesenchymal stem cells"
    assert "AIS (acute ischemic stroke)" in expand_abbreviations("hUC-MSCs in AIS", abbr)


# ------------------------------------------------------------------ filters and shortlists


def test_where_filters(index):
    hits = index.similar(
        QUERY, k=50, where={"phases": ["PHASE2", "PHASE3"], "study_type": "INTERVENTIONAL"}
    )
    assert len(hits) > 0
    assert hits["phases"].map(lambda p: bool({"PHASE2", "PHASE3"} & set(p))).all()
    assert (hits["study_type"] == "INTERVENTIONAL").all()
    dated = index.similar(QUERY, k=50, where={"start_date": (">=", "2015-01-01")})
    assert (dated["start_date"] >= pd.Timestamp("2015-01-01")).all()
    status = index.similar(QUERY, k=50, where={"overall_status": ["recruiting"]})
    assert (status["overall_status"] == "RECRUITING").all()
    between = index.similar(QUERY, k=50, where={"enrollment": ("between", 10, 100)})
    assert between["nct_id"].isin(index.trials.query("10 <= enrollment <= 100")["nct_id"]).all()


def test_code_filters_take_the_registry_spellings_and_refuse_a_non_phase(index):
    # "Phase 2" as the legacy exports and the website write it: the same trials as PHASE2
    coded = index.similar(QUERY, k=30, where={"phases": ["PHASE2"], "overall_status": "COMPLETED"})
    spelled = index.similar(
        QUERY, k=30, where={"phases": ["Phase 2"], "overall_status": "Completed"}
    )
    assert len(coded) > 0 and spelled["nct_id"].tolist() == coded["nct_id"].tolist()
    active = index.similar(QUERY, k=30, where={"overall_status": "Active, not recruiting"})
    assert len(active) > 0 and (active["overall_status"] == "ACTIVE_NOT_RECRUITING").all()
    with pytest.raises(QueryError, match=r"filter on 'phases': unknown phase 'Phase II'"):
        index.similar(QUERY, where={"phases": ["Phase II"]})
    with pytest.raises(QueryError, match=r"one phase per value"):
        index.similar(QUERY, where={"phases": "Phase 2/Phase 3"})


def test_a_draft_with_a_misspelled_field_warns_and_other_extra_keys_pass(index):
    draft = {
        "title": "Umbilical cord blood cells in acute ischemic stroke",
        "condition": ["Stroke"],
    }
    with pytest.warns(UserWarning, match=r"'condition' .* did you mean 'conditions'") as caught:
        index.similar(draft, k=3)
    assert caught[0].filename == __file__  # points at the caller, not inside simtrials
    row = index.similar(QUERY, k=1).iloc[0].to_dict()  # a Hits row: scores and reasons beside
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(index.similar(row, k=3)) == 3


def test_filtered_results_are_the_unfiltered_ranking_restricted(index):
    everything = index.similar(QUERY, k=len(index))
    phase2 = index.similar(QUERY, k=len(index), where={"phases": ["PHASE2"]})
    expected = everything[everything["phases"].map(lambda p: "PHASE2" in p)]["nct_id"].tolist()
    assert phase2["nct_id"].tolist() == expected


def test_candidates_rank_only_the_shortlist(index):
    top = index.similar(QUERY, k=20)["nct_id"].tolist()
    shortlist = top[::-1][:7]
    hits = index.similar(QUERY, candidates=shortlist)
    assert sorted(hits["nct_id"]) == sorted(shortlist) and len(hits) == 7
    assert hits["nct_id"].tolist() == [n for n in top if n in shortlist]
    assert len(index.similar(QUERY, candidates=shortlist, k=3)) == 3


def test_explain_gives_field_scores_shared_items_and_terms(index):
    why = index.explain(QUERY, "NCT02460484")
    hits = index.similar(QUERY, candidates=["NCT02460484"])
    assert why.score == pytest.approx(float(hits["score"][0]))
    assert set(why.field_scores) == set(index.fields)
    assert {"cord", "blood"} <= set(why.shared_terms)
    assert why.shared_conditions
    assert "NCT02460484" in repr(why) and "shared conditions" in repr(why)
    assert "score_lexical" in why.to_frame().index


# ------------------------------------------------------------------ changes and persistence


def test_save_then_load_gives_identical_hits(index, tmp_path):
    path = index.save(tmp_path / "idx")
    loaded = st.TrialIndex.load(path, embedder=index.embedder)
    assert len(loaded) == len(index) and repr(loaded) == repr(index)
    for q in (QUERY, "NCT02460484"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(loaded.similar(q, k=10)), pd.DataFrame(index.similar(q, k=10))
        )
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.search("stem cells", k=5)),
        pd.DataFrame(index.search("stem cells", k=5)),
    )
    pd.testing.assert_frame_equal(loaded.trials, index.trials)


def test_add_and_remove_then_query_equals_fresh_build(subset, embedder):
    first, rest = subset.iloc[:200], subset.iloc[200:]
    grown = st.TrialIndex.build(first, embedder=embedder, show_progress=False)
    grown.add(rest)
    drop = ["NCT02795052", subset["nct_id"].iloc[5]]
    grown.remove(drop)
    fresh = st.TrialIndex.build(
        subset[~subset["nct_id"].isin(drop)], embedder=embedder, show_progress=False
    )
    assert len(grown) == len(fresh) and sorted(grown.trials["nct_id"]) == sorted(
        fresh.trials["nct_id"]
    )
    for q in (QUERY, "NCT02460484"):
        a, b = grown.similar(q, k=15), fresh.similar(q, k=15)
        assert a["nct_id"].tolist() == b["nct_id"].tolist()
        np.testing.assert_allclose(a["score"], b["score"], atol=1e-5)


def test_update_replaces_a_record(subset, embedder):
    idx = st.TrialIndex.build(subset.iloc[:80], embedder=embedder, show_progress=False)
    target = subset.iloc[10].copy()
    changed = target.copy()
    changed["title"] = "Umbilical cord blood cells for acute ischemic stroke"
    idx.update(changed.to_frame().T)
    assert idx.trials.set_index("nct_id").loc[target["nct_id"], "title"] == changed["title"]
    assert len(idx) == 80
    with pytest.raises(TrialNotFoundError):
        idx.update(subset.iloc[[100]])


def test_exact_and_ann_agree_on_top_hits(subset, embedder):
    exact = st.TrialIndex.build(subset, embedder=embedder, show_progress=False)
    ann = st.TrialIndex.build(subset, embedder=embedder, show_progress=False, index="HNSW32")
    ann.exact_threshold = 0  # force the ANN candidate step even at this size
    assert "HNSW32" in repr(ann) and "approximate" in repr(ann)
    for q in (QUERY, "NCT02460484", subset["nct_id"].iloc[40]):
        a = exact.similar(q, k=10)["nct_id"].tolist()
        b = ann.similar(q, k=10)["nct_id"].tolist()
        assert len(set(a) & set(b)) >= 9


def test_a_query_trial_is_read_from_the_stores(subset, embedder):
    """Resolving an indexed trial as a query reads its own vectors, not the arrays of every
    trial's (made only by a query that scores most of the index; gigabytes at 500k)."""
    ann = st.TrialIndex.build(subset.iloc[:60], embedder=embedder, show_progress=False,
                              index="HNSW32")  # fmt: skip
    q = ann.query(QUERY if QUERY in ann else str(subset["nct_id"].iloc[0]))
    assert q.whole is not None and q.vectors.get("conditions") is not None
    made = {k[:2] if isinstance(k, tuple) else k for k in ann.store.derived}
    assert not made & {("field", "all"), ("items", "conditions"), ("items", "interventions"),
                       "lexical"}, made  # fmt: skip


def test_membership_len_and_trials(index, subset):
    assert len(index) == len(subset)
    assert QUERY in index and "NCT99999999" not in index and 42 not in index
    assert set(index.trials["nct_id"]) == set(subset["nct_id"])
    assert "Flat" in repr(index) and "exact" in repr(index)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("k", [0, -3, 2.5, "10", True])
def test_bad_k_is_a_value_error(index, k):
    with pytest.raises(ValueError, match="k must"):
        index.similar(QUERY, k=k)


def test_huge_k_returns_every_other_trial(index):
    assert len(index.similar(QUERY, k=10**9)) == len(index) - 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda i: i.similar("NCT99999999"), TrialNotFoundError, "NCT99999999"),
        (lambda i: i.similar("stem cells"), QueryError, "not an NCT ID"),
        (lambda i: i.search("   "), QueryError, "non-empty"),
        (lambda i: i.similar({"title": "  ", "conditions": []}), QueryError, "no usable field"),
        (lambda i: i.similar({"foo": 1}), QueryError, "none of the trial fields"),
        (lambda i: i.similar(42), QueryError, "cannot use a int"),
        (lambda i: i.similar(QUERY, where={"colour": "red"}), QueryError, "unknown filter column"),
        (
            lambda i: i.similar(QUERY, where={"start_date": ("~", "2015")}),
            QueryError,
            "unknown operator",
        ),
        (
            lambda i: i.similar(QUERY, where={"start_date": (">=", "yesterday-ish")}),
            QueryError,
            "expected a date",
        ),
        (lambda i: i.similar(QUERY, where={"phases": [2]}), QueryError, "expected text"),
        (
            lambda i: i.similar(QUERY, where={"enrollment": (">", "many")}),
            QueryError,
            "expected a number",
        ),
        (
            lambda i: i.similar(QUERY, candidates=["NCT02460484", "NCT99999999"]),
            TrialNotFoundError,
            "NCT99999999",
        ),
        (lambda i: i.explain(QUERY, "NCT99999999"), TrialNotFoundError, "NCT99999999"),
        (lambda i: i.remove(["NCT02460484", "NCT99999999"]), TrialNotFoundError, "NCT99999999"),
    ],
)
def test_bad_calls_raise_clear_errors_and_change_nothing(index, call, error, message):
    before = fingerprint(index)
    with pytest.raises(error, match=message):
        call(index)
    assert fingerprint(index) == before


def test_add_existing_id_is_an_error_and_changes_nothing(subset, embedder):
    idx = st.TrialIndex.build(subset.iloc[:50], embedder=embedder, show_progress=False)
    before = fingerprint(idx)
    with pytest.raises(DuplicateTrialError, match=subset["nct_id"].iloc[3]):
        idx.add(subset.iloc[[3, 60]])
    assert fingerprint(idx) == before and len(idx) == 50


def test_unknown_field_and_bad_weights_are_value_errors(subset, embedder):
    with pytest.raises(ValueError, match="unknown field 'abstract'"):
        st.TrialIndex.build(subset.iloc[:5], embedder=embedder, fields={"abstract": 1.0})
    with pytest.raises(ValueError, match="weight"):
        st.TrialIndex.build(subset.iloc[:5], embedder=embedder, fields={"title": -1})
    with pytest.raises(ValueError, match="lexical_weight"):
        st.TrialIndex.build(subset.iloc[:5], embedder=embedder, lexical_weight=2)


def test_scores_are_finite(index):
    hits = index.similar(QUERY, k=len(index))
    assert all(math.isfinite(s) for s in hits["score"])


# ------------------------------------------------------------------ defects of issue 11


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_inf_field_weights_and_caps_are_value_errors(subset, embedder, bad):
    with pytest.raises(ValueError, match="weight of field 'conditions'"):
        st.TrialIndex.build(
            subset.iloc[:5], embedder=embedder, fields={"all": 1, "conditions": bad}
        )
    with pytest.raises(ValueError, match="cap of field 'conditions'"):
        st.TrialIndex.build(subset.iloc[:5], embedder=embedder, caps={"conditions": bad})


def test_free_text_explain_takes_its_shared_terms_from_the_expanded_text(index):
    from simtrials.represent import expand_abbreviations, find_abbreviations, whole_text

    text = "acute ischemic stroke (AIS) treated with cord blood; AIS within 7 days"
    expanded = expand_abbreviations(text, find_abbreviations(text))
    lex = index.store.lexical
    cand = lex.query_vector(whole_text(index.trials.set_index("nct_id").loc[QUERY]))
    wanted = lex.shared_terms(lex.query_vector(expanded), cand)
    assert wanted != lex.shared_terms(lex.query_vector(text), cand)  # the test can tell them apart
    ex = index.explain(text, QUERY)
    assert ex.shared_terms == wanted
    assert ex.score == pytest.approx(float(index.search(text, candidates=[QUERY])["score"][0]))


def test_explain_strips_the_query_id_like_similar_does(index):
    padded = index.explain(f"  {QUERY} \n", "NCT02460484")
    plain = index.explain(QUERY, "NCT02460484")
    assert padded.query == QUERY and padded.score == plain.score
    assert padded.shared_conditions == plain.shared_conditions


def test_a_small_hnsw_index_is_reported_exact_as_it_searches(subset, embedder):
    small = st.TrialIndex.build(
        subset.iloc[:30], embedder=embedder, index="HNSW32", show_progress=False
    )
    assert small.index_type == "HNSW32" and small.exact
    assert "(exact)" in repr(small) and "approximate" not in repr(small)
    assert small.describe()["exact"] is True


def test_embedder_options_with_an_embedder_are_an_error_not_ignored(subset, embedder, tmp_path):
    for option in ({"device": "cpu"}, {"batch_size": 8}, {"cache_dir": tmp_path}):
        with pytest.raises(ValueError, match=f"{next(iter(option))}.*existing embedder"):
            st.TrialIndex.build(subset.iloc[:5], embedder=embedder, **option)
    saved = st.TrialIndex.build(subset.iloc[:5], embedder=embedder, show_progress=False)
    saved.save(tmp_path / "i")
    with pytest.raises(ValueError, match="device.*existing embedder"):
        st.TrialIndex.load(tmp_path / "i", embedder=embedder, device="cpu")


def test_describe_tells_what_the_index_holds_without_the_model(index, tmp_path):
    index.save(tmp_path / "i")
    d = st.TrialIndex.load(tmp_path / "i").describe()
    assert d["trials"] == len(index) and d["index_type"] == "Flat" and d["exact"] is True
    assert d["fields"] == index.fields and d["model"] == index.embedder.name
    assert d["model_fingerprint"] == index.embedder.fingerprint and d["path"]


def test_a_resolved_query_is_reused_as_it_is(index):
    q = index.query(QUERY)
    assert isinstance(q, st.search.Query) and q.nct_id == QUERY
    a, b = index.similar(q, k=5), index.similar(QUERY, k=5)
    assert a["nct_id"].tolist() == b["nct_id"].tolist()
