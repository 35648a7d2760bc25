"""Draw new dev queries and pool the pairs to grade: every system's top 10 over the corpus.

    python scripts/grading/pool_new_queries.py OUT.tsv [--n 20] [--seed 20261207]

More dev queries make the dev figures less noisy (issue 12). The queries are drawn as the
shared ones were (``data/eval/README.md``): at random, stratified by source file, from the
bundled trials that have a brief summary, conditions and interventions, leaving out the trials
that already are dev queries. For each, the top 10 over the whole bundled corpus of the
default :class:`~simtrials.TrialIndex` and of the TF-IDF, BM25 and dense-concat baselines are
pooled; ``OUT.tsv`` (``query, candidate``) lists the pooled pairs that no file judges yet,
ready for ``make_packets.py``. Nothing about which system found a pair, or where it ranked,
is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from pairs import write_unjudged  # scripts/grading/pairs.py, beside this script

import simtrials as st
from simtrials.baselines import BM25Baseline, DenseConcatBaseline, TfidfBaseline

ROOT = Path(__file__).resolve().parents[2]


def draw(trials: pd.DataFrame, taken: set[str], n: int, seed: int) -> list[str]:
    """``n`` NCT IDs drawn at random, stratified by source file (largest remainders)."""
    ok = (
        trials["brief_summary"].fillna("").str.len().gt(0)
        & trials["conditions"].map(len).gt(0)
        & trials["interventions"].map(len).gt(0)
        & ~trials["nct_id"].isin(taken)
    )
    pool = trials[ok]
    share = pool["source"].value_counts(normalize=True) * n
    counts = np.floor(share).astype(int)
    for src in (share - counts).sort_values(ascending=False).index[: n - counts.sum()]:
        counts[src] += 1
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for src, k in counts.items():
        ids = pool.loc[pool["source"] == src, "nct_id"].to_numpy()
        out += [str(x) for x in rng.choice(ids, size=min(k, len(ids)), replace=False)]
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--cache-dir", default=str(ROOT / ".cache" / "simtrials"))
    args = ap.parse_args()
    trials = st.datasets.load_trials()
    judged = st.datasets.load_relevance()
    queries = draw(trials, set(judged["query"]), args.n, args.seed)
    embedder = st.Embedder(cache_dir=args.cache_dir)
    systems = {
        "simtrials": st.TrialIndex.build(trials, embedder=embedder, show_progress=False),
        "tfidf": TfidfBaseline.build(trials),
        "bm25": BM25Baseline.build(trials),
        "dense-concat": DenseConcatBaseline.build(trials, embedder=embedder),
    }
    pairs = {
        (q, str(c))
        for system in systems.values()
        for q in queries
        for c in pd.DataFrame(system.similar(q, k=10))["nct_id"]
    }
    todo = write_unjudged(args.out, pairs, judged)
    print(f"{len(queries)} new queries, {len(pairs)} pooled pairs, {todo} to grade -> {args.out}")


if __name__ == "__main__":
    main()
