"""Memory per trial of a ``TrialIndex``, float32 against the compact (fp16) option.

At each size (same derived corpora as ``bench_query.py``), two indexes are built: float32
(``Flat`` below 50,000 trials, ``HNSW32`` above: the ``"auto"`` choice) and the compact option
(``SQfp16`` / ``HNSW32,SQfp16``: vectors stored as 16-bit floats). Reported per trial (bytes =
total / number of trials in the index):

- ``all`` and ``interventions``: ``FieldVectors.memory_bytes()`` (the serialized FAISS index:
  vectors, graph, id map) plus the id array beside it;
- ``conditions`` (a set field): the FAISS index of the distinct condition items, plus each
  trial's item-id array (numpy bytes and Python object overhead, estimated);
- ``lexical``: the TF-IDF count matrix (CSR data, indices, indptr).

A float32 vector of all-MiniLM-L6-v2 is 384 x 4 = 1,536 bytes. Recall@10 of the compact index
is the overlap of its ``similar(nct_id, k=10)`` top 10 with the float32 index's, same queries.

    python benchmarks/bench_memory.py --quick     # 10k and 100k
    python benchmarks/bench_memory.py             # 10k, 100k and 500k
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import common
import numpy as np

from simtrials.index.vectors import choose_factory

NAME = "bench_memory"
K = 10
TARGET_FIELD_BYTES = 1600  # <= 1.6 KB per trial per field at float32
TARGET_COMPACT = 0.5  # compact ~ half of float32
FIELDS = ("all", "conditions", "interventions", "lexical")


def compact_factory(factory: str) -> str:
    return "SQfp16" if factory == "Flat" else f"{factory},SQfp16"


def per_trial(index) -> dict[str, float]:
    n = len(index)
    mem = common.field_memory(index)
    out = {}
    for f, parts in mem.items():
        if f == "lexical":
            out[f] = (parts["matrix"] + parts["df"]) / n
        else:
            out[f] = (parts["faiss"] + parts["ids"] + parts.get("members", 0)) / n
    out["total"] = sum(out.values())
    return out


def overlap(a, b) -> float:
    return len(set(a["nct_id"]) & set(b["nct_id"])) / K


def measure(corpus: common.DerivedCorpus, n: int, n_queries: int) -> dict[str, Any]:
    f32 = choose_factory(n, "auto")
    f16 = compact_factory(f32)
    big = corpus.index(n, f32)
    mem32 = per_trial(big)
    detail32 = common.field_memory(big)
    rng = np.random.default_rng([common.SEED, n, 1])
    ids = big.trials["nct_id"].to_numpy()
    queries = [str(ids[r]) for r in rng.choice(len(ids), size=n_queries, replace=False)]
    hits32 = [big.similar(q, k=K) for q in queries]
    small = corpus.index(n, f16)
    mem16 = per_trial(small)
    detail16 = common.field_memory(small)
    hits16 = [small.similar(q, k=K) for q in queries]
    corpus.forget_index(n, f16)
    return {
        "trials": n,
        "float32": {"factory": f32, "bytes_per_trial": mem32, "detail": detail32},
        "compact": {"factory": f16, "bytes_per_trial": mem16, "detail": detail16},
        "recall_at_10_compact_vs_float32": float(
            np.mean([overlap(a, b) for a, b in zip(hits16, hits32)])
        ),
        "queries": n_queries,
    }


def render(results: list[dict[str, Any]]) -> str:
    header = (
        ["trials", "index"]
        + [f"{f} B/trial" for f in FIELDS]
        + [
            "total B/trial",
            "compact / float32",
            "recall@10 vs float32",
        ]
    )
    rows = []
    for r in results:
        for kind in ("float32", "compact"):
            m = r[kind]["bytes_per_trial"]
            rows.append(
                [f"{r['trials']:,}", r[kind]["factory"]]
                + [f"{m.get(f, 0):,.0f}" for f in FIELDS]
                + [
                    f"{m['total']:,.0f}",
                    "1.00"
                    if kind == "float32"
                    else f"{common.ratio(m['total'], r['float32']['bytes_per_trial']['total']):.2f}",
                    "1.000" if kind == "float32" else f"{r['recall_at_10_compact_vs_float32']:.3f}",
                ]
            )
    return common.table(rows, header)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k trials")
    parser.add_argument("--sizes", type=int, nargs="+", help="index sizes (trials)")
    parser.add_argument("--queries", type=int, help="queries for recall (20 quick, 50)")
    parser.add_argument("--threads", type=int, default=1, help="0: library defaults")
    parser.add_argument("--name", default=NAME, help="results file name (without .json)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 500_000])
    n_queries = args.queries or (20 if args.quick else 50)

    threads = common.set_threads(args.threads)
    info = common.machine_info("cpu")
    print(common.machine_line(info) + f"; {threads}", flush=True)
    corpus = common.corpus()
    results = []
    for n in sizes:
        r = measure(corpus, n, n_queries)
        results.append(r)
        print(
            f"  {n:,}: {r['float32']['factory']} {r['float32']['bytes_per_trial']['total']:,.0f} "
            f"B/trial, {r['compact']['factory']} {r['compact']['bytes_per_trial']['total']:,.0f}",
            flush=True,
        )
    text = "Memory per trial (bytes; float32 vector = 1,536 B), real + derived trials\n" + render(
        results
    )
    big = results[-1]
    m32, m16 = big["float32"]["bytes_per_trial"], big["compact"]["bytes_per_trial"]
    worst = max(("all", "conditions", "interventions"), key=lambda f: m32[f])
    vec_fields = ("all", "interventions")
    compact_ratio = common.ratio(sum(m16[f] for f in vec_fields), sum(m32[f] for f in vec_fields))
    summary = (
        f"memory at {big['trials']:,}: {m32['total'] / 1024:.2f} KB/trial in total; largest "
        f"field {worst} {m32[worst]:,.0f} B/trial = {common.ratio(m32[worst], TARGET_FIELD_BYTES):.2f}x "
        f"the {TARGET_FIELD_BYTES} B target; compact/float32 {compact_ratio:.2f} on the vector "
        f"fields (target ~{TARGET_COMPACT}), {common.ratio(m16['total'], m32['total']):.2f} in "
        f"total, recall@10 vs float32 {big['recall_at_10_compact_vs_float32']:.3f}"
    )
    print("\n" + text, flush=True)
    common.write_results(
        args.name,
        {
            "machine": info,
            "params": {
                "sizes": sizes,
                "queries": n_queries,
                "threads": threads,
                "noise": corpus.noise,
                "real_trials_in_index": len(corpus.base),
                "quick": args.quick,
            },
            "results": results,
            "table": text,
            "summary": summary,
        },
    )
    print(f"SUMMARY {summary}", flush=True)
    return {"name": NAME, "table": text, "summary": summary, "results": results}


if __name__ == "__main__":
    main(sys.argv[1:])
