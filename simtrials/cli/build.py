"""``simtrials build DATA... --out DIR``: index trial files and save the index."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .output import info
from .values import fraction, parse_fields

HELP = "index trial files and save the index to a directory"
EPILOG = """examples:
  simtrials build ctg-studies.json --out stroke-index
  simtrials build a.csv b.json.zip --out idx --fields all=1,conditions=1 --no-progress
  simtrials build trials.parquet --out idx --model sentence-transformers/all-mpnet-base-v2"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data",
        nargs="+",
        metavar="DATA",
        help="trial files: JSON, NDJSON, zip, CSV, parquet (.gz too)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory to save the index in")
    p.add_argument(
        "--model",
        metavar="NAME_OR_PATH",
        help="sentence-transformers model (default: packaged all-MiniLM-L6-v2)",
    )
    p.add_argument(
        "--fields", metavar="F=W,...", help="fields and weights, e.g. all=1,conditions=1 (default)"
    )
    p.add_argument(
        "--lexical-weight",
        type=fraction,
        default=None,
        metavar="W",
        help="share of the TF-IDF score, 0 to 1 (default 1/3)",
    )
    p.add_argument(
        "--index-type",
        "--index",
        dest="index_type",
        default="auto",
        metavar="TYPE",
        help="auto (default), flat, or a FAISS factory string such as HNSW32",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="persistent embedding cache: rebuilds skip unchanged texts",
    )
    p.add_argument("--device", metavar="DEVICE", help="cpu, cuda … (default: cuda when available)")
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="leave out unreadable records (with a warning) instead of stopping",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from ..io import read_ctgov
    from ..trial_index import TrialIndex

    fields = parse_fields(args.fields) if args.fields else None
    missing = [d for d in args.data if not Path(d).expanduser().exists()]
    if missing:
        raise FileNotFoundError(f"no such file: {missing[0]}")
    start = time.perf_counter()
    trials = read_ctgov(
        [Path(d).expanduser() for d in args.data], errors="skip" if args.skip_bad else "raise"
    )
    if len(trials) == 0:
        raise ValueError(f"no trials found in {', '.join(args.data)}")
    info(f"read {len(trials):,} trials from {len(args.data)} file(s)")
    options: dict[str, Any] = {}
    if args.lexical_weight is not None:
        options["lexical_weight"] = args.lexical_weight
    index = TrialIndex.build(
        trials,
        model=args.model,
        fields=fields,
        index=args.index_type,
        **options,
        show_progress=not args.no_progress,
        cache_dir=args.cache_dir,
        device=args.device,
    )
    out = index.save(args.out)
    seconds = time.perf_counter() - start
    info(f"indexed {len(index):,} trials in {seconds:.1f} s: {index!r}")
    info(f"saved to {out}")
    return 0
