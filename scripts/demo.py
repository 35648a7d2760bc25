#!/usr/bin/env python
"""`make demo`: index the bundled real trials and print the related trials of a real one.

The query is NCT03735277, a trial of Hemacord (HPC, cord blood) in acute ischemic stroke.
The first run encodes the 8,769 bundled trials (a few minutes on a laptop CPU, progress bars
shown); the embedding cache in ``.cache/simtrials`` makes later runs take seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import simtrials as st

ROOT = Path(__file__).resolve().parents[1]
QUERY = "NCT03735277"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--query", default=QUERY, help="NCT ID of the query trial (default %(default)s)"
    )
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--cache-dir", default=str(ROOT / ".cache" / "simtrials"))
    args = ap.parse_args(argv)

    trials = st.datasets.load_trials()
    print(f"simtrials {st.__version__}: {len(trials)} real ClinicalTrials.gov trials bundled")
    t0 = time.perf_counter()
    index = st.TrialIndex.build(trials, cache_dir=args.cache_dir)
    print(f"built in {time.perf_counter() - t0:.1f} s: {index}\n")

    q = index.trials.set_index("nct_id").loc[args.query]
    print(f"Query {args.query}: {q['title']}")
    print(
        f"  conditions: {', '.join(q['conditions'])}; interventions: {', '.join(q['interventions'])}\n"
    )
    hits = index.similar(args.query, k=args.k)
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(hits)
    print("\nWhy the top hits are related:")
    for nct in hits["nct_id"][:3]:
        print(index.explain(args.query, nct), "\n")
    shown = ["rank", "nct_id", "title", "score", "condition_match", "intervention_match"]
    print("The same query with focus='intervention' (the same kind of intervention first):")
    focused = index.similar(args.query, k=args.k, focus="intervention")
    with pd.option_context("display.width", 220, "display.max_colwidth", 50):
        print(focused[shown].to_string(index=False))
    text = "umbilical cord mesenchymal stem cells for acute ischemic stroke"
    print(f'\nFree-text search: "{text}"')
    found = index.search(text, k=5)
    with pd.option_context("display.width", 220, "display.max_colwidth", 50):
        print(found[shown].to_string(index=False))


if __name__ == "__main__":
    main()
