"""Latency of adding one trial to an index of 100,000 trials.

The index is the default one (``HNSW32`` at this size) over the real corpus plus derived clones
(``common.py``); the trials added are real trials held out of it, one ``add`` call each:

- **cache primed** (the add beyond encoding): held-out real trials whose texts were encoded
  beforehand (``index.embedder.encode``), so ``add`` calls no model (checked: the Embedder's
  cache does not grow);
- **fresh text** (the add a user sees): other held-out real trials with ``" [cp 999]"`` after
  the title, each intervention and each condition item, so every text is new and encoded by
  ``add``;
- **vanilla encode**: just before each fresh add, plain ``SentenceTransformer.encode`` of that
  trial's three texts (``all``, ``interventions``, the joined conditions), same model: the floor
  of any add that needs new vectors.

    python benchmarks/bench_add.py --quick      # 100k trials, 20 + 20 adds
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import common
import numpy as np
import pandas as pd

import simtrials as st
from simtrials.embed import default_model_path
from simtrials.represent import condition_set, field_texts

NAME = "bench_add"
TARGET_MS = 50.0  # add beyond encode at 100k


def texts_of(trial: pd.DataFrame) -> list[str]:
    """The texts the default index encodes for these trials (fields and condition items)."""
    tx = field_texts(trial, ("all", "interventions"))
    items = [it for r in trial.to_dict("records") for it in condition_set(r)]
    return [t for t in tx["all"] + tx["interventions"] + items if t]


def vanilla_texts(trial: pd.DataFrame) -> list[str]:
    tx = field_texts(trial, ("all", "interventions"))
    cond = ["; ".join(condition_set(r)) for r in trial.to_dict("records")]
    return [t for t in tx["all"] + tx["interventions"] + cond if t]


def add_one(index: st.TrialIndex, trial: pd.DataFrame) -> tuple[float, int]:
    """(seconds, texts the model encoded) of one ``add``."""
    before = index.embedder.cache_size()
    t = time.perf_counter()
    index.add(trial)
    return time.perf_counter() - t, index.embedder.cache_size() - before


def summarize(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": common.pct(times, 50) * 1e3,
        "p95_ms": common.pct(times, 95) * 1e3,
        "mean_ms": float(np.mean(times)) * 1e3,
        "n": len(times),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="same as the default (100k)")
    parser.add_argument("--n", type=int, default=100_000, help="index size (trials)")
    parser.add_argument("--adds", type=int, default=20, help="adds of each kind")
    parser.add_argument("--threads", type=int, default=1, help="0: library defaults")
    parser.add_argument("--profile", action="store_true", help="cProfile 5 more primed adds")
    args = parser.parse_args(argv)
    m = args.adds
    if 2 * m + (5 if args.profile else 0) + 1 > common.HOLDOUT:
        parser.error(f"at most {common.HOLDOUT} held-out trials: lower --adds")

    threads = common.set_threads(args.threads)
    info = common.machine_info("cpu")
    print(common.machine_line(info) + f"; {threads}", flush=True)
    corpus = common.corpus()
    index = corpus.index(args.n, "auto")
    hold = corpus.holdout
    primed = hold.iloc[m : 2 * m].reset_index(drop=True)
    fresh = common.fresh_copies(hold.iloc[:m])
    extra = hold.iloc[2 * m : 2 * m + 5].reset_index(drop=True)

    index.embedder.encode(texts_of(primed) + texts_of(extra))
    from sentence_transformers import SentenceTransformer

    vanilla = SentenceTransformer(default_model_path(), device="cpu")
    vanilla.encode(vanilla_texts(hold.iloc[2 * m :]))  # warm-up
    index.add(hold.iloc[[-1]])  # warm-up add (the last held-out trial)

    t_primed, n_primed = [], []
    for i in range(m):
        s, k = add_one(index, primed.iloc[[i]])
        t_primed.append(s)
        n_primed.append(k)
    t_fresh, n_fresh, t_vanilla = [], [], []
    for i in range(m):
        trial = fresh.iloc[[i]]
        texts = vanilla_texts(trial)
        t = time.perf_counter()
        vanilla.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        t_vanilla.append(time.perf_counter() - t)
        s, k = add_one(index, trial)
        t_fresh.append(s)
        n_fresh.append(k)
    if any(n_primed):
        print(f"  note: {sum(n_primed)} texts were encoded during the 'cache primed' adds")

    profile = None
    if args.profile:
        _, profile = common.profile_top(
            lambda: [index.add(extra.iloc[[i]]) for i in range(len(extra))]
        )
        print(f"\ncProfile of {len(extra)} primed adds at {len(index):,} trials:\n{profile}")
    added = [*primed["nct_id"], *fresh["nct_id"], hold["nct_id"].iloc[-1]]
    added += list(extra["nct_id"]) if args.profile else []
    index.remove(added)  # the kept index is as it was (HNSW keeps tombstones)

    sp, sf, sv = summarize(t_primed), summarize(t_fresh), summarize(t_vanilla)
    rows = [
        ["add, cache primed (no encode)", f"{sp['p50_ms']:.1f}", f"{sp['p95_ms']:.1f}",
         f"{sp['mean_ms']:.1f}", f"{np.mean(n_primed):.1f}",
         f"{common.ratio(sp['p50_ms'], sv['p50_ms']):.2f}x"],
        ["add, fresh text (with encode)", f"{sf['p50_ms']:.1f}", f"{sf['p95_ms']:.1f}",
         f"{sf['mean_ms']:.1f}", f"{np.mean(n_fresh):.1f}",
         f"{common.ratio(sf['p50_ms'], sv['p50_ms']):.2f}x"],
        ["vanilla encode of the trial's 3 texts", f"{sv['p50_ms']:.1f}", f"{sv['p95_ms']:.1f}",
         f"{sv['mean_ms']:.1f}", "3", "1.00x"],
    ]  # fmt: skip
    text = (
        f"Add one trial at {args.n:,} trials ({index.index_type}), {m} adds each\n"
        + common.table(
            rows, ["operation", "p50 ms", "p95 ms", "mean ms", "texts encoded", "p50 / encode"]
        )
    )
    beyond = sf["p50_ms"] - sv["p50_ms"]
    summary = (
        f"add at {args.n:,}: {sp['p50_ms']:.1f} ms p50 with the cache primed = "
        f"{common.ratio(sp['p50_ms'], TARGET_MS):.2f}x the {TARGET_MS:g} ms target, "
        f"{common.ratio(sp['p50_ms'], sv['p50_ms']):.2f}x a vanilla encode of the trial; "
        f"with encode {sf['p50_ms']:.1f} ms = {common.ratio(sf['p50_ms'], sv['p50_ms']):.2f}x "
        f"the vanilla encode ({beyond:+.1f} ms beyond it)"
    )
    print("\n" + text, flush=True)
    common.write_results(
        NAME,
        {
            "machine": info,
            "params": {"n": args.n, "adds": m, "threads": threads, "quick": args.quick},
            "index": index.index_type,
            "primed": sp,
            "fresh": sf,
            "vanilla_encode": sv,
            "texts_encoded": {"primed": n_primed, "fresh": n_fresh},
            "table": text,
            "summary": summary,
            "profile": profile,
        },
    )
    print(f"SUMMARY {summary}", flush=True)
    return {"name": NAME, "table": text, "summary": summary}


if __name__ == "__main__":
    main(sys.argv[1:])
