"""``simtrials fetch ... --out FILE``: download studies from the ClinicalTrials.gov API v2."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from .output import info, write_json
from .values import UsageError, positive_int

HELP = "download studies from the ClinicalTrials.gov API v2 to a JSON file"
EPILOG = """examples:
  simtrials fetch --cond "ischemic stroke" --max 2000 --out stroke.json
  simtrials fetch --cond stroke --intr "stem cells" --status RECRUITING,COMPLETED --out cells.json
  simtrials build stroke.json --out stroke-index     # then index what was fetched"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..ctgov.client import DEFAULT_BASE_URL, DEFAULT_CACHE_DIR

    p.add_argument("--cond", metavar="TEXT", help="conditions (query.cond)")
    p.add_argument("--term", metavar="TEXT", help="any field (query.term)")
    p.add_argument("--intr", metavar="TEXT", help="interventions (query.intr)")
    p.add_argument(
        "--status", metavar="S,...", help="overall status(es), e.g. RECRUITING,COMPLETED"
    )
    p.add_argument("--ids", metavar="NCT,...", help="NCT IDs")
    p.add_argument("--max", type=positive_int, metavar="N", help="stop after N studies")
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="JSON file to write (a list of API v2 studies); - for stdout",
    )
    p.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help=f"API root (default {DEFAULT_BASE_URL})",
    )
    p.add_argument(
        "--cache-dir",
        default=DEFAULT_CACHE_DIR,
        metavar="DIR",
        help=f"cache of API answers (default {DEFAULT_CACHE_DIR})",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..ctgov import Client

    status = [s.strip() for s in args.status.split(",") if s.strip()] if args.status else None
    ids = [s.strip() for s in args.ids.split(",") if s.strip()] if args.ids else None
    if not any([args.cond, args.term, args.intr, status, ids]):
        raise UsageError("give at least one of --cond, --term, --intr, --status or --ids")
    out = None if args.out == "-" else Path(args.out).expanduser()
    if out is not None and out.parent and not out.parent.exists():
        raise FileNotFoundError(f"the folder of --out does not exist: {out.parent}")
    with Client(
        base_url=args.base_url,
        cache_dir=None if args.no_cache else args.cache_dir,
        show_progress=False if args.no_progress else None,
    ) as client:
        studies = client.fetch_studies(
            cond=args.cond,
            term=args.term,
            intr=args.intr,
            status=status,
            ids=ids,
            max_studies=args.max,
        )
    if out is None:
        write_json(studies)
    else:
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(studies, fh, ensure_ascii=False)
                fh.write("\n")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    info(f"wrote {len(studies):,} studies to {'stdout' if out is None else out}")
    return 0
