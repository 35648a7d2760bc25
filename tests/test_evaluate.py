"""The evaluation harness: metrics checked by hand, every system shown the same candidates,
no system reading the labels, bootstrap CIs, paired comparisons, baselines, clear errors.

Everything runs on real NCT IDs and real records from ``data/``; the indexes are built over
the trials of the 3 smallest judged queries and their candidates only.
"""

from __future__ import annotations

import sys
from math import log2

import numpy as np
import pandas as pd
import pytest

import simtrials as st
from simtrials.baselines import BM25Baseline, DenseConcatBaseline, RandomBaseline, TfidfBaseline
from simtrials.errors import TrialNotFoundError
from simtrials.evaluate import bootstrap_ci, collect_run, judged_pool, metric_names
from simtrials.represent import whole_text

# ``st.evaluate`` is the function; the module is reached through sys.modules.
EVAL = sys.modules["simtrials.evaluate"]


# ---------------------------------------------------------------------- fake and wrapper


class FixedScores:
    """A fake system with known scores per (query, candidate); it records every call."""

    def __init__(self, scores: dict[str, dict[str, float]]) -> None:
        self.scores = scores
        self.calls: list[tuple[str, int | None, list[str] | None]] = []

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.scores or any(nct_id in s for s in self.scores.values())

    def similar(self, query, k=10, *, candidates=None):
        self.calls.append((query, k, None if candidates is None else list(candidates)))
        ids = list(self.scores[query]) if candidates is None else list(candidates)
        # deliberately returned unsorted: the harness must rank by score, ties by NCT ID
        return pd.DataFrame(
            {"nct_id": ids[::-1], "score": [self.scores[query][i] for i in ids[::-1]]}
        )


class Recording:
    """Wraps a real system and records what it is asked and what it answers."""

    def __init__(self, system) -> None:
        self.system = system
        self.calls: list[tuple[str, int | None, list[str] | None]] = []
        self.rankings: list[list[str]] = []

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.system

    def similar(self, query, k=10, *, candidates=None):
        self.calls.append((query, k, None if candidates is None else list(candidates)))
        hits = self.system.similar(query, k=k, candidates=candidates)
        self.rankings.append(hits["nct_id"].tolist())
        return hits


# ---------------------------------------------------------------------- fixtures

# Real judged pairs of data/eval/relevance-dev.tsv, with their real grades.
HAND_QRELS = pd.DataFrame(
    [
        ("NCT01809093", "NCT01771835", 2),
        ("NCT01809093", "NCT00259896", 1),
        ("NCT01809093", "NCT06957158", 0),
        ("NCT02270242", "NCT00898950", 1),
        ("NCT02270242", "NCT00143234", 0),
        ("NCT02270242", "NCT03476369", 1),
        ("NCT01811251", "NCT03505918", 1),
        ("NCT01811251", "NCT00353704", 2),
    ],
    columns=["query", "candidate", "grade"],
)
HAND_SCORES = {
    # ranks: grade 0, grade 2, grade 1
    "NCT01809093": {"NCT06957158": 0.9, "NCT01771835": 0.8, "NCT00259896": 0.7},
    # ranks: grade 1, grade 0, grade 1 (no grade 2 among its candidates)
    "NCT02270242": {"NCT00898950": 0.5, "NCT00143234": 0.4, "NCT03476369": 0.3},
    # a tie: broken by NCT ID, so NCT00353704 (grade 2) comes first
    "NCT01811251": {"NCT03505918": 0.6, "NCT00353704": 0.6},
}


@pytest.fixture(scope="module")
def relevance() -> pd.DataFrame:
    return st.datasets.load_relevance()


@pytest.fixture(scope="module")
def small_qrels(relevance) -> pd.DataFrame:
    """The judgements of the 3 queries with the fewest candidates (real pairs)."""
    sizes = relevance.groupby("query").size().sort_values(kind="stable")
    return relevance[relevance["query"].isin(sizes.index[:3])].reset_index(drop=True)


@pytest.fixture(scope="module")
def small_trials(corpus, small_qrels) -> pd.DataFrame:
    ids = set(small_qrels["query"]) | set(small_qrels["candidate"])
    return corpus[corpus["nct_id"].isin(ids)].reset_index(drop=True)


@pytest.fixture(scope="module")
def systems(small_trials, embedder) -> dict:
    return {
        "random": RandomBaseline.build(small_trials, seed=0),
        "tfidf": TfidfBaseline.build(small_trials),
        "bm25": BM25Baseline.build(small_trials),
        "dense-concat": DenseConcatBaseline.build(small_trials, embedder=embedder),
        "simtrials": st.TrialIndex.build(small_trials, embedder=embedder, show_progress=False),
    }


def test_hand_qrels_are_real_judged_pairs(relevance, corpus):
    merged = HAND_QRELS.merge(relevance, on=["query", "candidate"], suffixes=("", "_real"))
    assert len(merged) == len(HAND_QRELS)
    assert (merged["grade"] == merged["grade_real"]).all()
    assert set(HAND_QRELS["candidate"]) <= set(corpus["nct_id"])


# ---------------------------------------------------------------------- metrics


def _dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / log2(i + 2) for i, g in enumerate(grades))


def test_metrics_match_hand_computation():
    per_query = st.evaluate(FixedScores(HAND_SCORES), HAND_QRELS, k=(1, 3), per_query=True)
    # NCT01809093 ranked grades 0, 2, 1; NCT02270242 ranked 1, 0, 1; NCT01811251 ranked 2, 1
    expected = {
        "NCT01809093": {
            "ndcg@1": 0.0,
            "ndcg@3": _dcg([0, 2, 1]) / _dcg([2, 1, 0]),  # 2.3928 / 3.6309 = 0.6590
            "p@1_g2": 0.0,
            "p@1": 0.0,
            "map": (1 / 2 + 2 / 3) / 2,  # relevant at ranks 2 and 3
            "mrr": 1 / 2,
            "recall@1": 0.0,
            "recall@3": 1.0,
            "p@3": 2 / 3,
            "p@3_g2": 1 / 3,
        },
        "NCT02270242": {
            "ndcg@1": 1.0,
            "ndcg@3": _dcg([1, 0, 1]) / _dcg([1, 1, 0]),  # 1.5 / 1.6309 = 0.9197
            "p@1_g2": 0.0,  # no grade-2 candidate: 0, not left out
            "p@1": 1.0,
            "map": (1 / 1 + 2 / 3) / 2,
            "mrr": 1.0,
            "recall@1": 1 / 2,
            "recall@3": 1.0,
            "p@3": 2 / 3,
            "p@3_g2": 0.0,
        },
        "NCT01811251": {
            "ndcg@1": 1.0,
            "ndcg@3": 1.0,
            "p@1_g2": 1.0,
            "p@1": 1.0,
            "map": 1.0,
            "mrr": 1.0,
            "recall@1": 1 / 2,
            "recall@3": 1.0,
            "p@3": 2 / 3,  # two candidates: the third place is empty
            "p@3_g2": 1 / 3,
        },
    }
    assert abs(expected["NCT01809093"]["ndcg@3"] - 0.659002) < 1e-6
    assert abs(expected["NCT02270242"]["ndcg@3"] - 0.919721) < 1e-6
    want = pd.DataFrame(expected).T.loc[sorted(expected)]
    assert list(per_query.index) == sorted(expected)
    assert list(per_query.columns) == metric_names("rerank", (1, 3))
    pd.testing.assert_frame_equal(
        per_query[want.columns], want, check_names=False, check_exact=False, atol=1e-9
    )
    means = st.evaluate(FixedScores(HAND_SCORES), HAND_QRELS, k=(1, 3)).set_index("metric")
    for metric in want.columns:
        assert means.loc[metric, "value"] == pytest.approx(want[metric].mean(), abs=1e-9)


def test_mean_table_has_a_ci_around_each_mean():
    res = st.evaluate(FixedScores(HAND_SCORES), HAND_QRELS, k=(1, 3))
    assert list(res.columns) == ["metric", "value", "ci_low", "ci_high"]
    assert (res["ci_low"] <= res["value"] + 1e-12).all()
    assert (res["value"] <= res["ci_high"] + 1e-12).all()
    assert res.attrs["n_queries"] == 3 and res.attrs["mode"] == "rerank"


def test_qrels_as_a_nested_dict_give_the_same_result():
    nested: dict[str, dict[str, int]] = {}
    for q, c, g in HAND_QRELS.itertuples(index=False):
        nested.setdefault(q, {})[c] = g
    a = st.evaluate(FixedScores(HAND_SCORES), HAND_QRELS, per_query=True)
    b = st.evaluate(FixedScores(HAND_SCORES), nested, per_query=True)
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------------- same candidates, no leakage


def test_every_system_ranks_exactly_the_same_candidates(systems, small_qrels):
    recorded = {name: Recording(s) for name, s in systems.items()}
    table = st.compare(recorded, small_qrels, reference="simtrials", n_boot=200)
    pool = judged_pool(small_qrels)
    expected = [(q, None, cands) for q, cands in pool.items()]
    for name, rec in recorded.items():
        assert rec.calls == expected, name
        for (_, _, cands), ranking in zip(rec.calls, rec.rankings):
            assert sorted(ranking) == cands, name  # every candidate ranked, nothing else
    assert all(cands == sorted(cands) for cands in pool.values())
    assert list(table.index) == list(systems)
    assert table.attrs["n_queries"] == small_qrels["query"].nunique()


def test_candidate_order_does_not_come_from_the_judgements(systems, small_qrels):
    by_grade = small_qrels.sort_values(["grade", "candidate"], ascending=[False, True])
    a, b = Recording(systems["simtrials"]), Recording(systems["simtrials"])
    st.evaluate(a, small_qrels, n_boot=50)
    st.evaluate(b, by_grade, n_boot=50)
    assert a.calls == b.calls


def test_shuffled_grades_give_the_same_rankings(systems, small_qrels):
    shuffled = small_qrels.copy()
    shuffled["grade"] = np.random.default_rng(3).permutation(shuffled["grade"].to_numpy())
    assert not (shuffled["grade"] == small_qrels["grade"]).all()
    for name, system in systems.items():
        real, fake = Recording(system), Recording(system)
        a = st.evaluate(real, small_qrels, per_query=True)
        b = st.evaluate(fake, shuffled, per_query=True)
        assert real.calls == fake.calls, name
        assert real.rankings == fake.rankings, name
        assert collect_run(system, judged_pool(small_qrels)) == collect_run(
            system, judged_pool(shuffled)
        )
        assert not a.equals(b)  # the grades did change the scores, not the rankings


def test_the_run_is_complete_before_any_grade_is_read(monkeypatch, systems, small_qrels):
    rec = Recording(systems["simtrials"])
    real_score_run = EVAL.score_run
    n_queries = small_qrels["query"].nunique()

    def checked_score_run(run, qrels, **kwargs):
        assert len(rec.calls) == n_queries  # every ranking made before the grades are used
        return real_score_run(run, qrels, **kwargs)

    monkeypatch.setattr(EVAL, "score_run", checked_score_run)
    st.evaluate(rec, small_qrels, n_boot=50)


# ---------------------------------------------------------------------- bootstrap and compare


def test_bootstrap_ci_contains_the_mean_and_is_deterministic():
    values = np.random.default_rng(0).random((42, 3))
    low, high = bootstrap_ci(values, n_boot=2000, seed=7)
    assert ((low <= values.mean(axis=0)) & (values.mean(axis=0) <= high)).all()
    low2, high2 = bootstrap_ci(values, n_boot=2000, seed=7)
    assert np.array_equal(low, low2) and np.array_equal(high, high2)
    low3, _ = bootstrap_ci(values, n_boot=2000, seed=8)
    assert not np.array_equal(low, low3)
    lo, hi = bootstrap_ci(np.full(10, 0.25), n_boot=100)
    assert lo == hi == 0.25


def test_evaluate_is_deterministic_with_a_seed(systems, small_qrels):
    a = st.evaluate(systems["simtrials"], small_qrels, seed=5)
    b = st.evaluate(systems["simtrials"], small_qrels, seed=5)
    pd.testing.assert_frame_equal(a, b)
    # the seed is what makes it so: another seed resamples other queries (other CIs), and the
    # means, which no resample touches, stay the same
    few = {"n_boot": 25}  # few resamples of 3 queries: their CI bounds depend on which
    c, d = (st.evaluate(systems["simtrials"], small_qrels, seed=x, **few) for x in (5, 6))
    assert (c["value"] == d["value"]).all()
    bounds = c[["ci_low", "ci_high"]].to_numpy() != d[["ci_low", "ci_high"]].to_numpy()
    assert bounds.any()


def test_compare_a_system_with_itself_is_exactly_zero(systems, small_qrels):
    index = systems["simtrials"]
    table = st.compare({"a": index, "b": index}, small_qrels, n_boot=500)
    assert table.attrs["reference"] == "a"
    diffs = table.xs("diff", axis=1, level="stat")
    assert (diffs.to_numpy() == 0.0).all()
    assert (table.xs("diff_low", axis=1, level="stat").to_numpy() == 0.0).all()
    assert (table.xs("diff_high", axis=1, level="stat").to_numpy() == 0.0).all()
    assert not table.xs("excludes_zero", axis=1, level="stat").to_numpy().any()
    values = table.xs("value", axis=1, level="stat")
    assert (values.loc["a"] == values.loc["b"]).all()


def test_compare_diff_is_the_paired_difference(systems, small_qrels):
    table = st.compare(systems, small_qrels, reference="simtrials", n_boot=500)
    per_query = st.compare(systems, small_qrels, reference="simtrials", per_query=True)
    for name in systems:
        want = (per_query.loc[name] - per_query.loc["simtrials"]).mean()
        got = table.loc[name].xs("diff", level="stat")
        assert np.allclose(got.to_numpy(dtype=float), want.to_numpy(), atol=1e-12)
        lo = table.loc[name].xs("diff_low", level="stat").to_numpy(dtype=float)
        hi = table.loc[name].xs("diff_high", level="stat").to_numpy(dtype=float)
        assert (lo <= want.to_numpy() + 1e-12).all() and (want.to_numpy() <= hi + 1e-12).all()


def test_retrieve_mode_ranks_the_corpus_and_reports_judged_at_k(systems, small_qrels):
    rec = Recording(systems["simtrials"])
    res = st.evaluate(rec, small_qrels, mode="retrieve", k=(1, 5), n_boot=100)
    assert all(k == 5 and cands is None for _, k, cands in rec.calls)
    res = res.set_index("metric")
    assert {"judged@1", "judged@5"} <= set(res.index)
    assert ((res["value"] >= 0) & (res["value"] <= 1)).all()
    assert res.attrs["mode"] == "retrieve"


# ---------------------------------------------------------------------- baselines


def test_baselines_follow_the_similar_contract(systems, small_qrels):
    query = small_qrels["query"].iloc[0]
    cands = sorted(small_qrels.loc[small_qrels["query"] == query, "candidate"])
    for name in ("random", "tfidf", "bm25", "dense-concat"):
        b = systems[name]
        hits = b.similar(query, k=5)
        assert list(hits.columns[:4]) == ["rank", "nct_id", "title", "score"], name
        assert list(hits["rank"]) == [1, 2, 3, 4, 5]
        assert query not in set(hits["nct_id"])
        assert hits["score"].is_monotonic_decreasing
        ranked = b.similar(query, k=None, candidates=cands[::-1])
        assert sorted(ranked["nct_id"]) == cands
        # the order does not depend on the order the candidates are given in
        assert (
            ranked["nct_id"].tolist()
            == b.similar(query, k=None, candidates=cands)["nct_id"].tolist()
        )
        with pytest.raises(TrialNotFoundError):
            b.similar("NCT99999999")
        with pytest.raises(TrialNotFoundError):
            b.similar(query, candidates=["NCT99999999"])
        with pytest.raises(ValueError, match="k must be"):
            b.similar(query, k=0)


def test_random_baseline_is_seeded(small_trials, small_qrels):
    query = small_qrels["query"].iloc[0]
    a = RandomBaseline.build(small_trials, seed=1).similar(query, k=None, candidates=None)
    b = RandomBaseline.build(small_trials, seed=1).similar(query, k=None, candidates=None)
    c = RandomBaseline.build(small_trials, seed=2).similar(query, k=None, candidates=None)
    assert a["nct_id"].tolist() == b["nct_id"].tolist()
    assert a["nct_id"].tolist() != c["nct_id"].tolist()


def test_dense_concat_embeds_the_whole_text(systems, small_trials, embedder):
    record = small_trials.iloc[0]
    dense = systems["dense-concat"]
    vec = embedder.encode([whole_text(record)])[0]
    other = small_trials["nct_id"].iloc[1]
    score = dense.similar(record["nct_id"], candidates=[other])["score"].iloc[0]
    want = float(embedder.encode([whole_text(small_trials.iloc[1])])[0] @ vec)
    assert score == pytest.approx(want, abs=1e-6)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "full"}, "unknown mode 'full'"),
        ({"k": 0}, "k must be >= 1"),
        ({"k": (5, -1)}, "k must be >= 1"),
        ({"k": True}, "whole number"),
        ({"k": 2.5}, "whole number"),
        ({"k": ()}, "at least one"),
        ({"metrics": ["ndcg@7"]}, "unknown metric"),
        ({"on_missing": "ignore"}, "on_missing"),
        ({"n_boot": 0}, "n_boot"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        st.evaluate(FixedScores(HAND_SCORES), HAND_QRELS, **kwargs)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda q: q.drop(columns="grade"), "lacks the column.*grade"),
        (lambda q: q.rename(columns={"candidate": "doc"}), "lacks the column.*candidate"),
        (lambda q: q.iloc[:0], "no rows"),
        (lambda q: q.assign(grade=[2, 1, 0, 1, 0, 1, 1, -1]), "whole number >= 0"),
        (lambda q: q.assign(grade=[2, 1, 0, 1, 0, 1, 1, "high"]), "whole number >= 0"),
        (lambda q: pd.concat([q, q.iloc[:1].assign(grade=0)]), "twice with different grades"),
    ],
)
def test_bad_qrels_are_clear_errors(change, message):
    with pytest.raises(ValueError, match=message):
        st.evaluate(FixedScores(HAND_SCORES), change(HAND_QRELS))


def test_a_query_the_system_lacks_is_an_error_or_skipped_with_a_warning(systems, small_qrels):
    index = systems["simtrials"]
    extra = pd.DataFrame(
        [("NCT01067391", "NCT00421083", 2), ("NCT01067391", "NCT00422578", 1)],
        columns=["query", "candidate", "grade"],
    )
    qrels = pd.concat([small_qrels, extra], ignore_index=True)
    with pytest.raises(ValueError, match="NCT01067391.*on_missing='skip'"):
        st.evaluate(index, qrels)
    with pytest.warns(UserWarning, match="left out 1 of 4 queries.*NCT01067391"):
        res = st.evaluate(index, qrels, on_missing="skip", per_query=True)
    assert "NCT01067391" not in res.index and len(res) == 3


def test_a_system_that_returns_non_candidates_is_an_error(small_qrels):
    class Cheater(FixedScores):
        def similar(self, query, k=10, *, candidates=None):
            return pd.DataFrame({"nct_id": ["NCT99999999"], "score": [1.0]})

    fake = Cheater({q: dict.fromkeys(c, 0.0) for q, c in judged_pool(small_qrels).items()})
    with pytest.raises(ValueError, match="not candidates"):
        st.evaluate(fake, small_qrels)


def test_compare_rejects_an_unknown_reference(systems, small_qrels):
    with pytest.raises(ValueError, match="reference 'bm25f'"):
        st.compare(systems, small_qrels, reference="bm25f")
    with pytest.raises(ValueError, match="non-empty"):
        st.compare({}, small_qrels)
