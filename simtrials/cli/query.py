"""``simtrials similar | search | explain``: ask a saved index for related trials."""

from __future__ import annotations

import argparse
import sys

from .output import emit_frame, hits_table, plain, write_json
from .values import (
    UsageError,
    focus_option,
    format_option,
    index_dir_argument,
    load_index,
    parse_where,
    query_arg,
    query_options,
)

SIMILAR_HELP = "the trials most similar to a trial (an NCT ID or a JSON study file)"
SIMILAR_EPILOG = """examples:
  simtrials similar stroke-index NCT03735277 -k 5
  simtrials similar stroke-index draft.json --where phases=PHASE2,PHASE3 \\
      --where overall_status=RECRUITING --where "start_date>=2015-01-01"
  simtrials similar stroke-index NCT03735277 --format json | jq '.[0]'

A query file holds one API v2 study, or a record such as
  {"title": "...", "conditions": ["Ischemic Stroke"], "interventions": ["Cord blood"]}
--where takes COLUMN=V1,V2 (any of), COLUMN>=V (also > <= < == !=) or COLUMN=LOW..HIGH."""

SEARCH_HELP = "the trials that best match a free text"
SEARCH_EPILOG = """examples:
  simtrials search stroke-index "umbilical cord blood cells after ischemic stroke"
  simtrials search stroke-index "tenecteplase" -k 20 --where "start_date>=2018-01-01" --format csv"""

EXPLAIN_HELP = "why a trial is related to a query"
EXPLAIN_EPILOG = """examples:
  simtrials explain stroke-index NCT03735277 NCT02460484
  simtrials explain stroke-index draft.json NCT02460484 --format json
  simtrials explain stroke-index "cord blood for stroke" NCT02460484"""


def add_similar_arguments(p: argparse.ArgumentParser) -> None:
    index_dir_argument(p)
    p.add_argument(
        "query",
        metavar="NCT_ID_OR_STUDY.json",
        help="an indexed NCT ID, or a JSON file with one study or record",
    )
    query_options(p)


def add_search_arguments(p: argparse.ArgumentParser) -> None:
    index_dir_argument(p)
    p.add_argument("text", metavar="TEXT", help="a few words or lines about a trial")
    query_options(p)


def add_explain_arguments(p: argparse.ArgumentParser) -> None:
    index_dir_argument(p)
    p.add_argument("query", metavar="QUERY", help="an NCT ID, a JSON study file, or a free text")
    p.add_argument("nct_id", metavar="NCT_ID", help="the indexed trial to explain")
    focus_option(p)
    format_option(p, ("text", "json"))


def run_similar(args: argparse.Namespace) -> int:
    where = parse_where(args.where)
    query = query_arg(args.query, allow_text=False)
    index = load_index(args.index_dir)
    hits = index.similar(query, k=args.k, where=where or None, focus=args.focus)
    head = f"{len(hits)} trials similar to {hits.query} (of {len(index):,} indexed)\n"
    emit_frame(hits, args.format, lambda: head + hits_table(hits))
    return 0


def run_search(args: argparse.Namespace) -> int:
    where = parse_where(args.where)
    if not args.text.strip():
        raise UsageError("the search text is empty")
    index = load_index(args.index_dir)
    hits = index.search(args.text, k=args.k, where=where or None, focus=args.focus)
    head = f"{len(hits)} trials matching {hits.query} (of {len(index):,} indexed)\n"
    emit_frame(hits, args.format, lambda: head + hits_table(hits))
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from ..search.query import is_nct_id

    query = query_arg(args.query, allow_text=True)
    nct = args.nct_id.strip().upper()
    if not is_nct_id(nct):
        raise UsageError(f"{args.nct_id!r} is not an NCT ID (NCT followed by 8 digits)")
    explanation = load_index(args.index_dir).explain(query, nct, focus=args.focus)
    if args.format != "json":
        sys.stdout.write(repr(explanation) + "\n")
        return 0
    write_json(
        {
            "query": explanation.query,
            "nct_id": explanation.nct_id,
            "title": explanation.title,
            "score": plain(explanation.score),
            "condition_match": explanation.condition_match,
            "intervention_match": explanation.intervention_match,
            "condition": plain(explanation.condition),
            "intervention": plain(explanation.intervention),
            "text": plain(explanation.text),
            "field_scores": {f: plain(v) for f, v in explanation.field_scores.items()},
            "lexical": plain(explanation.lexical),
            "shared_conditions": list(explanation.shared_conditions),
            "shared_interventions": list(explanation.shared_interventions),
            "shared_terms": list(explanation.shared_terms),
        }
    )
    return 0
