"""The store and the candidate / hit stages on small hand-made vectors: no model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simtrials import schema
from simtrials.index.store import TrialStore
from simtrials.index.vectors import FieldVectors
from simtrials.search import candidates, hits, similarity
from simtrials.search.query import Query
from simtrials.search.settings import Scoring

DIM = 4


def _table(n: int, start: int = 0) -> pd.DataFrame:
    records = [
        {"nct_id": f"NCT{start + i:08d}", "title": f"trial {start + i}", "conditions": ["Stroke"]}
        for i in range(n)
    ]
    return schema.to_frame(records)


def _unit(rows: list[list[float]]) -> np.ndarray:
    v = np.asarray(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _store() -> TrialStore:
    store = TrialStore("auto", ef_search=16, nprobe=1)
    vecs = _unit([[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    encoded = {"all": (vecs, np.array([True, True, True, False]))}
    store.add(_table(4), encoded, ["stroke cells", "stroke cells aspirin", "cancer", ""], DIM)
    return store


def test_add_keeps_rows_ids_table_and_fields_in_step():
    store = _store()
    assert len(store) == 4 and store.factory == "Flat"
    assert store.row == {f"NCT{i:08d}": i for i in range(4)}
    vecs, has = store.field_vectors("all")
    assert has.tolist() == [True, True, True, False] and vecs.shape == (4, DIM)
    assert store.stored_vector("all", 3) is None


def test_remove_rows_renumbers_rows_but_keeps_ids():
    store = _store()
    store.remove_rows(np.array([1]))
    assert store.row == {"NCT00000000": 0, "NCT00000002": 1, "NCT00000003": 2}
    assert store.ids.tolist() == [0, 2, 3] and len(store.lexical) == 3
    assert store.rows_of_ids(np.array([2, 1, 3])).tolist() == [1, 2]


def test_a_failing_field_store_leaves_everything_as_it_was(monkeypatch):
    store = _store()

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(type(store.lexical), "add", fail)
    with pytest.raises(RuntimeError, match="boom"):
        store.add(_table(1, 10), {"all": (_unit([[0, 0, 0, 1]]), np.array([True]))}, ["x"], DIM)
    assert len(store) == 4 and len(store.vectors["all"]) == 3


def test_save_then_load_gives_the_same_store(tmp_path):
    store = _store()
    settings = {"index": {"spec": "auto", "factory": "Flat", "ef_search": 16, "nprobe": 1}}
    store.save(tmp_path / "i", settings)
    from simtrials import persist

    manifest, data = persist.read_manifest(tmp_path / "i")
    again = TrialStore.load(tmp_path, data, manifest, ["all"], DIM, settings["index"])
    assert again.row == store.row and again.next_id == store.next_id
    assert np.array_equal(again.field_vectors("all")[0], store.field_vectors("all")[0])


def test_candidates_exclude_the_query_and_apply_the_shortlist():
    store = _store()
    q = Query("NCT00000000", "NCT00000000", {}, {"all": store.stored_vector("all", 0)})
    kw = {"exact": True, "exact_threshold": 10, "weights": {"all": 1.0}}
    rows, k = candidates.select(store, q, None, None, None, **kw)
    assert rows.tolist() == [1, 2, 3] and k == 10
    rows, k = candidates.select(store, q, None, None, ["NCT00000002", "NCT00000000"], **kw)
    assert rows.tolist() == [2] and k == 2


def test_scores_once_then_hits_in_rank_order_with_ties_by_nct_id():
    store = _store()
    vec = store.stored_vector("all", 0)
    q = Query("q", None, None, {}, vec, store.lexical.query_vector("stroke cells"))
    rows = np.arange(4)
    parts = similarity.score_rows(store, q, rows, Scoring({"all": 1.0}, 0.0, {}))
    assert parts.per_field["all"][0] == pytest.approx(1.0)
    order = hits.top(parts, store.nct[rows], 3)
    table = hits.assemble(store, q, rows[order], parts.take(order))
    assert table["nct_id"].tolist() == ["NCT00000000", "NCT00000001", "NCT00000002"]
    assert table["rank"].tolist() == [1, 2, 3] and table.query == "q"
    assert list(table.columns[:5]) == ["rank", "nct_id", "title", "score", "condition_match"]
    # no condition or intervention items here: the score is the text score, scaled
    assert (table["score"] <= table["score_text"]).all()


def test_hnsw_removal_tombstones_but_other_faiss_errors_propagate():
    vecs = _unit([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    hnsw = FieldVectors(DIM, "HNSW32")
    hnsw.add(np.arange(3), vecs)
    hnsw.remove(np.array([1]))  # HNSW cannot delete: the id is hidden instead
    assert 1 not in hnsw.search(vecs[1], 3)[1][0].tolist()

    flat = FieldVectors(DIM, "Flat")
    flat.add(np.arange(3), vecs)

    class Broken:
        def remove_ids(self, ids):
            raise RuntimeError("Error in faiss: out of memory")

    flat._index = Broken()
    with pytest.raises(RuntimeError, match="out of memory"):
        flat.remove(np.array([1]))


def test_hits_have_the_columns_hit_columns_names_in_its_order():
    from simtrials.search.results import HIT_COLUMNS

    store = _store()
    q = Query("q", None, {"conditions": ["Stroke"]}, {}, store.stored_vector("all", 0),
              store.lexical.query_vector("stroke"))  # fmt: skip
    rows = np.arange(4)
    parts = similarity.score_rows(store, q, rows, Scoring({"all": 1.0}, 0.5, {}))
    table = hits.assemble(store, q, rows, parts)
    named = [c for c in table.columns if not c.startswith("score_")]
    assert named == list(HIT_COLUMNS)
    assert [c for c in table.columns if c.startswith("score_")] == [
        "score_condition", "score_intervention", "score_text", "score_all", "score_lexical",
    ]  # fmt: skip
    assert table["shared_conditions"].tolist() == [["Stroke"]] * 4
