"""``TrialIndex.landscape``, ``Hits.landscape`` and ``simtrials.plot.landscape`` on real hits."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from simtrials import plot  # noqa: E402
from simtrials.landscape import summarize  # noqa: E402

DEMO = "NCT03735277"


def test_index_landscape_is_the_summary_of_its_hits(index):
    land = index.landscape(DEMO, k=40)
    hits = index.similar(DEMO, k=40)
    records = index.trials.set_index("nct_id").loc[list(hits["nct_id"])].reset_index()
    plain = summarize(records, query=DEMO)
    assert land.k == 40 and land.query == DEMO
    pd.testing.assert_frame_equal(land.status, plain.status)
    pd.testing.assert_frame_equal(land.enrollment, plain.enrollment)
    assert land.coverage.equals(plain.coverage)
    # a focus changes which trials are summarized
    focused = index.landscape(DEMO, k=40, focus="intervention")
    assert set(focused.trials["nct_id"]) == set(
        index.similar(DEMO, k=40, focus="intervention")["nct_id"]
    )


def test_free_text_and_hits_landscapes(index):
    text = "umbilical cord mesenchymal stem cells for acute ischemic stroke"
    land = index.landscape(text, k=20)
    assert land.k == 20
    hits = index.search(text, k=20)
    from_hits = hits.landscape(index.trials)
    pd.testing.assert_frame_equal(from_hits.status, land.status)
    bare = hits.landscape()  # only the hits' own columns: the rest is not available
    assert "not available" in bare.summary()


def test_plot_landscape_returns_a_figure_with_panels(index):
    fig = plot.landscape(index.landscape(DEMO, k=30))
    assert len(fig.axes) >= 6
    assert any("of 30" in ax.get_title(loc="left") for ax in fig.axes)
