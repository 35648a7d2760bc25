"""Embedder: offline default model, caching, long texts, the pipelined encode path."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

import simtrials as st
from simtrials.represent import field_texts


@pytest.fixture(scope="module")
def texts(subset) -> list[str]:
    """Whole texts of 24 real trials (some longer than the model's 256-token window)."""
    return field_texts(subset.iloc[:24], ["all"])["all"]


def test_default_model_loads_offline_and_gives_unit_vectors(embedder, texts):
    vecs = embedder.encode(texts[:4])
    assert vecs.shape == (4, embedder.dimension) == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(embedder.fingerprint) == 16


@pytest.mark.parametrize("name", ["sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"])
def test_the_default_model_by_its_hub_name_loads_the_packaged_weights(embedder, texts, name):
    # the name repr() and saved indexes show must load here too, where the hub is unreachable
    named = st.Embedder(name)
    assert named.model is None and named.name == embedder.name
    np.testing.assert_allclose(named.encode(texts[:2]), embedder.encode(texts[:2]), atol=1e-5)
    assert named.fingerprint == embedder.fingerprint


def test_repeated_and_cached_texts_are_encoded_once(embedder, texts, monkeypatch):
    embedder.encode(texts[:3])
    calls = []
    original = embedder._encode_windows

    def counting(batch, **kw):
        calls.append(list(batch))
        return original(batch, **kw)

    monkeypatch.setattr(embedder, "_encode_windows", counting)
    # a text this session has not encoded (other tests share the session embedder's cache)
    unseen = f"{texts[5]} [{uuid.uuid4().hex}]"
    vecs = embedder.encode([texts[0], texts[0], texts[1], "", unseen])
    assert calls == [[unseen]]  # only the text never seen before
    np.testing.assert_array_equal(vecs[0], vecs[1])
    assert not vecs[3].any()  # empty text -> zero vector


def test_pipelined_encode_equals_sentence_transformers_encode(texts):
    plain = st.Embedder(pipeline=False, batch_size=8)
    piped = st.Embedder(pipeline=True, batch_size=8)
    np.testing.assert_allclose(piped.encode(texts), plain.encode(texts), atol=1e-5)


def test_mean_pooling_reads_every_window_of_a_long_text(embedder, texts):
    longest = max(texts, key=len)
    mean = st.Embedder(pooling="mean")
    assert len(mean._windows(longest)) >= 2
    first = embedder.encode([longest])[0]
    pooled = mean.encode([longest])[0]
    assert np.linalg.norm(pooled) == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(first, pooled, atol=1e-3)
    with pytest.raises(ValueError, match="pooling"):
        st.Embedder(pooling="max")


def test_disk_cache_is_append_only_and_reused(tmp_path, texts):
    first = st.Embedder(cache_dir=tmp_path)
    a = first.encode(texts[:5])
    first.encode(texts[5:8])
    shards = sorted(tmp_path.rglob("shard-*.npz"))
    assert len(shards) == 2 and not list(tmp_path.rglob("*.tmp.npz"))
    second = st.Embedder(cache_dir=tmp_path)
    second._load()
    assert second.cache_size() == 8
    np.testing.assert_array_equal(second.encode(texts[:5]), a)
    shards[0].write_bytes(b"broken")  # a damaged shard is ignored, not fatal
    third = st.Embedder(cache_dir=tmp_path)
    third._load()
    assert third.cache_size() == 3


def test_unknown_model_path_is_a_clear_error(tmp_path):
    with pytest.raises(OSError, match="cannot load the sentence-transformers model"):
        st.Embedder(tmp_path / "no-such-model").encode(["x"])


def test_long_texts_give_the_models_own_first_window_vector(embedder, corpus):
    """Cutting long texts before tokenizing changes nothing: same vector as the raw model's."""
    longest = corpus["detailed_description"].dropna().map(len).sort_values().index[-3:]
    texts = [str(corpus.loc[i, "detailed_description"]) for i in longest]
    assert min(map(len, texts)) > 24 * embedder.max_tokens
    raw = embedder._load().encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(st.Embedder().encode(texts), raw, atol=1e-6)


# ---------------------------------------------------------------------- ONNX backends


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.parametrize("backend, bound", [("onnx", 0.9999), ("onnx-int8", 0.98)])
def test_onnx_backend_vectors_agree_with_float32_torch(embedder, texts, onnx_dir, backend, bound):
    """Real whole-trial texts (some past the 256-token window) and short real items."""
    items = ["Acute Ischemic Stroke", "Hemacord", "Type 2 Diabetes Mellitus", "placebo"]
    sample = texts + items
    ref = embedder.encode(sample)
    vecs = st.Embedder(backend=backend, cache_dir=onnx_dir).encode(sample)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = (ref * vecs).sum(axis=1)
    assert cos.min() > bound, (backend, cos.min())


def test_each_backend_has_its_own_fingerprint_and_disk_cache(embedder, onnx_dir):
    embs = {b: st.Embedder(backend=b, cache_dir=onnx_dir) for b in ("onnx", "onnx-int8")}
    prints = {"torch": embedder.fingerprint} | {b: e.fingerprint for b, e in embs.items()}
    assert len(set(prints.values())) == 3, prints
    torch_cached = st.Embedder(cache_dir=onnx_dir)
    assert len({torch_cached._cache_folder(), *(e._cache_folder() for e in embs.values())}) == 3


def test_onnx_export_is_made_once_and_reused(onnx_dir, monkeypatch):
    from simtrials import embed_onnx

    st.Embedder(backend="onnx-int8", cache_dir=onnx_dir).encode(["warm"])  # exported (or already)

    def no_export(*args, **kwargs):
        raise AssertionError("the model was exported again")

    monkeypatch.setattr(embed_onnx, "_export_fp32", no_export)
    vec = st.Embedder(backend="onnx-int8", cache_dir=onnx_dir).encode(["Acute Ischemic Stroke"])
    assert vec.shape == (1, 384)


def test_missing_onnxruntime_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'simtrials\[onnx\]'"):
        st.Embedder(backend="onnx", cache_dir=tmp_path).encode(["x"])


def test_unknown_backend_or_gpu_onnx_is_a_value_error():
    with pytest.raises(ValueError, match="backend must be one of 'torch', 'onnx', 'onnx-int8'"):
        st.Embedder(backend="openvino")
    with pytest.raises(ValueError, match="float32 on the CPU"):
        st.Embedder(backend="onnx-int8", device="cuda")


# ---------------------------------------------------------------------- shipped vectors


def test_shipped_vectors_seed_only_the_model_that_wrote_them(embedder, subset):
    from pathlib import Path

    from simtrials.embed_vectors import seed_cache, vectors_path

    path = vectors_path(
        Path(__file__).resolve().parents[1] / "data" / "vectors", embedder.fingerprint
    )
    assert path.is_file(), (
        "data/vectors has no vectors of the default model: scripts/build_vectors.py"
    )
    texts = field_texts(subset.iloc[:5], ["all"])["all"]
    fresh = st.Embedder()
    fresh.dimension  # noqa: B018 - loads the model
    added, what = seed_cache(fresh, path)
    assert added > 20_000, what
    calls = []
    fresh._encode_windows = lambda t, **kw: calls.append(t)  # the seeded texts need no model
    seeded = fresh.encode(texts)
    assert calls == []
    cos = (seeded * embedder.encode(texts)).sum(axis=1)
    assert cos.min() > 0.9999
    other = st.Embedder(pooling="mean")
    other.dimension  # noqa: B018
    assert seed_cache(other, path)[0] == 0  # other vectors: not seeded
