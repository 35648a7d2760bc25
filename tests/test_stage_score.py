"""The pure scoring stage (simtrials.search.score, .settings) on small hand-made arrays: no model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simtrials.search.score import Parts, cosines, fuse, score, semantic
from simtrials.search.settings import Scoring, check_caps, check_fields

NAN = np.nan


def test_cosines_are_clipped_and_nan_where_the_field_is_missing():
    q = np.array([1.0, 0.0], dtype=np.float32)
    cands = np.array([[1.0, 0.0], [-1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    out = cosines(q, cands, np.array([True, True, False]))
    assert out[0] == pytest.approx(1.0) and out[1] == 0.0 and math.isnan(out[2])


def test_semantic_is_the_renormalized_capped_mean_of_the_fields_present():
    per_field = {"all": np.array([0.8, 0.5, NAN]), "conditions": np.array([0.9, NAN, NAN])}
    sem, scored = semantic(per_field, {"all": 1.0, "conditions": 1.0}, {"conditions": 0.6})
    assert sem[0] == pytest.approx((0.8 + 0.6) / 2)  # conditions capped at 0.6
    assert sem[1] == pytest.approx(0.5)  # only "all" present: not punished for the rest
    assert sem[2] == 0.0 and scored.tolist() == [True, True, False]


def test_fuse_mixes_semantic_and_lexical_and_stays_in_0_1():
    out = fuse(np.array([1.0, 0.0, 0.6]), np.array([1.0, 0.0, 0.3]), 1 / 3)
    assert out.tolist() == pytest.approx([1.0, 0.0, 0.5])


def test_score_uses_the_cross_field_fallback_only_where_no_field_is_shared():
    scoring = Scoring({"all": 1.0, "title": 1.0}, 0.5, {})
    per_field = {"all": np.array([0.4, NAN]), "title": np.array([NAN, NAN])}
    asked = []

    def cross(mask):
        asked.append(mask.tolist())
        return {"all": np.array([0.2]), "title": np.array([0.8])}

    parts = score(per_field, np.array([0.0, 1.0]), scoring, cross)
    assert asked == [[False, True]]
    assert parts.semantic.tolist() == pytest.approx([0.4, 0.5])
    assert parts.score.tolist() == pytest.approx([0.2, 0.75])
    assert parts.per_field["title"][1] == pytest.approx(0.8)
    assert math.isnan(per_field["title"][1])  # the input is not changed


def test_parts_take_reorders_every_part_together():
    parts = Parts({"all": np.array([0.1, 0.2, 0.3])}, np.array([1.0, 2.0, 3.0]),
                  np.array([4.0, 5.0, 6.0]), np.array([7.0, 8.0, 9.0]))  # fmt: skip
    top = parts.take(np.array([2, 0]))
    assert top.per_field["all"].tolist() == [0.3, 0.1] and top.lexical.tolist() == [3.0, 1.0]
    assert top.semantic.tolist() == [6.0, 4.0] and top.score.tolist() == [9.0, 7.0]
    assert len(top) == 2


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, True, "1"])
def test_a_field_weight_must_be_a_finite_number_at_least_0(bad):
    with pytest.raises(ValueError, match="weight of field 'all'"):
        check_fields({"all": bad})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, 1.5])
def test_a_cap_must_be_a_number_in_0_1(bad):
    with pytest.raises(ValueError, match="cap of field 'conditions'"):
        check_caps({"conditions": bad}, {"conditions": 1.0})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.1, 1.1])
def test_the_lexical_weight_must_be_a_number_in_0_1(bad):
    with pytest.raises(ValueError, match="lexical_weight"):
        Scoring.create(lexical_weight=bad)


def test_scoring_defaults_and_round_trip():
    s = Scoring.create()
    assert dict(s.fields) == {"all": 1.0, "conditions": 1.0, "interventions": 0.0}
    assert s.lexical_weight == pytest.approx(1 / 3) and dict(s.caps) == {"conditions": 0.6}
    assert Scoring.from_dict(s.to_dict()) == s
    assert check_fields(["title", "all"]) == {"title": 1.0, "all": 1.0}
