"""Shipped vectors: seed an :class:`~simtrials.Embedder`'s cache from a file of known vectors.

The file (``data/vectors/*.npz``, written by ``scripts/build_vectors.py``) holds, for every text
a build of the bundled corpus encodes, the text's cache key and its vector, stored as int8 with
one scale per vector (a quarter of float32; cosine with the model's own vector >= 0.9999). It
records the model's fingerprint and pooling: an Embedder whose model, backend or pooling gives
other vectors is not seeded (a cache never mixes vectors of two models).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .embed import Embedder

__all__ = ["save_vectors", "seed_cache", "vectors_path"]

FORMAT = 1


def vectors_path(folder: str | os.PathLike, fingerprint: str) -> Path:
    """The file of ``fingerprint``'s vectors in ``folder``."""
    return Path(folder) / f"vectors-{fingerprint}.npz"


def save_vectors(path: str | os.PathLike, embedder: Embedder, keys: list[bytes]) -> Path:
    """Write the cached vectors of ``keys`` (cache keys of ``embedder``) to ``path``."""
    vecs = np.stack([embedder._cache[k] for k in keys]).astype(np.float32)
    scale = np.abs(vecs).max(axis=1, keepdims=True) / 127.0
    q = np.round(vecs / np.maximum(scale, 1e-12)).astype(np.int8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    with open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            format=np.array(FORMAT),
            model=np.array(embedder.name),
            fingerprint=np.array(embedder.fingerprint),
            pooling=np.array(embedder.pooling),
            keys=np.array(keys, dtype="S16"),
            vectors=q,
            scales=scale.astype(np.float32),
        )
    os.replace(tmp, path)
    return path


def seed_cache(embedder: Embedder, path: str | os.PathLike) -> tuple[int, str]:
    """Put the file's vectors into ``embedder``'s cache (never over a vector it has).

    Returns ``(vectors added, what happened in words)``; nothing is added when the file is
    missing or was written by a model, backend or pooling whose vectors differ.
    """
    path = Path(path)
    if not path.is_file():
        return 0, f"no shipped vectors at {path}"
    with np.load(path, allow_pickle=False) as data:
        if int(data["format"]) != FORMAT:
            return 0, f"{path.name}: format {int(data['format'])}, expected {FORMAT}"
        found = (str(data["fingerprint"]), str(data["pooling"]))
        wanted = (embedder.fingerprint, embedder.pooling)
        if found != wanted:
            return 0, f"{path.name} is of fingerprint/pooling {found}, the model's are {wanted}"
        keys, q, scales = data["keys"], data["vectors"], data["scales"]
    vecs = q.astype(np.float32) * scales
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    added = 0
    with embedder._lock:
        cache = embedder._cache
        for k, v in zip(keys, vecs):
            key = bytes(k).ljust(16, b"\x00")  # numpy's S16 drops trailing NULs
            if key not in cache:
                cache[key] = v
                added += 1
    return added, f"{added:,} of {len(keys):,} vectors from {path.name}"
