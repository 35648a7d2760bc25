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
