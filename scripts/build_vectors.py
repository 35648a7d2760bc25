#!/usr/bin/env python
"""Write ``data/vectors/vectors-<fingerprint>.npz``: the vectors a build of the bundled corpus
encodes (with the default Embedder: packaged all-MiniLM-L6-v2, torch float32, pooling
"first"), so that ``make demo`` on a clean clone builds without encoding.

    python scripts/build_vectors.py [--cache-dir .cache/simtrials]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import simtrials as st
from simtrials import embed as embed_mod
from simtrials.embed_vectors import save_vectors, seed_cache, vectors_path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", default=str(ROOT / ".cache" / "simtrials"))
    ap.add_argument("--out", default=str(ROOT / "data" / "vectors"))
    args = ap.parse_args(argv)
    trials = st.datasets.load_trials()
    emb = st.Embedder(cache_dir=args.cache_dir)
    seen: list[str] = []
    encode = emb.encode

    def recording(texts, **kwargs):
        seen.extend(t for t in texts if t)
        return encode(texts, **kwargs)

    emb.encode = recording  # type: ignore[method-assign]
    t = time.perf_counter()
    st.TrialIndex.build(trials, embedder=emb, show_progress=True)
    keys = sorted({embed_mod._text_key(emb.pooling + "\x00" + s) for s in seen})
    path = save_vectors(vectors_path(args.out, emb.fingerprint), emb, keys)
    print(
        f"{len(keys):,} vectors of {len(trials):,} trials -> {path} "
        f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.0f} s"
    )
    check = st.Embedder()
    check.dimension  # noqa: B018 - loads the model
    added, _ = seed_cache(check, path)
    exact = np.stack([emb._cache[k] for k in keys])
    shipped = np.stack([check._cache[k] for k in keys])
    cos = (exact * shipped).sum(axis=1)
    print(
        f"seeded {added:,}; cosine with the model's float32 vectors: min {cos.min():.6f}, "
        f"mean {cos.mean():.6f}"
    )


if __name__ == "__main__":
    main()
