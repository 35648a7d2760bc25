"""``simtrials landscape DIR QUERY``: what the trials most like a query tell a designer."""

from __future__ import annotations

import argparse
import sys

from .output import info, write_json
from .values import (
    focus_option,
    format_option,
    index_dir_argument,
    load_index,
    parse_where,
    positive_int,
    query_arg,
    where_option,
)

HELP = (
    "what the trials most like a query tell a designer: status and why they stopped, "
    "enrollment, duration, endpoints, sponsors, countries, results"
)
EPILOG = """examples:
  simtrials landscape stroke-index NCT03735277 -k 50
  simtrials landscape stroke-index draft.json --format json > landscape.json
  simtrials landscape stroke-index "SGLT2 inhibitor in heart failure" --plot landscape.png"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    index_dir_argument(p)
    p.add_argument(
        "query",
        metavar="QUERY",
        help="an NCT ID, a JSON file with a study or draft, or a free text",
    )
    p.add_argument("-k", type=positive_int, default=50, help="how many related trials (default 50)")
    where_option(p)
    focus_option(p)
    p.add_argument("--plot", metavar="OUT.png", help="also draw the figure to this file")
    format_option(p, ("text", "json"))


def run(args: argparse.Namespace) -> int:
    where = parse_where(args.where)
    query = query_arg(args.query, allow_text=True)
    index = load_index(args.index_dir)
    land = index.landscape(query, k=args.k, where=where or None, focus=args.focus)
    if args.format == "json":
        write_json(land.to_dict())
    else:
        sys.stdout.write(land.summary() + "\n")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from ..plot import landscape as draw

        draw(land).savefig(args.plot, dpi=100, bbox_inches="tight")
        info(f"figure written to {args.plot}")
    return 0
