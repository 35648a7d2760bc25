"""Query latency and ANN recall of ``TrialIndex`` at 10k, 100k and 500k trials.

Each size is an index built with the defaults (``index="auto"``: exact ``Flat`` below 50,000
trials, ``HNSW32`` above) over the real corpus plus derived clones (``common.py``: real
vectors plus Gaussian noise, renormalized; clones NCT9xxxxxxx). Timed, in one process:

- ``similar(nct_id, k=10)`` for random indexed trials (``by NCT``; no model call: the trial's
  vectors are cached) and ``search(text, k=10)`` for titles of held-out real trials (``by
  text``, vector cached after a first untimed call; the first call's extra cost, the encode, is
  reported once).
- **numpy brute force**: the query trial's ``all`` vector against every trial's ``all`` vector:
  one matrix-vector product and ``argpartition`` (the floor of exact single-field search).
- **FAISS flat**: ``IndexFlatIP`` over the same ``all`` vectors, ``search(q, 11)``.
- **exact fused**: ``similar`` on the same index with ``exact_threshold`` above its size, i.e.
  the engine's own fused score (fields + conditions cap + TF-IDF) over every trial.

Recall@10 is measured two ways: **fused**, the top 10 of ``similar`` with the ANN candidate step
against the top 10 of the exact fused score (same index, same queries); and **"all" field**,
the field's HNSW top 10 against brute force over the ``all`` vectors (the query trial left out).
Below ``exact_threshold`` (20,000) the engine scores every trial exactly, so recall is 1.

    python benchmarks/bench_query.py --quick      # 10k and 100k
    python benchmarks/bench_query.py              # 10k, 100k and 500k
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import common
import faiss
import numpy as np

import simtrials as st

NAME = "bench_query"
K = 10
TARGET_P50_MS = 2.0
TARGET_RECALL = 0.95


def brute_top(vectors: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """Numpy brute force: the rows of the ``k`` largest inner products, best first."""
    s = vectors @ q
    top = np.argpartition(-s, k)[:k]
    return top[np.argsort(-s[top])]


def _time_calls(fn, args_list) -> tuple[list[float], list[Any]]:
    times, outs = [], []
    for a in args_list:
        t = time.perf_counter()
        outs.append(fn(a))
        times.append(time.perf_counter() - t)
    return times, outs


def encode_times(embedder: st.Embedder, texts: list[str]) -> float:
    """p50 ms of encoding one query text as ``search`` does, with a fresh (empty) Embedder.

    Then puts the texts in ``embedder``'s cache, so the timed searches exclude the encode.
    """
    from simtrials.represent import expand_abbreviations, find_abbreviations

    prepared = [expand_abbreviations(t.strip(), find_abbreviations(t)) for t in texts]
    fresh = st.Embedder(model=embedder.model, device="cpu", pooling=embedder.pooling)
    fresh.encode(["warm-up of the model"])
    times, _ = _time_calls(lambda t: fresh.encode([t]), prepared)
    embedder.encode(prepared)
    return common.pct(times, 50) * 1e3


def exact_similar(index: st.TrialIndex, nct_id: str, k: int = K):
    """``similar`` with the ANN candidate step switched off (every trial scored exactly)."""
    own = "exact_threshold" in vars(index)
    old = index.exact_threshold
    index.exact_threshold = len(index) + 1
    try:
        return index.similar(nct_id, k=k)
    finally:
        if own:
            index.exact_threshold = old
        else:
            del index.exact_threshold  # back to the class default


def measure(
    corpus: common.DerivedCorpus, n: int, n_queries: int, n_recall: int, texts: list[str]
) -> dict[str, Any]:
    index = corpus.index(n, "auto")
    rng = np.random.default_rng([common.SEED, n])
    ids = index.trials["nct_id"].to_numpy()
    rows = rng.choice(len(ids), size=n_queries, replace=False)
    queries = [str(ids[r]) for r in rows]
    vecs, has = index.vectors("all")
    flat = faiss.IndexFlatIP(vecs.shape[1])
    flat.add(vecs)

    for q in queries[:3]:  # warm-up
        index.similar(q, k=K)
    t_nct, hits = _time_calls(lambda q: index.similar(q, k=K), queries)
    t_np, np_tops = _time_calls(lambda r: brute_top(vecs, vecs[r], K + 1), rows)
    t_flat, _ = _time_calls(lambda r: flat.search(vecs[r][None, :], K + 1), rows)

    index.search(texts[0], k=K)  # warm-up (the texts' vectors are cached: see main)
    t_text, _ = _time_calls(lambda t: index.search(t, k=K), texts)

    # recall: fused (ANN path vs exact path of the same index) and the "all" field's ANN alone
    rec_rows = rows[:n_recall]
    t_exact, exact_hits = _time_calls(lambda q: exact_similar(index, q), queries[:n_recall])
    fused = [
        len(set(h["nct_id"]) & set(e["nct_id"])) / K for h, e in zip(hits[:n_recall], exact_hits)
    ]
    if index.exact:
        field_recall = 1.0
    else:
        ann = common.ann_search(index, "all", vecs[rec_rows], K + 1)
        field = []
        for r, a in zip(rec_rows, ann):
            truth = set(brute_top(vecs, vecs[r], K + 1).tolist()) - {int(r)}
            got = [int(x) for x in a if x != r][:K]
            field.append(len(truth & set(got)) / K)
        field_recall = float(np.mean(field))
    return {
        "trials": n,
        "index": index.index_type,
        "exact": index.exact,
        "build_s": corpus.build_seconds.get((n, index.index_type)),
        "queries": n_queries,
        "recall_queries": len(rec_rows),
        "ms": {
            "nct_p50": common.pct(t_nct, 50) * 1e3,
            "nct_p95": common.pct(t_nct, 95) * 1e3,
            "text_p50": common.pct(t_text, 50) * 1e3,
            "text_p95": common.pct(t_text, 95) * 1e3,
            "numpy_p50": common.pct(t_np, 50) * 1e3,
            "numpy_p95": common.pct(t_np, 95) * 1e3,
            "faiss_flat_p50": common.pct(t_flat, 50) * 1e3,
            "faiss_flat_p95": common.pct(t_flat, 95) * 1e3,
            "exact_fused_p50": common.pct(t_exact, 50) * 1e3,
        },
        "recall_at_10": {"fused": float(np.mean(fused)), "all_field": field_recall},
        "has_all": float(has.mean()),
    }


def render(results: list[dict[str, Any]]) -> str:
    header = [
        "trials",
        "index",
        "NCT p50 ms",
        "NCT p95",
        "text p50",
        "text p95",
        "numpy p50",
        "FAISS flat p50",
        "exact fused p50",
        "NCT p50 / numpy",
        "NCT p50 / flat",
        "recall@10 fused",
        'recall@10 "all"',
    ]
    rows = []
    for r in results:
        m = r["ms"]
        rows.append(
            [
                f"{r['trials']:,}",
                r["index"] + (" (exact)" if r["exact"] else ""),
                f"{m['nct_p50']:.2f}",
                f"{m['nct_p95']:.2f}",
                f"{m['text_p50']:.2f}",
                f"{m['text_p95']:.2f}",
                f"{m['numpy_p50']:.2f}",
                f"{m['faiss_flat_p50']:.2f}",
                f"{m['exact_fused_p50']:.1f}",
                f"{common.ratio(m['nct_p50'], m['numpy_p50']):.1f}x",
                f"{common.ratio(m['nct_p50'], m['faiss_flat_p50']):.1f}x",
                f"{r['recall_at_10']['fused']:.3f}",
                f"{r['recall_at_10']['all_field']:.3f}",
            ]
        )
    return common.table(rows, header)


def profile_queries(corpus: common.DerivedCorpus, n: int, count: int = 20) -> None:
    index = corpus.index(n, "auto")
    for q in index.trials["nct_id"].to_numpy()[:count]:
        index.similar(str(q), k=K)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k trials")
    parser.add_argument("--sizes", type=int, nargs="+", help="index sizes (trials)")
    parser.add_argument("--queries", type=int, help="timed queries per size (40 quick, 100)")
    parser.add_argument("--recall-queries", type=int, help="queries for recall (20 quick, 30)")
    parser.add_argument("--profile", action="store_true", help="cProfile queries at each size")
    parser.add_argument("--threads", type=int, default=1, help="0: library defaults")
    parser.add_argument("--name", default=NAME, help="results file name (without .json)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 500_000])
    n_queries = args.queries or (40 if args.quick else 100)
    n_recall = min(n_queries, args.recall_queries or (20 if args.quick else 30))

    threads = common.set_threads(args.threads)
    info = common.machine_info("cpu")
    print(common.machine_line(info) + f"; {threads}", flush=True)
    corpus = common.corpus()
    texts = [str(t) for t in corpus.holdout["title"].dropna()][:n_queries]
    encode_ms = encode_times(corpus.embedder, texts)
    print(
        f"sizes {sizes}; {n_queries} queries by NCT ID and {len(texts)} by text per size; "
        f"k={K}; indexes hold the {len(corpus.base):,} real trials plus derived clones "
        f"(real vectors + N(0, {corpus.noise}^2) noise, renormalized; NCT9xxxxxxx)",
        flush=True,
    )
    results, profiles = [], {}
    for n in sizes:
        r = measure(corpus, n, n_queries, n_recall, texts)
        results.append(r)
        m = r["ms"]
        print(
            f"  {n:,}: {r['index']}, by NCT p50 {m['nct_p50']:.2f} ms, numpy {m['numpy_p50']:.2f} "
            f"ms, recall@10 fused {r['recall_at_10']['fused']:.3f}",
            flush=True,
        )
        if args.profile:
            _, profiles[n] = common.profile_top(lambda n=n: profile_queries(corpus, n))
            print(f"\ncProfile of 20 similar() calls at {n:,} trials:\n{profiles[n]}")

    text = f"Query latency (ms, k={K}) and recall@10, real + derived trials\n" + render(results)
    big = results[-1]
    m = big["ms"]
    summary = (
        f"query by NCT p50 {m['nct_p50']:.2f} ms at {big['trials']:,} = "
        f"{common.ratio(m['nct_p50'], m['numpy_p50']):.1f}x numpy brute force, "
        f"{common.ratio(m['nct_p50'], m['faiss_flat_p50']):.1f}x FAISS flat, "
        f"{common.ratio(m['nct_p50'], TARGET_P50_MS):.1f}x the {TARGET_P50_MS:g} ms target; "
        f"recall@10 fused {big['recall_at_10']['fused']:.3f} (target >= {TARGET_RECALL}); "
        f"a new text query's encode adds {encode_ms:.0f} ms (p50)"
    )
    print("\n" + text, flush=True)
    common.write_results(
        args.name,
        {
            "machine": info,
            "params": {
                "sizes": sizes,
                "queries": n_queries,
                "recall_queries": n_recall,
                "k": K,
                "noise": corpus.noise,
                "real_trials_in_index": len(corpus.base),
                "threads": threads,
                "quick": args.quick,
            },
            "text_query_encode_ms_p50": encode_ms,
            "results": results,
            "table": text,
            "summary": summary,
            "profiles": profiles or None,
        },
    )
    print(f"SUMMARY {summary}", flush=True)
    return {"name": NAME, "table": text, "summary": summary, "results": results}


if __name__ == "__main__":
    main(sys.argv[1:])
