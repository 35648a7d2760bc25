"""The ``simtrials`` command: build an index, ask it for related trials, evaluate, fetch.

::

    simtrials build DATA... --out DIR         index trial files (any format read_ctgov reads)
    simtrials similar DIR NCT_ID|STUDY.json   trials most like an indexed or a new trial
    simtrials search DIR "free text"          trials that match a few lines of text
    simtrials explain DIR QUERY NCT_ID        why a trial is related to the query
    simtrials eval DIR                        nDCG, MAP … on graded relevance judgements
    simtrials info DIR                        what a saved index holds
    simtrials fetch --cond ... --out FILE     download studies from ClinicalTrials.gov

Results go to stdout (``--format table|csv|json``); progress and messages go to stderr.
An error prints one line ``simtrials: error: ...`` and exits with status 2 for a usage error
(a bad option or argument) and 1 for anything else; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "parse_where", "parse_fields"]

PROG = "simtrials"
_NCT = re.compile(r"^NCT\d{8}$", re.I)
_WHERE = re.compile(r"^\s*([A-Za-z_]+)\s*(>=|<=|!=|==|=|>|<)\s*(.*?)\s*$")


class UsageError(Exception):
    """A bad option or argument found after parsing (exit status 2)."""


class CommandError(Exception):
    """A command that cannot run as asked (exit status 1, message printed as it is)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``simtrials: error: ...`` and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        hint = f" (see '{self.prog} --help')"
        sys.stderr.write(f"{PROG}: error: {message}{hint}\n")
        sys.exit(2)


# ============================================================================ parsing values


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value}")
    return value


def parse_fields(text: str) -> dict[str, float]:
    """``"all=1,conditions=0.5"`` -> ``{"all": 1.0, "conditions": 0.5}``; ``"title,conditions"``
    gives each named field weight 1.

    Raises
    ------
    UsageError
        An unknown field, a weight that is not a number >= 0, or no field at all.
    """
    from .represent import FIELDS

    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, weight = part.partition("=")
        name = name.strip()
        if name not in FIELDS:
            raise UsageError(
                f"--fields: unknown field {name!r}; expected some of {', '.join(FIELDS)}"
            )
        try:
            value = float(weight) if sep else 1.0
        except ValueError:
            raise UsageError(
                f"--fields: the weight of {name!r} must be a number, got {weight!r}"
            ) from None
        if not value >= 0 or math.isinf(value):
            raise UsageError(f"--fields: the weight of {name!r} must be >= 0, got {weight!r}")
        out[name] = value
    if not out:
        raise UsageError("--fields: name at least one field, e.g. --fields all=1,conditions=1")
    if not any(w > 0 for w in out.values()):
        raise UsageError("--fields: at least one field needs a weight above 0")
    return out


def _where_value(column: str, kind: str, text: str) -> Any:
    if kind in ("int", "float"):
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"--where {column}: expected a number, got {text!r}") from None
        return int(number) if kind == "int" and number.is_integer() else number
    if kind == "bool":
        low = text.lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise UsageError(f"--where {column}: expected true or false, got {text!r}")
    return text


def parse_where(items: Sequence[str] | None) -> dict[str, Any]:
    """``--where`` options -> the ``where=`` dict of :meth:`TrialIndex.similar`.

    - ``phases=PHASE2,PHASE3``: the value (or any element of a list column) is one of these;
    - ``start_date>=2015-01-01`` (also ``> <= < == !=``): a comparison;
    - ``start_date=2015-01-01..2020-12-31``: a range, both ends included;
    - the same column twice as ``>=`` and ``<=`` is a range too.

    Raises
    ------
    UsageError
        Bad syntax, an unknown column, or a value of the wrong type.
    """
    from . import schema
    from .errors import QueryError
    from .search.filters import validate_where

    kinds = {c.name: c.kind for c in schema.COLUMNS if c.name != "source"}
    where: dict[str, Any] = {}
    for item in items or []:
        m = _WHERE.match(item)
        if not m or not m.group(3):
            raise UsageError(
                f"--where {item!r}: expected COLUMN=VALUE[,VALUE...], COLUMN>=VALUE or "
                "COLUMN=LOW..HIGH, e.g. --where phases=PHASE2,PHASE3 --where 'start_date>=2015-01-01'"
            )
        column, op, text = m.groups()
        if column not in kinds:
            raise UsageError(
                f"--where {item!r}: unknown column {column!r}; expected one of {', '.join(kinds)}"
            )
        kind = kinds[column]
        if op == "=" and ".." in text and kind in ("date", "int", "float"):
            low, _, high = text.partition("..")
            cond: Any = (
                "between",
                _where_value(column, kind, low.strip()),
                _where_value(column, kind, high.strip()),
            )
        elif op == "=":
            values = [v.strip() for v in text.split(",") if v.strip()]
            cond = [_where_value(column, kind, v) for v in values]
            if kind == "bool":
                cond = cond[0] if len(cond) == 1 else cond
        else:
            cond = (op, _where_value(column, kind, text))
        if column in where:
            cond = _combine(column, where[column], cond)
        where[column] = cond
    try:
        return validate_where(where)
    except QueryError as exc:
        raise UsageError(f"--where: {exc}") from None


def _combine(column: str, old: Any, new: Any) -> Any:
    ops = {}
    for cond in (old, new):
        if isinstance(cond, tuple) and cond[0] in (">=", "<="):
            ops[cond[0]] = cond[1]
    if set(ops) == {">=", "<="}:
        return ("between", ops[">="], ops["<="])
    raise UsageError(
        f"--where: {column!r} is given twice; give each column once (a range is "
        f"{column}>=LOW with {column}<=HIGH, or {column}=LOW..HIGH)"
    )


# ============================================================================ output


def _plain(value: Any) -> Any:
    """A cell -> a JSON value: lists stay lists, dates become ISO strings, missing is None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 6)
    return str(value) if not isinstance(value, str) else value


def _records(frame: Any) -> list[dict[str, Any]]:
    return [
        {str(col): _plain(val) for col, val in zip(frame.columns, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, list):
        return "; ".join("" if v is None else str(v) for v in value)
    return value


def _write_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _write_csv(frame: Any) -> None:
    import pandas as pd

    out = pd.DataFrame({col: [_csv_cell(v) for v in frame[col]] for col in frame.columns})
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    sys.stdout.write(buffer.getvalue())


def _short(value: Any, width: int) -> str:
    value = _plain(value)
    if isinstance(value, list):
        text = ", ".join(map(str, value))
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _text_table(columns: dict[str, list[str]], right: set[str]) -> str:
    """Fixed-width columns, two spaces apart; the columns in ``right`` right-aligned."""
    widths = {c: max([len(c), *map(len, v)]) for c, v in columns.items()}

    def cell(col: str, text: str) -> str:
        return text.rjust(widths[col]) if col in right else text.ljust(widths[col])

    n = len(next(iter(columns.values()), []))
    lines = ["  ".join(cell(c, c) for c in columns).rstrip()]
    lines += ["  ".join(cell(c, columns[c][i]) for c in columns).rstrip() for i in range(n)]
    return "\n".join(lines)


def _hits_table(hits: Any) -> str:
    """A compact text table of hits for the terminal: scores, phase, status, start, title."""
    import pandas as pd

    if len(hits) == 0:
        return "(no trials match)"
    cols: dict[str, list[str]] = {"rank": [str(r) for r in hits["rank"]]}
    cols["nct_id"] = list(hits["nct_id"])
    scores = [c for c in hits.columns if c == "score" or c.startswith("score_")]
    for col in scores:
        cols[col.removeprefix("score_")] = ["" if pd.isna(v) else f"{v:.3f}" for v in hits[col]]
    cols["phases"] = [_short(v, 20) for v in hits["phases"]]
    cols["status"] = [_short(v, 23) for v in hits["overall_status"]]
    cols["start"] = [
        "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m") for v in hits["start_date"]
    ]
    cols["title"] = [_short(v, 70) for v in hits["title"]]
    right = {"rank", *(c.removeprefix("score_") for c in scores)}
    return _text_table(cols, right)


def _emit_frame(frame: Any, fmt: str, table: Callable[[], str]) -> None:
    if fmt == "json":
        _write_json(_records(frame))
    elif fmt == "csv":
        _write_csv(frame)
    else:
        sys.stdout.write(table() + "\n")


def _info(message: str) -> None:
    sys.stderr.write(message + "\n")


# ============================================================================ commands


def _load_index(path: str) -> Any:
    from .trial_index import TrialIndex

    folder = Path(path).expanduser()
    if not (folder / "manifest.json").is_file():
        hint = "" if folder.exists() else " (no such directory)"
        raise FileNotFoundError(
            f"{path}: not a saved simtrials index{hint}; build one with `simtrials build DATA --out {path}`"
        )
    return TrialIndex.load(folder)


def _query_arg(text: str, *, allow_text: bool) -> Any:
    """An NCT ID, a JSON file holding one study or record, or (if allowed) a free text."""
    stripped = text.strip()
    if _NCT.match(stripped):
        return stripped.upper()
    path = Path(stripped).expanduser()
    if path.is_file():
        return _read_query_file(path)
    if allow_text:
        return text
    if stripped.lower().endswith(".json"):
        raise FileNotFoundError(f"query file {text!r} does not exist")
    raise UsageError(
        f"{text!r} is neither an NCT ID nor a JSON file of a study; "
        "for free text use `simtrials search`"
    )


def _read_query_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the query file {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        data = data["studies"]
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(
                f"the query file {path} holds {len(data)} studies; a query is one study "
                "(an API v2 study, or a record with title, conditions, interventions …)"
            )
        data = data[0]
    if not isinstance(data, dict):
        raise ValueError(
            f"the query file {path} holds a JSON {type(data).__name__}; expected one study object"
        )
    return data


def cmd_build(args: argparse.Namespace) -> int:
    from .io import read_ctgov
    from .trial_index import TrialIndex

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
    _info(f"read {len(trials):,} trials from {len(args.data)} file(s)")
    options: dict[str, Any] = {}
    if args.lexical_weight is not None:
        options["lexical_weight"] = args.lexical_weight
    index = TrialIndex.build(
        trials,
        model=args.model,
        fields=fields,
        index=args.index,
        **options,
        show_progress=not args.no_progress,
        cache_dir=args.cache_dir,
        device=args.device,
    )
    out = index.save(args.out)
    seconds = time.perf_counter() - start
    _info(f"indexed {len(index):,} trials in {seconds:.1f} s: {index!r}")
    _info(f"saved to {out}")
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    where = parse_where(args.where)
    query = _query_arg(args.query, allow_text=False)
    index = _load_index(args.index)
    hits = index.similar(query, k=args.k, where=where or None)
    _emit_frame(
        hits,
        args.format,
        lambda: (
            f"{len(hits)} trials similar to {hits.query} (of {len(index):,} indexed)\n"
            + _hits_table(hits)
        ),
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    where = parse_where(args.where)
    if not args.text.strip():
        raise UsageError("the search text is empty")
    index = _load_index(args.index)
    hits = index.search(args.text, k=args.k, where=where or None)
    _emit_frame(
        hits,
        args.format,
        lambda: (
            f"{len(hits)} trials matching {hits.query} (of {len(index):,} indexed)\n"
            + _hits_table(hits)
        ),
    )
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    query = _query_arg(args.query, allow_text=True)
    nct = args.nct_id.strip().upper()
    if not _NCT.match(nct):
        raise UsageError(f"{args.nct_id!r} is not an NCT ID (NCT followed by 8 digits)")
    index = _load_index(args.index)
    explanation = index.explain(query, nct)
    if args.format == "json":
        data = {
            "query": explanation.query,
            "nct_id": explanation.nct_id,
            "title": explanation.title,
            "score": _plain(explanation.score),
            "field_scores": {f: _plain(v) for f, v in explanation.field_scores.items()},
            "lexical": _plain(explanation.lexical),
            "shared_conditions": list(explanation.shared_conditions),
            "shared_interventions": list(explanation.shared_interventions),
            "shared_terms": list(explanation.shared_terms),
        }
        _write_json(data)
    else:
        sys.stdout.write(repr(explanation) + "\n")
    return 0


def _read_qrels(path: str | None) -> Any:
    import pandas as pd

    from . import datasets

    if path is None:
        return datasets.load_relevance()
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


BASELINES = ("tfidf", "bm25", "dense", "random")


def cmd_eval(args: argparse.Namespace) -> int:
    import simtrials

    evaluate = getattr(simtrials, "evaluate", None)
    if not callable(evaluate):
        raise CommandError(
            "this version of simtrials has no evaluation module (simtrials.evaluate)"
        )
    baselines = [b.strip() for b in (args.baselines or "").split(",") if b.strip()]
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise UsageError(
            f"--baselines: unknown baseline {unknown[0]!r}; expected some of {', '.join(BASELINES)}"
        )
    qrels = _read_qrels(args.qrels)
    index = _load_index(args.index)
    options = {
        "mode": args.mode,
        "k": tuple(args.k),
        "on_missing": "skip" if args.skip_missing else "error",
    }
    if baselines:
        systems = {"simtrials": index, **_build_baselines(baselines, index)}
        wide = simtrials.compare(systems, qrels, reference="simtrials", **options)
        attrs, table = dict(wide.attrs), _compare_long(wide)
    else:
        table = evaluate(index, qrels, **options)
        attrs = dict(table.attrs)
    level = attrs.get("level", 0.95)
    n = attrs.get("n_queries", "?")
    _info(f"{args.mode} mode, {n} judged queries, {level:.0%} bootstrap CI over queries")

    def text() -> str:
        shown = table.copy()
        for col in shown.columns:
            if col not in ("system", "metric"):
                shown[col] = shown[col].map(lambda v: f"{v:.3f}")
        return shown.to_string(index=False)

    _emit_frame(table, args.format, text)
    return 0


def _build_baselines(names: list[str], index: Any) -> dict[str, Any]:
    from . import baselines as bl

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


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def cmd_info(args: argparse.Namespace) -> int:
    from . import persist

    folder = Path(args.index).expanduser()
    if not (folder / "manifest.json").is_file():
        raise FileNotFoundError(f"{args.index}: not a saved simtrials index (no manifest.json)")
    manifest, data = persist.read_manifest(folder, verify=args.verify)
    model = manifest.get("model", {})
    scoring = manifest.get("scoring", {})
    spec = manifest.get("index", {})
    factory = spec.get("factory")
    info = {
        "path": str(folder.resolve()),
        "trials": manifest.get("counts", {}).get("trials"),
        "model": model.get("name"),
        "dimension": model.get("dimension"),
        "model_fingerprint": model.get("fingerprint"),
        "fields": scoring.get("fields", {}),
        "lexical_weight": scoring.get("lexical_weight"),
        "caps": scoring.get("caps", {}),
        "index_type": factory,
        "exact": factory == "Flat",
        "format_version": manifest.get("format_version"),
        "size_bytes": _folder_size(folder),
        "checksums_verified": bool(args.verify),
    }
    if args.format == "json":
        _write_json(info)
        return 0

    def weights(d: dict) -> str:
        return ", ".join(f"{k}={v:g}" for k, v in d.items()) or "(none)"

    rows = [
        ("index", info["path"]),
        ("trials", f"{info['trials']:,}" if isinstance(info["trials"], int) else "?"),
        (
            "model",
            f"{info['model']} ({info['dimension']}-d, fingerprint {info['model_fingerprint']})",
        ),
        ("fields", weights(info["fields"])),
        (
            "lexical weight",
            f"{info['lexical_weight']:g}" if info["lexical_weight"] is not None else "?",
        ),
        ("caps", weights(info["caps"])),
        ("index type", f"{factory} ({'exact' if info['exact'] else 'approximate'})"),
        ("format version", str(info["format_version"])),
        ("size on disk", f"{info['size_bytes'] / 1e6:.1f} MB"),
    ]
    if args.verify:
        rows.append(("checksums", "verified"))
    width = max(len(k) for k, _ in rows)
    sys.stdout.write("".join(f"{k:<{width}}  {v}\n" for k, v in rows))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from .ctgov import Client

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
        _write_json(studies)
    else:
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(studies, fh, ensure_ascii=False)
                fh.write("\n")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    _info(f"wrote {len(studies):,} studies to {'stdout' if out is None else out}")
    return 0


# ============================================================================ the parser

EPILOGS = {
    "build": """examples:
  simtrials build ctg-studies.json --out stroke-index
  simtrials build a.csv b.json.zip --out idx --fields all=1,conditions=1 --no-progress
  simtrials build trials.parquet --out idx --model sentence-transformers/all-mpnet-base-v2""",
    "similar": """examples:
  simtrials similar stroke-index NCT03735277 -k 5
  simtrials similar stroke-index draft.json --where phases=PHASE2,PHASE3 \\
      --where overall_status=RECRUITING --where "start_date>=2015-01-01"
  simtrials similar stroke-index NCT03735277 --format json | jq '.[0]'

A query file holds one API v2 study, or a record such as
  {"title": "...", "conditions": ["Ischemic Stroke"], "interventions": ["Cord blood"]}
--where takes COLUMN=V1,V2 (any of), COLUMN>=V (also > <= < == !=) or COLUMN=LOW..HIGH.""",
    "search": """examples:
  simtrials search stroke-index "umbilical cord blood cells after ischemic stroke"
  simtrials search stroke-index "tenecteplase" -k 20 --where "start_date>=2018-01-01" --format csv""",
    "explain": """examples:
  simtrials explain stroke-index NCT03735277 NCT02460484
  simtrials explain stroke-index draft.json NCT02460484 --format json
  simtrials explain stroke-index "cord blood for stroke" NCT02460484""",
    "eval": """examples:
  simtrials eval judged-index                       # bundled dev judgements, re-rank mode
  simtrials eval judged-index --baselines tfidf,bm25,dense --format csv
  simtrials eval idx --qrels my-judgements.tsv --mode retrieve --skip-missing

A qrels file is a TSV or CSV with the columns query, candidate, grade.""",
    "info": """examples:
  simtrials info stroke-index
  simtrials info stroke-index --format json --verify""",
    "fetch": """examples:
  simtrials fetch --cond "ischemic stroke" --max 2000 --out stroke.json
  simtrials fetch --cond stroke --intr "stem cells" --status RECRUITING,COMPLETED --out cells.json
  simtrials build stroke.json --out stroke-index     # then index what was fetched""",
}


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``simtrials`` command."""
    from . import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error",
    )
    parser = _Parser(
        prog=PROG,
        description="Find the registered clinical trials most like yours, with the reasons.",
        epilog="Run 'simtrials COMMAND --help' for the options and examples of a command.",
    )
    parser.add_argument("--version", action="version", version=f"simtrials {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def command(name: str, help: str, func: Callable[[argparse.Namespace], int]) -> Any:
        p = sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=EPILOGS[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        p.set_defaults(func=func)
        return p

    def output(p: Any, choices: tuple[str, ...] = ("table", "csv", "json")) -> None:
        p.add_argument(
            "--format",
            choices=choices,
            default=choices[0],
            help=f"output format on stdout (default {choices[0]}); json lists are arrays, dates ISO",
        )

    def query_options(p: Any) -> None:
        p.add_argument("-k", type=_positive_int, default=10, help="how many trials (default 10)")
        p.add_argument(
            "--where",
            action="append",
            metavar="FILTER",
            help="filter, repeatable: phases=PHASE2,PHASE3 | overall_status=RECRUITING | "
            "'start_date>=2015-01-01' | start_date=2015-01-01..2020-12-31",
        )
        output(p)

    p = command("build", "index trial files and save the index to a directory", cmd_build)
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
        type=_fraction,
        default=None,
        metavar="W",
        help="share of the TF-IDF score, 0 to 1 (default 1/3)",
    )
    p.add_argument(
        "--index",
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

    p = command(
        "similar",
        "the trials most similar to a trial (an NCT ID or a JSON study file)",
        cmd_similar,
    )
    p.add_argument("index", metavar="DIR", help="a saved index")
    p.add_argument(
        "query",
        metavar="NCT_ID_OR_STUDY.json",
        help="an indexed NCT ID, or a JSON file with one study or record",
    )
    query_options(p)

    p = command("search", "the trials that best match a free text", cmd_search)
    p.add_argument("index", metavar="DIR", help="a saved index")
    p.add_argument("text", metavar="TEXT", help="a few words or lines about a trial")
    query_options(p)

    p = command("explain", "why a trial is related to a query", cmd_explain)
    p.add_argument("index", metavar="DIR", help="a saved index")
    p.add_argument("query", metavar="QUERY", help="an NCT ID, a JSON study file, or a free text")
    p.add_argument("nct_id", metavar="NCT_ID", help="the indexed trial to explain")
    output(p, ("text", "json"))

    p = command("eval", "evaluate an index on graded relevance judgements", cmd_eval)
    p.add_argument("index", metavar="DIR", help="a saved index holding the judged trials")
    p.add_argument(
        "--qrels",
        metavar="FILE",
        help="TSV/CSV with query, candidate, grade (default: the bundled dev set)",
    )
    p.add_argument(
        "--mode",
        choices=("rerank", "retrieve"),
        default="rerank",
        help="rerank each query's judged candidates (default) or retrieve from the whole index",
    )
    p.add_argument(
        "-k",
        type=_positive_int,
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
    output(p)

    p = command(
        "info", "what a saved index holds: size, model, fields, index type, format", cmd_info
    )
    p.add_argument("index", metavar="DIR", help="a saved index")
    p.add_argument("--verify", action="store_true", help="also check every file's checksum")
    output(p, ("text", "json"))

    from .ctgov.client import DEFAULT_BASE_URL, DEFAULT_CACHE_DIR

    p = command(
        "fetch", "download studies from the ClinicalTrials.gov API v2 to a JSON file", cmd_fetch
    )
    p.add_argument("--cond", metavar="TEXT", help="conditions (query.cond)")
    p.add_argument("--term", metavar="TEXT", help="any field (query.term)")
    p.add_argument("--intr", metavar="TEXT", help="interventions (query.intr)")
    p.add_argument(
        "--status", metavar="S,...", help="overall status(es), e.g. RECRUITING,COMPLETED"
    )
    p.add_argument("--ids", metavar="NCT,...", help="NCT IDs")
    p.add_argument("--max", type=_positive_int, metavar="N", help="stop after N studies")
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
    return parser


# ============================================================================ main


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    sys.stderr.write(f"{PROG}: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``simtrials`` command; returns the exit status."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    shown = warnings.showwarning
    if not debug:
        warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        if debug:
            raise
        sys.stderr.write(f"{PROG}: error: {exc} (see '{PROG} {args.command} --help')\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `simtrials similar ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if debug:
            raise
        sys.stderr.write(f"{PROG}: error: {_message(exc)}\n")
        return 1
    finally:
        warnings.showwarning = shown


def _message(exc: BaseException) -> str:
    from .errors import SimtrialsError

    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    if isinstance(exc, (SimtrialsError, CommandError, OSError, ValueError, ImportError)):
        return text.splitlines()[0] if "\n" in text else text
    return f"{type(exc).__name__}: {text} (run with --debug for the traceback)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
