"""``simtrials related DIR --out related.parquet``: the related trials of every indexed trial
(or of the NCT IDs listed in a file) in one long table, from :meth:`TrialIndex.similar_many`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .values import (
    CommandError,
    focus_option,
    index_dir_argument,
    load_index,
    parse_where,
    positive_int,
    where_option,
)

HELP = "the related trials of every indexed trial (or of a list) as one parquet or CSV table"
EPILOG = """examples:
  simtrials related stroke-index --out related.parquet
  simtrials related stroke-index --ids my-trials.txt -k 20 --out related.csv
  simtrials related stroke-index --where phases=PHASE2,PHASE3 --focus condition --out r.parquet

--ids names a file of NCT IDs, one a line (blank lines and '#' comments skipped). The table has
one row per hit: query, rank, nct_id, score, condition_match, intervention_match, the score_*
parts and the shared conditions and interventions (the hits 'simtrials similar' shows)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..defaults import DEFAULT_K

    index_dir_argument(p)
    p.add_argument("--ids", metavar="FILE", help="NCT IDs to query, one a line (default: all)")
    p.add_argument(
        "-k", type=positive_int, default=DEFAULT_K, help=f"hits per trial (default {DEFAULT_K})"
    )
    where_option(p)
    focus_option(p)
    p.add_argument(
        "--out", required=True, metavar="FILE", help="the table to write: .parquet or .csv"
    )
    p.add_argument(
        "--workers", type=positive_int, default=1, metavar="N",
        help="processes that rank blocks of trials in parallel (default 1; 2 on 2 cores is "
        "about 1.5x as fast)",
    )  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def read_ids(path: str) -> list[str]:
    """The NCT IDs of a file, one a line."""
    try:
        lines = Path(path).expanduser().read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandError(f"cannot read the ID file {path}: {exc.strerror or exc}") from None
    ids = [line.split("#", 1)[0].strip() for line in lines]
    return [i for i in ids if i]


def run(args: argparse.Namespace) -> int:
    index = load_index(args.index_dir)
    ids = read_ids(args.ids) if args.ids else None
    out = Path(args.out).expanduser()
    options = {
        "where": parse_where(args.where) or None,
        "focus": args.focus,
        "show_progress": not args.no_progress,
        "workers": args.workers,
    }
    if out.suffix.lower() == ".csv":
        table = index.similar_many(ids, args.k, **options)
        for col in ("shared_conditions", "shared_interventions"):
            table[col] = table[col].map("; ".join)
        table.to_csv(out, index=False)
        rows = len(table)
    else:
        index.similar_many(ids, args.k, path=out, **options)
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(out).metadata.num_rows
    n = len(index) if ids is None else len(ids)
    sys.stderr.write(f"{rows:,} hits of {n:,} trials written to {out}\n")
    return 0
