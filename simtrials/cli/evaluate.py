"""``simtrials eval DIR``: nDCG, MAP … of a saved index on graded relevance judgements."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .output import emit_frame, info
from .values import UsageError, format_option, index_dir_argument, load_index, positive_int

HELP = "evaluate an index on graded relevance judgements"
EPILOG = """examples:
  simtrials eval judged-index                       # bundled dev judgements, re-rank pools
  simtrials eval judged-index --mode retrieve       # every bundled judgement, whole index
  simtrials eval judged-index --baselines tfidf,bm25,dense --format csv
  simtrials eval idx --qrels my-judgements.tsv --mode retrieve --skip-missing

A qrels file is a TSV or CSV with the columns query, candidate, grade. Without --qrels the
bundled dev judgements are read as `make eval` reads them: the re-rank pools in rerank mode,
every judged pair (the pools and the graded top 10s over the whole corpus) in retrieve mode.
"judged-index" is an index of the bundled trials (`simtrials build`), which holds every
judged trial."""

BASELINES = ("tfidf", "bm25", "dense", "random")


def add_arguments(p: argparse.ArgumentParser) -> None:
    index_dir_argument(p, "a saved index holding the judged trials")
    p.add_argument(
        "--qrels",
        metavar="FILE",
        help="TSV/CSV with query, candidate, grade (default: the bundled dev judgements of the mode)",
    )
    p.add_argument(
        "--mode",
        choices=("rerank", "retrieve"),
        default="rerank",
        help="rerank each query's judged candidates (default) or retrieve from the whole index",
    )
    p.add_argument(
        "-k",
        type=positive_int,
        nargs="+",
        default=[1, 3, 5, 10],
        metavar="K",
        help="cut-offs (default 1 3 5 10)",
    )
    p.add_argument(
        "--baselines",
        metavar="B,...",
        help=f"also evaluate baselines and compare: {','.join(BASELINES)}",
    )
    p.add_argument(
        "--skip-missing", action="store_true", help="leave out queries whose trials the index lacks"
    )
    format_option(p)


def read_qrels(path: str | None, mode: str = "rerank") -> Any:
    """The judgements in ``path``; ``None``: the bundled dev ones of ``mode``'s protocol (the
    re-rank pools, or every judged pair for retrieval), as ``make eval`` reads them."""
    import pandas as pd

    from .. import datasets
    from ..evaluate import POOLS

    if path is None:
        return datasets.load_relevance(pools=POOLS[mode])
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"no such qrels file: {path}")
    lines = file.read_text(encoding="utf-8", errors="replace")[:4096].splitlines()
    sep = "\t" if lines and "\t" in lines[0] else ","
    return pd.read_csv(file, sep=sep, dtype={"query": "string", "candidate": "string"})


def _compare_long(table: Any) -> Any:
    """``st.compare``'s wide table (system x (metric, stat)) -> one row per system and metric."""
    long = table.stack(level="metric", future_stack=True).reset_index()
    long.columns.name = None
    keep = ["system", "metric", "value", "ci_low", "ci_high", "diff", "diff_low", "diff_high"]
    return long[[c for c in keep if c in long.columns]]


def run(args: argparse.Namespace) -> int:
    from ..evaluate import compare, evaluate

    baselines = [b.strip() for b in (args.baselines or "").split(",") if b.strip()]
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise UsageError(
            f"--baselines: unknown baseline {unknown[0]!r}; expected some of {', '.join(BASELINES)}"
        )
    qrels = read_qrels(args.qrels, args.mode)
    index = load_index(args.index_dir)
    options = {
        "mode": args.mode,
        "k": tuple(args.k),
        "on_missing": "skip" if args.skip_missing else "error",
    }
    if baselines:
        systems = {"simtrials": index, **_build_baselines(baselines, index)}
        wide = compare(systems, qrels, reference="simtrials", **options)
        attrs, table = dict(wide.attrs), _compare_long(wide)
    else:
        table = evaluate(index, qrels, **options)
        attrs = dict(table.attrs)
    level = attrs.get("level", 0.95)
    n = attrs.get("n_queries", "?")
    info(f"{args.mode} mode, {n} judged queries, {level:.0%} bootstrap CI over queries")

    def text() -> str:
        shown = table.copy()
        for col in shown.columns:
            if col not in ("system", "metric"):
                shown[col] = shown[col].map(lambda v: f"{v:.3f}")
        return shown.to_string(index=False)

    emit_frame(table, args.format, text)
    return 0


def _build_baselines(names: list[str], index: Any) -> dict[str, Any]:
    from .. import baselines as bl

    trials = index.trials
    out: dict[str, Any] = {}
    for name in names:
        if name == "tfidf":
            out[name] = bl.TfidfBaseline.build(trials)
        elif name == "bm25":
            out[name] = bl.BM25Baseline.build(trials)
        elif name == "dense":
            out[name] = bl.DenseConcatBaseline.build(trials, embedder=index.embedder)
        elif name == "random":
            out[name] = bl.RandomBaseline.build(trials)
    return out
