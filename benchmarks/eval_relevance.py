"""Relevance benchmark: simtrials against the baselines on the judged dev pairs.

Builds the default :class:`~simtrials.TrialIndex` and the baselines of
:mod:`simtrials.baselines` (TF-IDF, BM25, dense-concat, random) over the same records (the
whole bundled corpus), evaluates them with :func:`simtrials.compare` in re-rank mode (the
protocol of ``data/eval``) and in retrieve mode, prints the tables and writes
``benchmarks/results/eval_<name>.json``.

``--sweep`` instead varies the engine's defaults one knob at a time (fields, conditions cap,
lexical weight, embedder pooling), evaluates each setting in re-rank mode with a paired
bootstrap against the default, prints the table and writes
``benchmarks/results/eval_sweep.json``. It reports; it does not pick a default.

Embeddings come from the persistent cache ``<repo>/.cache/simtrials`` (a full default build
takes seconds once it is filled; the first run encodes the corpus, ~10 minutes on 2 cores).
The first ``--sweep`` also encodes titles and summaries (~5-8 minutes on 2 shared cores) and,
for the mean-pooling row, the ~1,300 whole texts longer than one window (~4-7 minutes, kept
in ``<cache>/pooling-mean``); later runs take about 2 minutes.

    python benchmarks/eval_relevance.py                 # comparison, eval_default.json
    python benchmarks/eval_relevance.py --sweep         # defaults sweep, eval_sweep.json
    python benchmarks/eval_relevance.py --sweep --no-mean-pooling   # skip the re-encode
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
from simtrials.evaluate import bootstrap_ci  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_info  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
K = (1, 3, 5, 10)
# The columns of the printed tables: metric -> header.
SHOWN = {
    "ndcg@5": "nDCG@5",
    "ndcg@10": "nDCG@10",
    "p@1_g2": "P@1 g2",
    "p@1": "P@1",
    "map": "MAP",
    "mrr": "MRR",
}


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


def print_comparison(table: pd.DataFrame, reference: str, title: str) -> str:
    """Print (and return) the means with CIs, and ``reference - system`` with its paired CI."""
    metrics = [m for m in SHOWN if m in table.columns.get_level_values("metric")]
    rows = []
    for system, row in table.iterrows():
        rows.append(
            [str(system)]
            + [_fmt(row[(m, "value")], row[(m, "ci_low")], row[(m, "ci_high")]) for m in metrics]
        )
    text = f"\n{title}: mean over {table.attrs['n_queries']} queries [95% bootstrap CI]\n"
    text += _markdown(rows, ["system"] + [SHOWN[m] for m in metrics])
    rows = []
    for system, row in table.iterrows():
        if system == reference:
            continue
        cells = []
        for m in metrics:
            # compare() gives system - reference; show reference - system (the gain of simtrials)
            d, lo, hi = -row[(m, "diff")], -row[(m, "diff_high")], -row[(m, "diff_low")]
            cells.append(_fmt(d, lo, hi, signed=True) + (" *" if row[(m, "excludes_zero")] else ""))
        rows.append([f"{reference} − {system}"] + cells)
    text += f"\n\nPaired difference ({title}), * = the 95% CI excludes 0\n"
    text += _markdown(rows, ["difference"] + [SHOWN[m] for m in metrics])
    print(text, flush=True)
    return text


def run_comparison(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    trials = st.datasets.load_trials()
    qrels = st.datasets.load_relevance()
    embedder = st.Embedder(cache_dir=args.cache_dir)
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
            "diff": "system - reference (printed tables show reference - system)",
            "modes": {},
        }
    )
    modes = ["rerank"] + ([] if args.no_retrieve else ["retrieve"])
    for mode in modes:
        t = time.perf_counter()
        kwargs = dict(mode=mode, k=K, reference="simtrials", n_boot=args.n_boot, seed=args.seed)
        table = st.compare(systems, qrels, **kwargs)
        per_query = st.compare(systems, qrels, per_query=True, **kwargs)
        seconds = time.perf_counter() - t
        print_comparison(table, "simtrials", f"{mode} mode")
        if mode == "retrieve":
            judged = table.xs("value", axis=1, level="stat")[[f"judged@{k}" for k in (5, 10)]]
            print("\nShare of the top k that were judged (retrieve mode):")
            print(judged.round(3).to_string())
        payload["modes"][mode] = {
            "seconds": round(seconds, 1),
            "n_queries": table.attrs["n_queries"],
            "systems": _table_json(table),
            "per_query": {
                s: per_query.loc[s, list(SHOWN)].round(6).to_dict(orient="index")
                for s in per_query.index.get_level_values("system").unique()
            },
        }
    payload["total_seconds"] = round(time.perf_counter() - t0, 1)
    path = RESULTS / f"eval_{args.name}.json"
    _write_json(path, payload)
    print(f"\nwrote {path.relative_to(REPO)} ({payload['total_seconds']} s)")


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
    qrels = st.datasets.load_relevance()
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
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)
    if args.sweep:
        run_sweep(args)
    else:
        run_comparison(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
