"""Relatedness: the same condition AND the same kind of intervention.

Pure parts on hand-made arrays (no model); the class index on real records; and the order of
real hits, with the groups derived from the records' fields (tests/conftest.py), never from
a list of IDs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import is_cell_therapy, mentions_stroke

from simtrials.index.kinds import KindIndex
from simtrials.search.relatedness import (
    FOCUS,
    PARTS,
    RELATEDNESS_WEIGHT,
    ramp,
    relatedness,
    resolve_weights,
)
from simtrials.vocab import intervention_classes, intervention_match

DEMO = "NCT03735277"  # HPC cord blood in acute ischemic stroke


# ---------------------------------------------------------------------- pure parts


def test_ramp_reads_nan_as_zero_and_clips():
    out = ramp(np.array([np.nan, 0.1, 0.45, 0.6, 0.9]), 0.3, 0.6)
    assert out.tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])


def test_both_parts_beat_one_part_which_beats_none_at_the_same_text_score():
    text = np.full(4, 0.4)
    # candidates: both match, condition only, intervention only (related condition), none
    cond = np.array([0.9, 0.9, 0.35, 0.1])
    inter = np.array([0.9, 0.1, 0.9, 0.1])
    kind = np.zeros(4)
    s = relatedness(text, cond, inter, kind, FOCUS["both"]).score
    assert s[0] > s[1] > s[3] and s[0] > s[2] > s[3]


def test_intervention_only_credit_needs_a_related_condition():
    text = np.zeros(2)
    # the same kind of intervention, in a related condition vs in an unrelated one
    out = relatedness(text, np.array([0.4, 0.05]), np.zeros(2), np.ones(2), FOCUS["both"])
    assert out.intervention.tolist() == [1.0, 1.0]
    assert out.score[0] > 0 and out.score[1] == 0


def test_a_shared_class_counts_as_the_same_intervention_whatever_the_names():
    out = relatedness(np.zeros(1), np.array([0.9]), np.array([0.1]), np.array([1.0]), FOCUS["both"])
    assert out.intervention[0] == 1.0 and out.condition[0] == 1.0
    # both parts at 1: the whole rubric share of the score
    assert out.score[0] == pytest.approx(RELATEDNESS_WEIGHT)


def test_focus_presets_and_explicit_weights():
    assert set(FOCUS) == {"both", "condition", "intervention"}
    assert resolve_weights() == FOCUS["both"]
    assert resolve_weights("intervention") == FOCUS["intervention"]
    w = resolve_weights(weights={"condition": 1})
    assert w == {"text": 0.0, "condition": 1.0, "intervention": 0.0, "both": 0.0}
    text, cond, inter = np.array([0.9, 0.1]), np.array([0.2, 0.9]), np.array([0.9, 0.1])
    by_condition = relatedness(text, cond, inter, np.zeros(2), w).score
    assert by_condition[1] > by_condition[0]
    by_text = relatedness(text, cond, inter, np.zeros(2), {"text": 1}).score
    assert by_text.tolist() == pytest.approx(text.tolist())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"focus": "disease"}, "unknown focus"),
        ({"weights": {"drug": 1}}, "unknown part"),
        ({"weights": {"text": math.nan}}, "finite number"),
        ({"weights": {"text": math.inf}}, "finite number"),
        ({"weights": {"text": -1}}, "finite number"),
        ({"weights": {"text": 0}}, "above 0"),
        ({"focus": "both", "weights": {"text": 1}}, "not both"),
    ],
)
def test_bad_focus_or_weights_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        resolve_weights(**kwargs)
    assert set(PARTS) == {"text", "condition", "intervention", "both"}


# ---------------------------------------------------------------------- the class index


def test_kind_index_matches_intervention_match_on_real_records(subset):
    kinds = KindIndex.from_table(subset)
    records = subset.to_dict("records")
    rows = np.arange(len(subset))
    for q in records[:: max(1, len(records) // 12)]:
        want = [
            intervention_match(intervention_classes(q), intervention_classes(r)).value
            for r in records
        ]
        assert kinds.match(*intervention_classes(q), rows).tolist() == pytest.approx(want)
    arrays, columns = kinds.to_arrays()
    again = KindIndex.from_arrays(arrays, columns)
    assert again is not None and len(again) == len(kinds)
    keep = rows % 3 != 0
    kinds.keep(keep)
    assert len(kinds) == int(keep.sum())
    assert kinds.labels(0) == again.labels(int(np.flatnonzero(keep)[0]))
    assert KindIndex.from_arrays(arrays, '["another table"]') is None


# ---------------------------------------------------------------------- real hits


def test_the_demo_query_says_why_each_hit_is_related(index):
    hits = index.similar(DEMO, k=10)
    assert hits["nct_id"].iloc[0] == "NCT02460484"  # autologous cord blood, perinatal stroke
    first = hits.iloc[0]
    assert first["condition_match"].startswith("same condition")
    assert first["intervention_match"] == "both umbilical cord blood cells"
    for col in ("score_condition", "score_intervention", "score_text"):
        assert hits[col].between(0, 1).all(), col
    assert hits["score"].is_monotonic_decreasing
    other = hits[
        ~hits["nct_id"].isin(
            index.trials.loc[index.trials.apply(is_cell_therapy, axis=1), "nct_id"]
        )
    ]
    assert (
        other["intervention_match"]
        .str.startswith(
            ("different intervention kind", "intervention kind unknown", "both", "similar")
        )
        .all()
    )


def test_with_focus_on_the_intervention_cell_therapy_stroke_trials_come_first(index):
    trials = index.trials.set_index("nct_id")
    ranked = index.similar(DEMO, k=len(index) - 1, focus="intervention")["nct_id"].tolist()
    cell = trials.apply(is_cell_therapy, axis=1)
    stroke = trials.apply(mentions_stroke, axis=1)
    both = [n for n in ranked if cell[n] and stroke[n]]
    stroke_other = [n for n in ranked if stroke[n] and not cell[n]]
    cell_other = [n for n in ranked if cell[n] and not stroke[n]]
    assert len(both) >= 3 and stroke_other and cell_other
    pos = {n: i for i, n in enumerate(ranked)}
    worst_both = max(pos[n] for n in both)
    assert worst_both < min(pos[n] for n in stroke_other)
    # every cell-therapy stroke trial beats most cell trials of other diseases
    beaten = np.mean([pos[n] > worst_both for n in cell_other])
    assert beaten >= 0.75


def test_default_focus_lifts_cell_therapy_stroke_trials_over_the_text_score_alone(index):
    trials = index.trials.set_index("nct_id")
    cell_stroke = {
        n for n in trials.index if is_cell_therapy(trials.loc[n]) and mentions_stroke(trials.loc[n])
    } - {DEMO}
    k = len(index) - 1
    by_text = index.similar(DEMO, k=k, weights={"text": 1})["nct_id"].tolist()
    default = index.similar(DEMO, k=k)["nct_id"].tolist()
    mean_rank = lambda ranked: np.mean([ranked.index(n) for n in cell_stroke])  # noqa: E731
    assert mean_rank(default) < mean_rank(by_text)


def test_free_text_prefers_trials_with_both_the_condition_and_the_intervention(index):
    hits = index.search("umbilical cord mesenchymal stem cells for acute ischemic stroke", k=5)
    trials = index.trials.set_index("nct_id")
    top = trials.loc[hits["nct_id"].iloc[0]]
    assert is_cell_therapy(top) and mentions_stroke(top)
    assert hits["intervention_match"].str.startswith("both").sum() >= 3


def test_a_draft_with_only_a_title_and_a_description_is_matched_on_what_it_says(index):
    draft = {
        "title": "hUC-MSCs given intravenously in AIS",
        "brief_summary": "A phase 2 randomized trial of umbilical cord mesenchymal stem cells "
        "given intravenously within 7 days of an acute ischemic stroke.",
    }
    hits = index.similar(draft, k=5)
    trials = index.trials.set_index("nct_id")
    assert any(
        is_cell_therapy(trials.loc[n]) and mentions_stroke(trials.loc[n])
        for n in hits["nct_id"][:3]
    )
    assert hits["intervention_match"].iloc[0].startswith("both")


def test_explain_names_the_parts(index):
    why = index.explain(DEMO, "NCT02460484")
    assert why.condition_match.startswith("same condition")
    assert why.intervention_match == "both umbilical cord blood cells"
    assert "condition: same condition" in repr(why)
    frame = why.to_frame()
    assert {"score_condition", "score_intervention", "score_text", "score"} <= set(frame.index)
    focused = index.explain(DEMO, "NCT02460484", focus="condition")
    assert focused.condition == why.condition and focused.score != why.score
