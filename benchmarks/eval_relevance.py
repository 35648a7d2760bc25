"""Relevance benchmark: simtrials against the baselines on the judged dev pairs, in both protocols.

Builds the default :class:`~simtrials.TrialIndex` and the baselines of
:mod:`simtrials.baselines` (TF-IDF, BM25, dense-concat, random) over the same records (the
whole bundled corpus) and evaluates them

- in re-rank mode (the protocol of ``data/eval``: each query's judged pool of
  ``relevance-dev.tsv``): nDCG@5, nDCG@10, P@1 grade 2 (over all queries, and over the
  queries that have a grade-2 candidate), MAP;
- in retrieve mode (the top 10 of the whole corpus, against every judgement:
  ``load_relevance()``): nDCG@10, P@10 (grade >= 1), P@5 grade 2, P@1 grade 2 over the
  queries with a grade-2 judgement, and judged@10 (unjudged hits count as not relevant);

each with 95% bootstrap CIs and the paired difference ``simtrials - system``, and writes
``benchmarks/results/eval_<name>.json``.

``--sweep-relatedness`` evaluates, on one index, each share of the condition/intervention
part (the one knob of :mod:`simtrials.search.relatedness`) and the focus presets in both
protocols, with a leave-queries-out estimate of choosing the share on the dev split
(``eval_sweep_relatedness.json``). ``--sweep`` varies the text score's settings one knob at a
time in re-rank mode (``eval_sweep.json``). They report; they do not pick a default.

Embeddings come from the persistent cache ``<repo>/.cache/simtrials`` (a full default build
takes about a minute once it is filled; the first run encodes the corpus, ~10 minutes on 2
cores).

    python benchmarks/eval_relevance.py                        # comparison, eval_default.json
    python benchmarks/eval_relevance.py --sweep-relatedness    # the share, both protocols
    python benchmarks/eval_relevance.py --sweep --no-mean-pooling
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import simtrials as st  # noqa: E402
from simtrials.baselines import (  # noqa: E402
    BM25Baseline,
    DenseConcatBaseline,
    RandomBaseline,
    TfidfBaseline,
)
from simtrials.evaluate import POOLS, bootstrap_ci  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_info  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
K = (1, 3, 5, 10)
# The columns of the printed tables: metric -> header. "p@1_g2h" is P@1 (grade 2) over the
# queries that have a grade-2 candidate (p@1_g2 counts the others as 0).
SHOWN = {
    "ndcg@5": "nDCG@5",
    "ndcg@10": "nDCG@10",
    "p@1_g2": "P@1 g2",
    "p@1_g2h": "P@1 g2 (q. with a g2)",
    "p@1": "P@1",
    "map": "MAP",
    "mrr": "MRR",
}
# Per protocol: which judgements, and which metrics the tables show.
PROTOCOLS = {
    "rerank": {
        "pools": POOLS["rerank"],
        "shown": ["ndcg@5", "ndcg@10", "p@1_g2", "p@1_g2h", "map"],
    },
    "retrieve": {
        "pools": POOLS["retrieve"],
        "shown": ["ndcg@10", "p@10", "p@5_g2", "p@1_g2h", "judged@10"],
    },
}
SHOWN.update({"p@10": "P@10", "p@5_g2": "P@5 g2", "judged@10": "judged@10"})


def with_grade2_precision(per_query: pd.DataFrame, qrels: pd.DataFrame) -> pd.DataFrame:
    """Add ``p@1_g2h``: P@1 (grade 2) where the query has a grade-2 candidate, NaN elsewhere."""
    has2 = qrels.groupby("query")["grade"].max() == 2
    out = per_query.copy()
    queries = out.index.get_level_values("query")
    out["p@1_g2h"] = np.where(has2.reindex(queries).to_numpy(), out["p@1_g2"], np.nan)
    return out


def mean_table(per_query: pd.DataFrame, metrics: list[str], n_boot: int, seed: int) -> dict:
    """Metric -> (mean, ci_low, ci_high), NaN rows left out metric by metric."""
    out = {}
    for m in metrics:
        vals = per_query[m].to_numpy(dtype=float)
        vals = vals[~np.isnan(vals)]
        low, high = bootstrap_ci(vals.reshape(-1, 1), n_boot=n_boot, seed=seed)
        out[m] = (float(vals.mean()), float(low[0]), float(high[0]))
    return out


# ---------------------------------------------------------------------- helpers


def _write_json(path: Path, payload: dict) -> None:
    """Write atomically: a crash never leaves a half-written results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=_json_default) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


def _header(trials: pd.DataFrame, qrels: pd.DataFrame, embedder: st.Embedder) -> dict:
    return {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "simtrials_version": st.__version__,
        "git": git_info(),
        "corpus": {"trials": len(trials)},
        "qrels": {
            "split": "dev",
            "queries": int(qrels["query"].nunique()),
            "pairs": len(qrels),
            "grades": {
                str(g): int(n) for g, n in qrels["grade"].value_counts().sort_index().items()
            },
            "queries_with_grade_2": int((qrels.groupby("query")["grade"].max() == 2).sum()),
        },
        "model": embedder.name,
    }


def _fmt(v: float, lo: float, hi: float, signed: bool = False) -> str:
    f = "{:+.3f}" if signed else "{:.3f}"
    v, lo, hi = (round(x, 3) + 0.0 for x in (v, lo, hi))  # no "-0.000"
    return f"{f.format(v)} [{f.format(lo)}, {f.format(hi)}]"


def _markdown(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _table_json(table: pd.DataFrame) -> dict:
    """compare()'s MultiIndex table -> {system: {metric: {stat: value}}}."""
    out: dict[str, dict] = {}
    for system, row in table.iterrows():
        out[str(system)] = {}
        for (metric, stat), v in row.items():
            out[str(system)].setdefault(metric, {})[stat] = v
    return out


# ---------------------------------------------------------------------- comparison


def build_systems(trials: pd.DataFrame, embedder: st.Embedder) -> tuple[dict, dict]:
    """The default index and the baselines, over the same records; and their build times."""
    systems: dict[str, Any] = {}
    times: dict[str, float] = {}
    builders = {
        "random": lambda: RandomBaseline.build(trials, seed=0),
        "tfidf": lambda: TfidfBaseline.build(trials),
        "bm25": lambda: BM25Baseline.build(trials),
        "dense-concat": lambda: DenseConcatBaseline.build(trials, embedder=embedder),
        "simtrials": lambda: st.TrialIndex.build(trials, embedder=embedder, show_progress=False),
    }
    for name, build in builders.items():
        t = time.perf_counter()
        systems[name] = build()
        times[name] = round(time.perf_counter() - t, 2)
        print(f"  built {name:<13} in {times[name]:6.1f} s", flush=True)
    return systems, times


def protocol_per_query(systems: dict, mode: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Per-query metrics of every system in one protocol (its own judgements), and those."""
    qrels = st.datasets.load_relevance(pools=PROTOCOLS[mode]["pools"])
    out = {}
    for name, system in systems.items():
        pq = st.evaluate(system, qrels, mode=mode, k=K, per_query=True)
        out[name] = with_grade2_precision(pq, qrels)
    return out, qrels


def comparison_rows(
    per_query: dict[str, pd.DataFrame], metrics: list[str], reference: str, n_boot: int, seed: int
) -> tuple[dict, dict]:
    """Means with CIs per system, and ``reference - system`` paired differences with CIs."""
    means = {n: mean_table(pq, metrics, n_boot, seed) for n, pq in per_query.items()}
    ref = per_query[reference]
    diffs = {}
    for name, pq in per_query.items():
        if name == reference:
            continue
        diffs[name] = {}
        for m in metrics:
            d = (ref[m] - pq[m]).to_numpy(dtype=float)
            d = d[~np.isnan(d)]
            low, high = bootstrap_ci(d.reshape(-1, 1), n_boot=n_boot, seed=seed)
            diffs[name][m] = (float(d.mean()), float(low[0]), float(high[0]))
    return means, diffs


def print_protocol(
    mode: str, means: dict, diffs: dict, metrics: list[str], n: int, ref: str
) -> str:
    rows = [[name] + [_fmt(*vals[m]) for m in metrics] for name, vals in means.items()]
    text = f"\n{mode}: mean over {n} queries [95% bootstrap CI]\n"
    text += _markdown(rows, ["system"] + [SHOWN[m] for m in metrics])
    rows = []
    for name, vals in diffs.items():
        cells = [
            _fmt(*vals[m], signed=True) + (" *" if vals[m][1] > 0 or vals[m][2] < 0 else "")
            for m in metrics
        ]
        rows.append([f"{ref} − {name}"] + cells)
    text += f"\n\nPaired difference ({mode}), * = the 95% CI excludes 0\n"
    text += _markdown(rows, ["difference"] + [SHOWN[m] for m in metrics])
    print(text, flush=True)
    return text


def run_comparison(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    trials = st.datasets.load_trials()
    qrels = st.datasets.load_relevance()
    embedder = st.Embedder(cache_dir=args.cache_dir, backend=args.backend)
    print(f"{len(trials)} trials, {qrels['query'].nunique()} queries, {len(qrels)} judged pairs")
    systems, build_times = build_systems(trials, embedder)
    payload = _header(trials, qrels, embedder)
    payload.update(
        {
            "name": args.name,
            "index": repr(systems["simtrials"]),
            "scoring": systems["simtrials"].scoring.to_dict(),
            "bootstrap": {"n_boot": args.n_boot, "seed": args.seed, "level": 0.95},
            "build_seconds": build_times,
            "reference": "simtrials",
            "diff": "reference - system, paired over the same queries",
            "modes": {},
        }
    )
    modes = ["rerank"] + ([] if args.no_retrieve else ["retrieve"])
    for mode in modes:
        t = time.perf_counter()
        per_query, judged = protocol_per_query(systems, mode)
        metrics = PROTOCOLS[mode]["shown"]
        means, diffs = comparison_rows(per_query, metrics, "simtrials", args.n_boot, args.seed)
        n = len(per_query["simtrials"])
        print_protocol(mode, means, diffs, metrics, n, "simtrials")
        payload["modes"][mode] = {
            "seconds": round(time.perf_counter() - t, 1),
            "judgements": {"pools": PROTOCOLS[mode]["pools"], "pairs": len(judged)},
            "n_queries": n,
            "means": means,
            "diffs": diffs,
            "per_query": {
                name: pq[[m for m in pq.columns if m in SHOWN or m in metrics]]
                .round(6)
                .to_dict(orient="index")
                for name, pq in per_query.items()
            },
        }
    payload["total_seconds"] = round(time.perf_counter() - t0, 1)
    path = RESULTS / f"eval_{args.name}.json"
    _write_json(path, payload)
    print(f"\nwrote {path.relative_to(REPO)} ({payload['total_seconds']} s)")


# ---------------------------------------------------------------------- relatedness sweep


class Weighted:
    """The index queried with fixed score weights (``TrialIndex.similar(weights=...)``)."""

    def __init__(self, index: Any, weights: dict[str, float]) -> None:
        self.index, self.weights = index, weights

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.index

    def similar(self, q: str, k: int | None = None, *, candidates: Any = None) -> pd.DataFrame:
        return self.index.similar(q, k=k, candidates=candidates, weights=self.weights)


def relatedness_settings() -> dict[str, dict[str, float]]:
    """The one knob: the share of the rubric part (0 = the text score alone), and the presets."""
    from simtrials.search.relatedness import FOCUS, _preset

    out = {"text only": {"text": 1.0}}
    for share in (0.05, 0.1, 0.15, 0.2, 0.3, 0.5):
        out[f"share {share:g}"] = _preset(1.0, 1.0, 3.0, share)
    out["focus=condition"] = FOCUS["condition"]
    out["focus=intervention"] = FOCUS["intervention"]
    return out


def run_relatedness_sweep(args: argparse.Namespace) -> None:
    """Both protocols for each setting of the share, on one index; and a leave-queries-out
    estimate of what choosing the share on the dev split is worth on unseen queries."""
    from simtrials.search.relatedness import RELATEDNESS_WEIGHT

    t0 = time.perf_counter()
    trials = st.datasets.load_trials()
    embedder = st.Embedder(cache_dir=args.cache_dir)
    index = st.TrialIndex.build(trials, embedder=embedder, show_progress=False)
    settings = relatedness_settings()
    systems = {name: Weighted(index, w) for name, w in settings.items()}
    results: dict[str, Any] = {}
    table = {}
    for mode in ("rerank", "retrieve"):
        per_query, _ = protocol_per_query(systems, mode)
        metrics = PROTOCOLS[mode]["shown"]
        results[mode] = {n: pq.round(6).to_dict(orient="index") for n, pq in per_query.items()}
        table[mode] = {
            n: mean_table(pq, metrics, args.n_boot, args.seed) for n, pq in per_query.items()
        }
    key = {"rerank": "ndcg@5", "retrieve": "ndcg@10"}
    rows = []
    for name in settings:
        rows.append(
            [name] + [f"{table[m][name][x][0]:.3f}" for m in table for x in PROTOCOLS[m]["shown"]]
        )
    header = ["setting"] + [f"{m}: {SHOWN[x]}" for m in table for x in PROTOCOLS[m]["shown"]]
    print("\nRelatedness sweep (one index, weights at query time)")
    print(_markdown(rows, header))
    # leave-queries-out: choose the share on 5/6 of the queries, score the other 1/6
    shares = [n for n in settings if n.startswith("share") or n == "text only"]
    queries = sorted(next(iter(results["rerank"].values())))
    rng = np.random.default_rng(args.seed)
    folds = np.array_split(rng.permutation(queries), 6)
    held: dict[str, list[float]] = {"rerank": [], "retrieve": []}
    chosen = []
    for fold in folds:
        test = set(fold)

        def objective(name: str, qs: set[str]) -> float:
            return float(
                np.mean(
                    [
                        np.mean([results[m][name][q][key[m]] for q in queries if q in qs])
                        for m in key
                    ]
                )
            )

        train = set(queries) - test
        best = max(shares, key=lambda n: objective(n, train))
        chosen.append(best)
        for m in key:
            held[m] += [results[m][best][q][key[m]] for q in queries if q in test]
    default = f"share {RELATEDNESS_WEIGHT:g}"
    cv = {m: float(np.mean(v)) for m, v in held.items()}
    insample = {m: table[m][default][key[m]][0] for m in key}
    print(
        f"\nLeave-queries-out (6 folds): shares chosen {chosen}; held-out rerank nDCG@5 "
        f"{cv['rerank']:.3f}, retrieve nDCG@10 {cv['retrieve']:.3f} (in-sample at the default "
        f"{default}: {insample['rerank']:.3f}, {insample['retrieve']:.3f})"
    )
    payload = {
        "name": "sweep-relatedness",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git": git_info(),
        "settings": settings,
        "means": table,
        "per_query": results,
        "leave_queries_out": {"folds": 6, "chosen": chosen, "held_out": cv, "in_sample": insample},
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    path = RESULTS / "eval_sweep_relatedness.json"
    _write_json(path, payload)
    print(f"wrote {path.relative_to(REPO)} ({payload['total_seconds']} s)")


# ---------------------------------------------------------------------- sweep


class _MeanPoolingReusingShortTexts(st.Embedder):
    """``Embedder(pooling="mean")`` that takes the vector of any text that fits in one window
    from a ``pooling="first"`` embedder (its cache).

    For such a text both poolings are the same computation (one window, no truncation), so
    the vectors are those ``Embedder(pooling="mean")`` gives; only the ~1,300 long whole
    texts are re-encoded, window by window, instead of the whole corpus.
    """

    def __init__(self, first: st.Embedder, cache_dir: Path | None) -> None:
        super().__init__(
            first.model, pooling="mean", cache_dir=cache_dir, batch_size=first.batch_size
        )
        self._first = first

    def encode(self, texts, *, show_progress: bool = False) -> np.ndarray:
        texts = list(texts)
        single = np.array([len(self._windows(t)) <= 1 if t else True for t in texts], dtype=bool)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if single.any():
            out[single] = self._first.encode([t for t, s in zip(texts, single) if s])
        if (~single).any():
            long = [t for t, s in zip(texts, single) if not s]
            if len(long) > 1:  # not for each query, whose vectors are cached by then
                print(f"    mean pooling: {len(long)} long texts, window by window", flush=True)
            out[~single] = super().encode(long, show_progress=show_progress)
        return out


def sweep_settings() -> list[dict]:
    """The settings of the sweep: the default, then one knob changed at a time."""
    default_fields = {"all": 1.0, "conditions": 1.0, "interventions": 0.0}
    base = {"fields": default_fields, "caps": {"conditions": 0.6}, "lexical_weight": 1 / 3}
    rows = [{"knob": "default", "setting": "default", **base, "pooling": "first"}]

    def vary(knob: str, setting: str, **change: Any) -> None:
        rows.append({"knob": knob, "setting": setting, **base, "pooling": "first", **change})

    vary("fields", "all only", fields={"all": 1.0}, caps={})
    vary(
        "fields",
        "all+conditions+interventions (w=1)",
        fields={**default_fields, "interventions": 1.0},
    )
    vary(
        "fields",
        "title+summary+conditions+interventions (equal)",
        fields={"title": 1.0, "summary": 1.0, "conditions": 1.0, "interventions": 1.0},
    )
    vary("conditions cap", "none", caps={})
    vary("conditions cap", "0.5", caps={"conditions": 0.5})
    vary("conditions cap", "0.7", caps={"conditions": 0.7})
    vary("lexical weight", "0", lexical_weight=0.0)
    vary("lexical weight", "0.2", lexical_weight=0.2)
    vary("lexical weight", "0.5", lexical_weight=0.5)
    vary("pooling", "mean", pooling="mean")
    return rows


def run_sweep(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    trials = st.datasets.load_trials()
    qrels = st.datasets.load_relevance(pools="rerank")
    first = st.Embedder(cache_dir=args.cache_dir)
    mean = None
    settings = sweep_settings()
    if args.no_mean_pooling:
        settings = [s for s in settings if s["pooling"] != "mean"]
    metrics = list(SHOWN)
    results: list[dict] = []
    per_query: dict[str, pd.DataFrame] = {}
    for s in settings:
        label = f"{s['knob']}: {s['setting']}"
        t = time.perf_counter()
        if s["pooling"] == "mean":
            if mean is None:
                mean = _MeanPoolingReusingShortTexts(first, Path(args.cache_dir) / "pooling-mean")
            embedder = mean
        else:
            embedder = first
        index = st.TrialIndex.build(
            trials,
            embedder=embedder,
            fields=s["fields"],
            caps=s["caps"],
            lexical_weight=s["lexical_weight"],
            show_progress=False,
        )
        built = time.perf_counter() - t
        pq = st.evaluate(index, qrels, k=K, per_query=True, metrics=metrics)
        per_query[label] = pq
        del index
        vals = pq.to_numpy()
        low, high = bootstrap_ci(vals, n_boot=args.n_boot, seed=args.seed)
        ref = per_query["default: default"].to_numpy()
        dlow, dhigh = bootstrap_ci(vals - ref, n_boot=args.n_boot, seed=args.seed)
        row = {
            "knob": s["knob"],
            "setting": s["setting"],
            "fields": s["fields"],
            "caps": s["caps"],
            "lexical_weight": s["lexical_weight"],
            "pooling": s["pooling"],
            "build_seconds": round(built, 1),
            "metrics": {},
        }
        for j, m in enumerate(metrics):
            row["metrics"][m] = {
                "value": float(vals[:, j].mean()),
                "ci_low": float(low[j]),
                "ci_high": float(high[j]),
                "diff_vs_default": float((vals[:, j] - ref[:, j]).mean()),
                "diff_low": float(dlow[j]),
                "diff_high": float(dhigh[j]),
                "excludes_zero": bool(dlow[j] > 0 or dhigh[j] < 0),
            }
        row["wins_losses_ndcg@5"] = [
            int((vals[:, 0] > ref[:, 0]).sum()),
            int((vals[:, 0] < ref[:, 0]).sum()),
        ]
        results.append(row)
        m5 = row["metrics"]["ndcg@5"]
        print(
            f"  {label:<58} nDCG@5 {m5['value']:.3f}  Δ {m5['diff_vs_default']:+.3f} "
            f"[{m5['diff_low']:+.3f}, {m5['diff_high']:+.3f}]  ({built:.0f} s build)",
            flush=True,
        )
    rows = []
    for r in results:
        m = r["metrics"]
        cells = [f"{m[x]['value']:.3f}" for x in metrics]
        d = m["ndcg@5"]
        delta = (
            "—"
            if r["knob"] == "default"
            else _fmt(d["diff_vs_default"], d["diff_low"], d["diff_high"], signed=True)
            + (" *" if d["excludes_zero"] else "")
        )
        g = m["p@1_g2"]
        dg = (
            "—"
            if r["knob"] == "default"
            else f"{g['diff_vs_default']:+.3f} [{g['diff_low']:+.2f}, {g['diff_high']:+.2f}]"
        )
        wl = "—" if r["knob"] == "default" else "{}/{}".format(*r["wins_losses_ndcg@5"])
        rows.append([r["knob"], r["setting"], *cells, delta, dg, wl])
    header = ["knob", "setting", *[SHOWN[x] for x in metrics], "ΔnDCG@5 vs default [95% CI]"]
    header += ["ΔP@1 g2 [95% CI]", "wins/losses (nDCG@5)"]
    print(f"\nSweep, re-rank mode, {len(qrels['query'].unique())} queries; * = CI excludes 0")
    print(_markdown(rows, header))
    payload = _header(trials, qrels, first)
    payload.update(
        {
            "name": "sweep",
            "mode": "rerank",
            "bootstrap": {"n_boot": args.n_boot, "seed": args.seed, "level": 0.95},
            "diff": "setting - default, paired over the same query resamples",
            "rows": results,
            "per_query": {k: v.round(6).to_dict(orient="index") for k, v in per_query.items()},
            "total_seconds": round(time.perf_counter() - t0, 1),
        }
    )
    path = RESULTS / "eval_sweep.json"
    _write_json(path, payload)
    print(f"\nwrote {path.relative_to(REPO)} ({payload['total_seconds']} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="default", help="results file: eval_<name>.json")
    parser.add_argument("--sweep", action="store_true", help="sweep the engine's defaults")
    parser.add_argument(
        "--sweep-relatedness",
        action="store_true",
        help="sweep the share of the condition/intervention part, with a leave-queries-out estimate",
    )
    parser.add_argument("--no-retrieve", action="store_true", help="re-rank mode only")
    parser.add_argument(
        "--no-mean-pooling",
        action="store_true",
        help="sweep without the mean-pooling row (it re-encodes ~1,300 long texts)",
    )
    parser.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument(
        "--cache-dir", default=str(REPO / ".cache" / "simtrials"), help="embedding cache"
    )
    parser.add_argument(
        "--backend", default="torch", help="Embedder backend: torch, onnx or onnx-int8"
    )
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)
    if args.sweep_relatedness:
        run_relatedness_sweep(args)
    elif args.sweep:
        run_sweep(args)
    else:
        run_comparison(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
