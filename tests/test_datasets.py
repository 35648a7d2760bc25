"""The bundled judgements: every pool, its labels, and no pair judged twice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simtrials as st
from simtrials.datasets import data_dir


def test_all_pools_are_the_union_of_the_files_with_their_pool_labels():
    every = st.datasets.load_relevance()
    rerank = st.datasets.load_relevance(pools="rerank")
    retrieval = st.datasets.load_relevance(pools="retrieval")
    assert len(every) == len(rerank) + len(retrieval)
    assert set(rerank["pool"]) == {"rerank"}
    assert not retrieval["pool"].isin(["rerank"]).any()
    assert not every.duplicated(["query", "candidate"]).any()
    # every file on disk is read, row for row
    files = sorted(data_dir().joinpath("eval").glob("relevance-dev*.tsv"))
    assert sum(len(pd.read_csv(f, sep="\t")) for f in files) == len(every)
    # the retrieval pools judge the 42 re-rank queries, and the queries added later (each
    # pooled from the top 10s of every system, labelled "retrieval-...-new-queries"; later
    # rounds add the engine's new hits)
    assert set(rerank["query"]) <= set(retrieval["query"])
    newer = retrieval[~retrieval["query"].isin(rerank["query"])]
    pooled = newer.groupby("query")["pool"].agg(lambda p: p.str.endswith("new-queries").sum())
    assert (pooled >= 10).all() and len(pooled) >= 20
    assert (newer.groupby("query")["grade"].nunique() > 1).all()  # each can rank something
    assert set(every["grade"]) == {0, 1, 2}


def test_the_added_pairs_name_their_pool_and_keep_the_columns():
    added = pd.read_csv(data_dir() / "eval" / "relevance-dev-added.tsv", sep="\t")
    assert list(added.columns) == ["query", "candidate", "grade", "reason", "pool"]
    assert added["pool"].str.startswith("retrieval-").all()
    assert added["reason"].str.len().gt(0).all()


@pytest.mark.parametrize("bad", [{"split": "test"}, {"pools": "everything"}])
def test_unknown_split_or_pools_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="split|pools"):
        st.datasets.load_relevance(**bad)


def test_seed_embedder_fills_the_cache_with_the_bundled_trials_vectors(embedder, corpus):
    from simtrials.represent import whole_text

    seeded = st.Embedder()  # its own cache: the session embedder's stays as the model made it
    added = st.datasets.seed_embedder(seeded)
    assert added > 20_000 and seeded.cache_size() == added
    assert st.datasets.seed_embedder(seeded) == 0  # never over a vector it has

    def no_model(*_a, **_k):
        raise AssertionError("a bundled text was encoded by the model")

    seeded._encode_windows = no_model  # the bundled texts now come from the cache alone
    texts = [whole_text(corpus.iloc[i]) for i in (0, 100, 5000)]
    shipped = seeded.encode(texts)
    own = embedder.encode(texts)
    assert (np.sum(shipped * own, axis=1) > 0.999).all()
    assert st.datasets.seed_embedder(st.Embedder(pooling="mean")) == 0  # other vectors: none
