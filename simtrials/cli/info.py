"""``simtrials info DIR``: what a saved index holds, from :meth:`TrialIndex.describe`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .output import write_json
from .values import format_option, index_dir_argument, load_index

HELP = "what a saved index holds: size, model, fields, index type, format"
EPILOG = """examples:
  simtrials info stroke-index
  simtrials info stroke-index --format json --verify"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    index_dir_argument(p)
    p.add_argument("--verify", action="store_true", help="also check every file's checksum")
    format_option(p, ("text", "json"))


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _weights(d: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in d.items()) or "(none)"


def run(args: argparse.Namespace) -> int:
    d = load_index(args.index_dir, verify=args.verify).describe()
    info = {
        "path": d["path"],
        "trials": d["trials"],
        "model": d["model"],
        "dimension": d["dimension"],
        "model_fingerprint": d["model_fingerprint"],
        "fields": d["fields"],
        "lexical_weight": d["lexical_weight"],
        "caps": d["caps"],
        "index_type": d["index_type"],
        "exact": d["exact"],
        "format_version": d["format_version"],
        "size_bytes": _folder_size(Path(d["path"])),
        "checksums_verified": bool(args.verify),
    }
    if args.format == "json":
        write_json(info)
        return 0
    rows = [
        ("index", info["path"]),
        ("trials", f"{info['trials']:,}"),
        (
            "model",
            f"{info['model']} ({info['dimension']}-d, fingerprint {info['model_fingerprint']})",
        ),
        ("fields", _weights(info["fields"])),
        ("lexical weight", f"{info['lexical_weight']:g}"),
        ("caps", _weights(info["caps"])),
        ("index type", f"{info['index_type']} ({'exact' if info['exact'] else 'approximate'})"),
        ("format version", str(info["format_version"])),
        ("size on disk", f"{info['size_bytes'] / 1e6:.1f} MB"),
    ]
    if args.verify:
        rows.append(("checksums", "verified"))
    width = max(len(k) for k, _ in rows)
    sys.stdout.write("".join(f"{k:<{width}}  {v}\n" for k, v in rows))
    return 0
