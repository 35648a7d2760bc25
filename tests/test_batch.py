"""Batch and low-level queries give exactly the hits of ``similar`` (real trials)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simtrials as st

SCORES = ["score", "score_condition", "score_intervention", "score_text", "score_lexical"]
REASONS = ["condition_match", "intervention_match", "shared_conditions", "shared_interventions"]


def _sample(index: st.TrialIndex, n: int = 25) -> list[str]:
    ids = index.trials["nct_id"].to_numpy()
    return [str(x) for x in np.random.default_rng(11).choice(ids, n, replace=False)]


def _same_hits(index: st.TrialIndex, many: pd.DataFrame, queries: list[str], **kw) -> None:
    for q in queries:
        want = pd.DataFrame(index.similar(q, **kw))
        got = many[many["query"] == q].reset_index(drop=True)
        assert got["nct_id"].tolist() == want["nct_id"].tolist(), q
        assert got["rank"].tolist() == want["rank"].tolist()
        # one query's products run one vector at a time, a block's as one matrix product:
        # float32 sums in another order (the condition ramp magnifies a cosine's 1e-7 by 3.3)
        for c in SCORES:
            np.testing.assert_allclose(got[c], want[c], atol=1e-5, err_msg=f"{q} {c}")
        for c in REASONS:
            assert got[c].astype(str).tolist() == want[c].astype(str).tolist(), (q, c)


def test_similar_many_gives_the_hits_of_similar_for_each_query(index):
    queries = _sample(index)
    many = index.similar_many(queries, k=10, show_progress=False)
    assert list(many.columns[:6]) == ["query", "rank", "nct_id", "score", *REASONS[:2]]
    assert set(many["query"]) == set(queries)
    _same_hits(index, many, queries, k=10)


def test_similar_many_with_filters_and_focus(index):
    queries = _sample(index, 12)
    where = {"phases": ["PHASE2", "PHASE3"]}
    many = index.similar_many(queries, k=5, where=where, focus="condition", show_progress=False)
    _same_hits(index, many, queries, k=5, where=where, focus="condition")


def test_similar_many_of_every_trial_and_to_parquet(index, tmp_path):
    many = index.similar_many(k=3, show_progress=False)
    assert set(many["query"]) == set(index.trials["nct_id"])
    assert (many["query"] != many["nct_id"]).all()  # a trial is never its own hit
    path = index.similar_many(k=3, show_progress=False, path=tmp_path / "related.parquet")
    back = pd.read_parquet(path)
    assert back[["query", "rank", "nct_id"]].equals(many[["query", "rank", "nct_id"]])
    np.testing.assert_allclose(back["score"], many["score"])


@pytest.mark.parametrize("focus", [None, "intervention"])
def test_blocks_made_in_a_second_thread_give_the_same_table(index, monkeypatch, focus):
    """With several blocks, the next block's text scores are made in a second thread while
    the current one is ranked (defaults.BATCH_OVERLAP): the table is the one made in turn,
    and each query's hits are those of similar()."""
    from simtrials import defaults
    from simtrials.search import batch, parallel

    queries = _sample(index, 30)
    monkeypatch.setattr(batch, "BLOCK_CELLS", 4 * len(index))  # blocks of 4 queries
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel, "blas_threads", lambda: 1)
    threads = []
    real = batch._block_text
    monkeypatch.setattr(
        batch, "_block_text",
        lambda *a: threads.append(__import__("threading").current_thread().name) or real(*a),
    )  # fmt: skip
    overlapped = index.similar_many(queries, k=10, focus=focus, show_progress=False)
    assert sum(t.startswith("simtrials-block") for t in threads) == 7  # blocks 2..8
    monkeypatch.setattr(defaults, "BATCH_OVERLAP", False)
    threads.clear()
    in_turn = index.similar_many(queries, k=10, focus=focus, show_progress=False)
    assert not any(t.startswith("simtrials-block") for t in threads)
    pd.testing.assert_frame_equal(overlapped, in_turn)
    monkeypatch.setattr(defaults, "BATCH_OVERLAP", True)
    monkeypatch.setattr(parallel, "blas_threads", lambda: 2)  # BLAS already uses the cores
    index.similar_many(queries[:9], k=10, focus=focus, show_progress=False)
    assert not any(t.startswith("simtrials-block") for t in threads)
    _same_hits(index, overlapped, queries[::7], k=10, focus=focus)


def test_similar_many_rejects_unknown_trials(index):
    with pytest.raises(st.errors.TrialNotFoundError):
        index.similar_many(["NCT99999999"], show_progress=False)


def test_similar_ids_is_the_ranking_of_similar(index):
    for q in _sample(index, 10):
        ranked = index.similar_ids(q, k=10)
        hits = index.similar(q, k=10)
        assert ranked.nct_ids.tolist() == hits["nct_id"].tolist()
        np.testing.assert_allclose(ranked.scores, hits["score"], atol=1e-7)
    q = _sample(index, 1)[0]
    ranked = index.similar_ids(q, k=4, focus="intervention", where={"phases": ["PHASE2"]})
    hits = index.similar(q, k=4, focus="intervention", where={"phases": ["PHASE2"]})
    assert ranked.nct_ids.tolist() == hits["nct_id"].tolist()
    assert ranked.to_frame().columns.tolist() == ["rank", "nct_ids", "scores"]


def index_weights(focus):
    from simtrials.search.relatedness import resolve_weights

    return resolve_weights(focus)


@pytest.mark.parametrize("focus", [None, "condition", "intervention"])
def test_bounds_skip_only_trials_that_cannot_be_hits(index, monkeypatch, focus):
    """The text-score bounds (similarity.score_top, and pairs.top_block for similar_many)
    leave the hits and scores exactly as scoring every trial in full gives them."""
    from simtrials.search import relatedness, similarity

    queries, ks = _sample(index, 20), [1, 10, 40]
    pruned = {(q, k): index.similar_ids(q, k=k, focus=focus) for q in queries for k in ks}
    many = index.similar_many(queries, k=10, focus=focus, show_progress=False)
    rows, q = np.arange(len(index)), index.query(queries[0])
    kept, _ = similarity.score_top(index.store, q, rows, 10, index.scoring, index_weights(focus))
    if focus is None:  # the default: the parts are a small share, most trials are skipped
        assert 10 <= len(kept) < len(rows) // 2
    kept, _ = similarity.score_top(index.store, q, rows, 10, index.scoring, {"text": 0, "both": 1})
    assert len(kept) == len(rows)  # no text share: nothing can be skipped
    monkeypatch.setattr(relatedness, "bounds", lambda weights: None)  # score every trial
    for (q, k), got in pruned.items():
        want = index.similar_ids(q, k=k, focus=focus)
        assert got.nct_ids.tolist() == want.nct_ids.tolist(), (q, k)
        np.testing.assert_allclose(got.scores, want.scores, atol=1e-6)
    full = index.similar_many(queries, k=10, focus=focus, show_progress=False)
    assert many[["query", "nct_id"]].equals(full[["query", "nct_id"]])
    # unbounded, each query is scored alone (one vector at a time; see _same_hits)
    np.testing.assert_allclose(many[SCORES], full[SCORES], atol=1e-5)


def test_a_changed_index_drops_its_derived_arrays(index, subset):
    idx = st.TrialIndex.build(subset.iloc[:40], embedder=index.embedder, show_progress=False)
    q = str(subset["nct_id"].iloc[0])
    before = idx.similar_ids(q, k=5)
    assert idx.store.derived  # made by the query
    gone = str(before.nct_ids[0])
    idx.remove(gone)
    assert not idx.store.derived
    after = idx.similar_ids(q, k=5)
    assert gone not in after.nct_ids.tolist()
    assert after.nct_ids.tolist() == idx.similar(q, k=5)["nct_id"].tolist()


def test_cli_related_writes_the_hits_of_similar(index, tmp_path):
    from simtrials.cli.main import main

    saved = index.save(tmp_path / "idx")
    queries = _sample(index, 4)
    ids = tmp_path / "ids.txt"
    ids.write_text("# my trials\n" + "\n".join(queries) + "\n\n", encoding="utf-8")
    out = tmp_path / "related.parquet"
    argv = [
        "related", str(saved), "--ids", str(ids), "-k", "3", "--out", str(out), "--no-progress"
    ]  # fmt: skip
    assert main(argv) == 0
    table = pd.read_parquet(out)
    assert table["query"].unique().tolist() == queries
    for q in queries:
        want = index.similar(q, k=3)["nct_id"].tolist()
        assert table.loc[table["query"] == q, "nct_id"].tolist() == want
    csv = tmp_path / "related.csv"
    assert main([*argv[:-3], "--out", str(csv), "--no-progress", "--workers", "2"]) == 0
    assert pd.read_csv(csv)["nct_id"].tolist() == table["nct_id"].tolist()


def test_best_match_of_some_trials_is_that_of_every_trial(index, monkeypatch):
    """arrays.pairs_best_match (the items of a few trials read one by one, or past
    GATHER_SHARE the product with every item) gives set_best_match's cosines."""
    from simtrials.search import arrays

    store = index.store
    indptr, _ = arrays.item_layout(store, "conditions")
    with_items = np.flatnonzero(np.diff(indptr) > 0)
    q = index.query(_sample(index, 1)[0]).condition_items
    every = arrays.set_best_match(store, "conditions", [q])[0]
    rng = np.random.default_rng(3)
    for n in (1, 17, len(with_items)):
        rows = np.sort(rng.choice(with_items, n, replace=False))
        at = np.zeros(len(rows), np.int64)  # every pair's query: q
        np.testing.assert_allclose(arrays.pairs_best_match(store, "conditions", [q], at, rows),
                                   every[rows], atol=1e-6)  # fmt: skip
        monkeypatch.setattr(arrays, "GATHER_SHARE", 10**9)  # always the whole product
        np.testing.assert_array_equal(arrays.pairs_best_match(store, "conditions", [q], at, rows),
                                      every[rows])  # fmt: skip
        monkeypatch.undo()


def test_a_stored_record_is_the_table_row(index):
    """arrays.record (one array per column) gives what ``table.iloc[row].to_dict()`` gives:
    the same keys, values and types (None where a value is missing, NaT for a date)."""
    from simtrials.search import arrays

    store = index.store
    table = store.table
    kinds = {c: table[c].dtype.kind for c in table.columns}
    assert {"M", "O"} <= set(kinds.values())  # dates and lists among the columns read
    for row in range(len(table)):
        want, got = table.iloc[row].to_dict(), arrays.record(store, row)
        assert list(got) == list(want)
        for c, w in want.items():
            g = got[c]
            assert type(g) is type(w), (row, c, w, g)
            if isinstance(w, list) or not pd.isna(w):
                assert g == w, (row, c)


def test_a_query_trial_reads_the_same_vectors_from_stores_and_arrays(index, subset):
    """An indexed trial as a query: its vectors and TF-IDF row read from the stores (before
    any query has made the per-index arrays) are those read from the arrays."""
    idx = st.TrialIndex.build(subset.iloc[:40], embedder=index.embedder, show_progress=False)
    ids = [str(x) for x in subset["nct_id"].iloc[:40]]
    cold = [idx.query(q) for q in ids]
    assert not idx.store.derived.get(("field", "all"))
    idx.similar_many(ids, k=3, show_progress=False)  # makes the arrays
    assert ("field", "all") in idx.store.derived and ("items", "conditions") in idx.store.derived
    for q, before in zip(ids, cold, strict=True):
        after = idx.query(q)
        assert before.vectors.keys() == after.vectors.keys()
        for f, v in before.vectors.items():
            np.testing.assert_array_equal(v, after.vectors[f])
        np.testing.assert_array_equal(before.lexical.toarray(), after.lexical.toarray())


def test_largest_finds_the_m_largest_values():
    from simtrials.search.similarity import _largest

    rng = np.random.default_rng(5)
    for n, m in [(5, 5), (40, 3), (1000, 40), (26000, 40), (26000, 1)]:
        values = rng.random(n).astype(np.float32)
        got = _largest(values, m)
        assert len(got) == m and len(set(got.tolist())) == m
        assert set(got.tolist()) == set(np.argsort(-values)[:m].tolist())
    ties = np.array([0.5] * 300 + [0.9] * 5 + [0.1] * 100, dtype=np.float32)
    got = _largest(ties, 8)  # the five 0.9s, then any three of the 0.5s
    np.testing.assert_array_equal(np.sort(ties[got]), np.sort(ties)[-8:])


def test_forked_workers_give_the_same_table(index, monkeypatch, tmp_path):
    """similar_many(workers=2) ranks blocks in forked processes: the same table, in the same
    order, as ranking them here; a bad workers value is refused."""
    from simtrials.search import batch, parallel

    queries = _sample(index, 30)
    monkeypatch.setattr(batch, "BLOCK_CELLS", 4 * len(index))  # 8 blocks of 4 queries
    forked, here_ranked = [], []  # warm= of each forked call; blocks ranked in this process
    real, real_frame = parallel.forked, batch._block_frame
    monkeypatch.setattr(
        parallel, "forked", lambda *a, **kw: forked.append(kw["warm"]) or real(*a, **kw)
    )
    monkeypatch.setattr(batch, "_block_frame", lambda *a: here_ranked.append(1) or real_frame(*a))
    here = index.similar_many(queries, k=5, show_progress=False)
    assert len(here_ranked) == 8
    here_ranked.clear()
    two = index.similar_many(queries, k=5, show_progress=False, workers=2)
    assert forked == [True] and here_ranked == []  # every block ranked by the processes
    pd.testing.assert_frame_equal(two, here)
    index.store.derived.pop(batch._WARM)  # as if no block had been ranked here yet
    cold = index.similar_many(queries, k=5, show_progress=False, workers=2)
    assert forked == [True, False] and here_ranked == [1]  # the first block here, for the arrays
    pd.testing.assert_frame_equal(cold, here)
    out = index.similar_many(
        queries, k=5, show_progress=False, workers=2, path=tmp_path / "r.parquet"
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(out)[["query", "nct_id"]], here[["query", "nct_id"]]
    )
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="workers"):
            index.similar_many(queries[:2], show_progress=False, workers=bad)
