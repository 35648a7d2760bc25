"""simtrials.plot draws what it says, on a real index (conftest ``index``: ~300 real trials).

Every plot is rendered with the Agg backend and the drawn artists are checked: points in the
scatter collections, label texts, bar heights, tick labels, the heatmap's matrix.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402

from simtrials import plot  # noqa: E402

STROKE_CELL = "NCT03735277"  # Hemacord HPC cord blood in acute ischemic stroke


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def collections_by_label(ax) -> dict[str, np.ndarray]:
    return {c.get_label(): np.asarray(c.get_offsets()) for c in ax.collections}


def texts_with_gid(ax, gid: str) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def render(ax) -> None:
    ax.figure.canvas.draw()  # fails on anything Agg cannot draw


# ------------------------------------------------------------------------- areas


@pytest.mark.parametrize(
    ("conditions", "area"),
    [
        (["Acute Ischemic Stroke"], "stroke"),
        (["Prostate Cancer", "Erectile Dysfunction"], "oncology"),
        (["Erectile Dysfunction"], "urology"),
        (["Alzheimer Disease"], "neurology"),
        (["Type 2 Diabetes Mellitus"], "metabolic"),
        (["Hypertension"], "cardiovascular"),
        (["Healthy"], "other"),
        ([], "other"),
    ],
)
def test_therapeutic_area_takes_the_first_matching_group(conditions, area):
    assert plot.therapeutic_area(conditions) == area


# ------------------------------------------------------------------------- map


def test_neighbours_map_draws_every_trial_and_highlights_query_and_hits(index):
    ax = plot.neighbours_map(index, STROKE_CELL, k=8)
    render(ax)
    hits = index.similar(STROKE_CELL, k=8)
    drawn = collections_by_label(ax)
    areas = {label: pts for label, pts in drawn.items() if label not in ("hits", "query")}
    assert sum(len(p) for p in areas.values()) == len(index)
    assert len(drawn["hits"]) == 8
    assert len(drawn["query"]) == 1
    # the legend counts each area's trials, and the query trial is a stroke trial
    expected = pd.Series(
        [
            plot.therapeutic_area([*c, *m])
            for c, m in zip(index.trials["conditions"], index.trials["condition_mesh"])
        ]
    ).value_counts()
    for label, pts in areas.items():
        name, count = label.rsplit(" (", 1)
        assert int(count.rstrip(")")) == len(pts) == expected[name]
    # an indexed query sits on its own point of the map, among the stroke trials
    star = drawn["query"][0]
    assert np.isclose(areas[f"stroke ({expected['stroke']})"], star).all(axis=1).any()
    assert texts_with_gid(ax, "hit-label") == hits["nct_id"].tolist()
    assert texts_with_gid(ax, "query-label") == [STROKE_CELL]
    assert ax.get_xlabel().startswith("PC1") and ax.get_ylabel().startswith("PC2")


def test_neighbours_map_hits_are_drawn_at_their_trials_points(index):
    ax = plot.neighbours_map(index, STROKE_CELL, k=5)
    drawn = collections_by_label(ax)
    every = np.vstack([p for label, p in drawn.items() if label not in ("hits", "query")])
    for point in drawn["hits"]:
        assert np.isclose(every, point).all(axis=1).any()


def test_a_draft_copy_of_an_indexed_trial_is_placed_where_the_trial_is(index):
    trials = index.trials
    several = trials["conditions"].map(len).ge(2) & trials["keywords"].map(len).ge(1)
    record = trials[several].iloc[0].to_dict()  # several conditions and keywords
    nct = record["nct_id"]
    draft = {k: v for k, v in record.items() if k != "source"}
    draft["nct_id"] = None
    at_trial = collections_by_label(plot.neighbours_map(index, nct, k=3))["query"]
    at_draft = collections_by_label(plot.neighbours_map(index, draft, k=3))["query"]
    np.testing.assert_allclose(at_draft, at_trial, atol=1e-4)


def test_neighbours_map_of_a_draft_and_of_free_text(index):
    draft = {
        "title": "Umbilical cord blood cells for acute ischemic stroke",
        "conditions": ["Ischemic Stroke"],
        "interventions": ["Umbilical cord blood mononuclear cells"],
    }
    ax = plot.neighbours_map(index, draft, k=5, label_neighbours=False)
    drawn = collections_by_label(ax)
    assert len(drawn["hits"]) == 5 and len(drawn["query"]) == 1
    assert texts_with_gid(ax, "hit-label") == []
    assert texts_with_gid(ax, "query-label") == ["draft query"]
    assert np.isfinite(drawn["query"]).all()

    _, ax2 = plt.subplots()
    out = plot.neighbours_map(index, "stem cells after stroke", k=3, ax=ax2)
    assert out is ax2
    assert (
        texts_with_gid(out, "hit-label")
        == index.search("stem cells after stroke", k=3)["nct_id"].tolist()
    )


def test_neighbours_map_with_filters_highlights_only_allowed_trials(index):
    ax = plot.neighbours_map(index, STROKE_CELL, k=4, where={"overall_status": ["COMPLETED"]})
    labels = texts_with_gid(ax, "hit-label")
    status = index.trials.set_index("nct_id").loc[labels, "overall_status"]
    assert len(labels) == 4 and (status == "COMPLETED").all()


# ------------------------------------------------------------------------- field scores


def test_field_scores_draws_one_bar_per_hit_and_score_column(index):
    hits = index.similar(STROKE_CELL, k=6)
    ax = plot.field_scores(hits)
    render(ax)
    columns = plot.score_columns(hits)
    assert columns[:2] == ["score_condition", "score_intervention"]
    assert columns[-1] == "score_lexical" and len(columns) == len(index.fields) + 3
    assert len(bars(ax)) == len(columns)
    for container, col in zip(bars(ax), columns):
        heights = [p.get_height() for p in container.patches]
        assert heights == pytest.approx(np.nan_to_num(hits[col].to_numpy(float)).tolist())
        assert container.get_label() == col.removeprefix("score_")
    assert [t.get_text() for t in ax.get_xticklabels()] == hits["nct_id"].tolist()
    fused = [line for line in ax.lines if line.get_label() == "fused score"]
    assert fused[0].get_ydata() == pytest.approx(hits["score"].to_numpy(float))
    assert STROKE_CELL in ax.get_title()


def test_field_scores_rejects_a_table_without_scores():
    with pytest.raises(ValueError, match="nct_id"):
        plot.field_scores(pd.DataFrame({"score": [0.5]}))
    with pytest.raises(ValueError, match="score_"):
        plot.field_scores(pd.DataFrame({"nct_id": ["NCT03735277"], "score": [0.5]}))


# ------------------------------------------------------------------------- heatmap


def test_similarity_heatmap_shows_the_pairwise_fused_scores(index):
    ids = [STROKE_CELL, *index.similar(STROKE_CELL, k=5)["nct_id"]]
    ax = plot.similarity_heatmap(index, ids)
    render(ax)
    image = ax.images[0].get_array()
    assert image.shape == (6, 6)
    assert image.mask.diagonal().all() and not image.mask[~np.eye(6, dtype=bool)].any()
    row = index.similar(ids[2], k=None, candidates=ids).set_index("nct_id")["score"]
    for j, nct in enumerate(ids):
        if j != 2:
            assert image[2, j] == pytest.approx(float(row[nct]))
    assert [t.get_text() for t in ax.get_xticklabels()] == ids
    assert [t.get_text() for t in ax.get_yticklabels()] == ids
    assert len(ax.texts) == 6 * 5  # every off-diagonal cell annotated
    assert ax.get_xlabel() == "candidate" and ax.get_ylabel() == "query"


def test_similarity_heatmap_needs_two_distinct_indexed_trials(index):
    with pytest.raises(ValueError, match="at least 2"):
        plot.similarity_heatmap(index, [STROKE_CELL])
    with pytest.raises(ValueError, match="repeated: NCT03735277"):
        plot.similarity_heatmap(index, [STROKE_CELL, STROKE_CELL])
    with pytest.raises(KeyError, match="NCT99999999"):
        plot.similarity_heatmap(index, [STROKE_CELL, "NCT99999999"])


# ------------------------------------------------------------------------- metrics

TABLE = pd.DataFrame(
    {
        "system": ["simtrials"] * 3 + ["bm25"] * 3,
        "metric": ["ndcg@5", "ndcg@10", "p@1"] * 2,
        "value": [0.83, 0.90, 0.55, 0.72, 0.83, 0.60],
        "ci_low": [0.78, 0.86, 0.40, 0.66, 0.79, 0.45],
        "ci_high": [0.88, 0.93, 0.70, 0.78, 0.87, 0.74],
    }
)


def bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def test_metrics_draws_bars_with_confidence_intervals():
    ax = plot.metrics(TABLE)
    render(ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ndcg@5", "ndcg@10", "p@1"]
    assert [c.get_label() for c in bars(ax)] == ["simtrials", "bm25"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["simtrials", "bm25"]
    for container, (_, rows) in zip(bars(ax), TABLE.groupby("system", sort=False)):
        assert [p.get_height() for p in container.patches] == pytest.approx(rows["value"].tolist())
        segments = container.errorbar.lines[2][0].get_segments()
        assert [s[0][1] for s in segments] == pytest.approx(rows["ci_low"].tolist())
        assert [s[1][1] for s in segments] == pytest.approx(rows["ci_high"].tolist())


def test_metrics_of_one_system_and_a_chosen_order():
    one = TABLE[TABLE["system"] == "bm25"].drop(columns="system")
    ax = plot.metrics(one, metric_order=["p@1", "ndcg@5"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p@1", "ndcg@5"]
    assert [p.get_height() for p in bars(ax)[0].patches] == pytest.approx([0.60, 0.72])
    with pytest.raises(ValueError, match="not in the table: map"):
        plot.metrics(one, metric_order=["map"])
    with pytest.raises(ValueError, match="lacks the column"):
        plot.metrics(pd.DataFrame({"score": [1.0]}))


def test_metrics_without_ci_bounds_draws_no_error_bar():
    table = TABLE.assign(ci_low=np.nan, ci_high=np.nan)
    ax = plot.metrics(table)
    assert len(bars(ax)) == 2
    for container in bars(ax):
        segments = container.errorbar.lines[2][0].get_segments()
        assert all(s[0][1] == pytest.approx(s[1][1]) for s in segments)


# ------------------------------------------------------------------------- optional extra


@pytest.mark.parametrize(
    "call",
    [
        lambda index: plot.metrics(TABLE),
        lambda index: plot.field_scores(index.similar(STROKE_CELL, k=3)),
        lambda index: plot.similarity_heatmap(index, [STROKE_CELL, "NCT02460484"]),
        lambda index: plot.neighbours_map(index, STROKE_CELL),
    ],
    ids=["metrics", "field_scores", "similarity_heatmap", "neighbours_map"],
)
def test_missing_matplotlib_names_the_extra(monkeypatch, index, call):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'simtrials\[plot\]'"):
        call(index)


def test_metrics_reads_the_wide_table_of_compare():
    wide = TABLE.pivot(index="system", columns="metric", values=["value", "ci_low", "ci_high"])
    wide = wide.swaplevel(axis=1).sort_index(axis=1)
    wide.columns.names = ["metric", "stat"]
    wide = wide.loc[["simtrials", "bm25"], ["ndcg@5", "ndcg@10", "p@1"]]
    ax = plot.metrics(wide)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ndcg@5", "ndcg@10", "p@1"]
    assert [c.get_label() for c in bars(ax)] == ["simtrials", "bm25"]
    simtrials_bars = [p.get_height() for p in bars(ax)[0].patches]
    assert simtrials_bars == pytest.approx([0.83, 0.90, 0.55])
