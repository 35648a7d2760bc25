"""List the top-10 pairs of some engine settings that no file judges yet, ready to grade.

    python scripts/grading/unjudged.py OUT.tsv [--shares 0.1 0.15 0.2 0.3] [--focus both]

Retrieval figures count an unjudged hit as "not related", so a setting that surfaces trials
nobody graded looks worse than it is. Before the settings of a sweep are compared, the pairs
of their top 10s over the whole bundled corpus (every dev query of ``load_relevance()``) that
no file judges are graded the same way (``make_packets.py``). ``--shares`` are shares of the
condition/intervention part (:func:`simtrials.search.relatedness._preset` with the rubric's
gains, as ``eval_relevance.py --sweep-relatedness`` sets them); ``--focus`` adds presets.
``OUT.tsv`` (``query, candidate``) says nothing about which setting found a pair or where.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pairs import write_unjudged  # scripts/grading/pairs.py, beside this script

import simtrials as st
from simtrials.search.relatedness import FOCUS, _preset

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--shares", type=float, nargs="*", default=[0.1, 0.15, 0.2, 0.3])
    ap.add_argument("--focus", nargs="*", default=["both"], choices=list(FOCUS))
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--cache-dir", default=str(ROOT / ".cache" / "simtrials"))
    args = ap.parse_args()
    trials = st.datasets.load_trials()
    judged = st.datasets.load_relevance()
    index = st.TrialIndex.build(
        trials, embedder=st.Embedder(cache_dir=args.cache_dir), show_progress=False
    )
    settings = [_preset(1.0, 1.0, 3.0, s) for s in args.shares] + [FOCUS[f] for f in args.focus]
    queries = sorted(judged["query"].unique())
    pairs = {
        (q, str(c))
        for w in settings
        for q in queries
        for c in index.similar(q, k=args.k, weights=w)["nct_id"]
    }
    todo = write_unjudged(args.out, pairs, judged)
    print(f"{len(queries)} queries, {len(pairs)} top-{args.k} pairs, {todo} to grade -> {args.out}")


if __name__ == "__main__":
    main()
