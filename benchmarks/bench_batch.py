"""Query paths of ``TrialIndex`` on real trials (and derived ones at 500k): ``similar()`` (the
Hits table with reasons), ``similar_ids()`` (arrays only) and ``similar_many()`` (blocks of
queries), each against a baseline timed in the same run.

- **real**: the small corpus (8,769 trials) or the full one (``--corpus full``, ~26,000), built
  with the defaults and the embedding cache (``.cache/simtrials``).
- **derived** (``--derived 500000``): the real corpus plus derived clones (``common.py``, as
  ``bench_query.py`` makes them); the index is HNSW above 50,000 trials.
- Baselines: **numpy brute force** (the ``all`` vector against every trial's, one
  matrix-vector product and ``argpartition``) for single queries, and its block form (one
  matrix product per block of queries, ``argpartition`` per row) for the batch.

    python benchmarks/bench_batch.py                    # small corpus
    python benchmarks/bench_batch.py --corpus full      # full corpus (encodes it once)
    python benchmarks/bench_batch.py --derived 500000   # + 500k derived trials
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import common
import numpy as np

import simtrials as st

NAME = "bench_batch"
K = 10


def _times(fn, args) -> list[float]:
    out = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        out.append(time.perf_counter() - t)
    return out


def brute_block(vecs: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Numpy brute force for a block of indexed queries: top ``k`` rows of each."""
    s = vecs[rows] @ vecs.T
    s[np.arange(len(rows)), rows] = -np.inf
    return np.argpartition(-s, k, axis=1)[:, :k]


def measure(index: st.TrialIndex, label: str, n_queries: int, n_batch: int) -> dict[str, Any]:
    rng = np.random.default_rng([common.SEED, len(index)])
    ids = index.trials["nct_id"].to_numpy()
    rows = rng.choice(len(ids), size=min(n_queries, len(ids)), replace=False)
    queries = [str(ids[r]) for r in rows]
    vecs, _ = index.vectors("all")
    for q in queries[:3]:  # warm-up: the per-index arrays are made here
        index.similar(q, k=K)
        index.similar_ids(q, k=K)
    t_sim = _times(lambda q: index.similar(q, k=K), queries)
    t_ids = _times(lambda q: index.similar_ids(q, k=K), queries)
    t_np = _times(lambda r: common_brute(vecs, r), rows)
    brows = rng.choice(len(ids), size=min(n_batch, len(ids)), replace=False)
    bq = [str(ids[r]) for r in brows]
    # warm-up: the index's arrays, and the words of these queries' hits (read once per index;
    # "every trial" below pays that for the rest, as a first call over the registry does)
    index.similar_many(bq, k=K, show_progress=False)
    t0 = time.perf_counter()
    many = index.similar_many(bq, k=K, show_progress=False)
    t_many = time.perf_counter() - t0
    st.defaults.BATCH_OVERLAP = False  # every block on the calling thread, for comparison
    t0 = time.perf_counter()
    index.similar_many(bq, k=K, show_progress=False)
    t_turn = time.perf_counter() - t0
    st.defaults.BATCH_OVERLAP = True
    t0 = time.perf_counter()
    two = index.similar_many(bq, k=K, show_progress=False, workers=2)
    t_two = time.perf_counter() - t0
    assert two["nct_id"].tolist() == many["nct_id"].tolist()  # the same hits
    t_every = None
    if index.exact:  # every trial's related list, as a registry shows them
        t0 = time.perf_counter()
        index.similar_many(None, k=K, show_progress=False, workers=2)
        t_every = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(0, len(brows), 128):
        brute_block(vecs, brows[s : s + 128], K)
    t_brute = time.perf_counter() - t0
    ms = lambda t, q: common.pct(t, q) * 1e3  # noqa: E731
    return {
        "trials": len(index),
        "data": label,
        "index": index.index_type,
        "exact": index.exact,
        "queries": len(queries),
        "ms": {
            "similar_p50": ms(t_sim, 50),
            "similar_p99": ms(t_sim, 99),
            "ids_p50": ms(t_ids, 50),
            "ids_p99": ms(t_ids, 99),
            "numpy_p50": ms(t_np, 50),
            "numpy_p99": ms(t_np, 99),
        },  # fmt: skip
        "batch": {
            "queries": len(bq),
            "hits": len(many),
            "queries_per_s": len(bq) / t_many,
            "in_turn_queries_per_s": len(bq) / t_turn,
            "two_processes_queries_per_s": len(bq) / t_two,
            "every_trial_two_processes_per_s": None if t_every is None else len(index) / t_every,
            "numpy_block_queries_per_s": len(bq) / t_brute,
        },
    }


def common_brute(vecs: np.ndarray, r: int) -> np.ndarray:
    s = vecs @ vecs[r]
    s[r] = -np.inf
    top = np.argpartition(-s, K)[:K]
    return top[np.argsort(-s[top])]


def render(results: list[dict[str, Any]]) -> str:
    header = ["trials", "data", "index", "similar p50/p99 ms", "ids p50/p99 ms",
              "numpy p50 ms", "similar / numpy", "ids / numpy", "batch q/s (in turn)",
              "2 processes q/s", "every trial, 2 processes", "numpy block q/s",
              "batch / numpy"]  # fmt: skip
    rows = []
    for r in results:
        m, b = r["ms"], r["batch"]
        rows.append([
            f"{r['trials']:,}", r["data"], r["index"],
            f"{m['similar_p50']:.2f} / {m['similar_p99']:.2f}",
            f"{m['ids_p50']:.2f} / {m['ids_p99']:.2f}",
            f"{m['numpy_p50']:.2f}",
            f"{common.ratio(m['similar_p50'], m['numpy_p50']):.1f}x",
            f"{common.ratio(m['ids_p50'], m['numpy_p50']):.1f}x",
            f"{b['queries_per_s']:,.0f} ({b.get('in_turn_queries_per_s', 0):,.0f})",
            f"{b.get('two_processes_queries_per_s', 0):,.0f}",
            f"{b['every_trial_two_processes_per_s']:,.0f}" if b.get("every_trial_two_processes_per_s") else "-",
            f"{b['numpy_block_queries_per_s']:,.0f}",
            f"{common.ratio(b['numpy_block_queries_per_s'], b['queries_per_s']):.1f}x slower",
        ])  # fmt: skip
    return common.table(rows, header)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("small", "full"), default="small")
    parser.add_argument("--derived", type=int, nargs="*", default=[], help="derived sizes")
    parser.add_argument("--queries", type=int, default=200, help="timed single queries")
    parser.add_argument("--batch", type=int, default=2000, help="queries of the batch")
    parser.add_argument("--threads", type=int, default=1, help="0: library defaults")
    parser.add_argument("--name", default=NAME, help="results file name (without .json)")
    args = parser.parse_args(argv)
    threads = common.set_threads(args.threads)
    info = common.machine_info("cpu")
    print(common.machine_line(info) + f"; {threads}", flush=True)
    results = []
    trials = st.datasets.load_trials(corpus=args.corpus)
    t = time.perf_counter()
    index = st.TrialIndex.build(trials, cache_dir=".cache/simtrials", show_progress=False)
    print(f"built {len(index):,} real trials in {time.perf_counter() - t:.0f} s", flush=True)
    results.append(measure(index, f"real ({args.corpus})", args.queries, args.batch))
    print(render(results), flush=True)
    del index
    if args.derived:
        corpus = common.corpus()
        for n in args.derived:
            idx = corpus.index(n, "auto")
            results.append(measure(idx, "derived", args.queries, min(args.batch, 500)))
            print(render(results[-1:]), flush=True)
            corpus.forget_index(n, "auto")
    text = "similar / similar_ids / similar_many (k=10)\n" + render(results)
    r0 = results[0]
    summary = (
        f"{r0['trials']:,} real trials: similar p50 {r0['ms']['similar_p50']:.2f} ms, "
        f"similar_ids p50 {r0['ms']['ids_p50']:.2f} ms, similar_many "
        f"{r0['batch']['queries_per_s']:,.0f} queries/s ({threads}), 2 processes "
        f"{r0['batch']['two_processes_queries_per_s']:,.0f}/s, every trial with 2 processes "
        f"{r0['batch']['every_trial_two_processes_per_s'] or 0:,.0f}/s"
    )
    print("\n" + text + f"\nSUMMARY {summary}", flush=True)
    common.write_results(
        args.name,
        {"machine": info, "params": vars(args) | {"k": K, "threads": threads},
         "results": results, "table": text, "summary": summary},
    )  # fmt: skip
    return {"name": NAME, "table": text, "summary": summary, "results": results}


if __name__ == "__main__":
    main(sys.argv[1:])
