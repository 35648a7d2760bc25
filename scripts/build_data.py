#!/usr/bin/env python
"""Build ``data/`` from the real ClinicalTrials.gov records in ``../shared/data``.

Reproducible: the same input gives the same files. What it writes:

- ``data/trials.parquet``: the whole deduplicated corpus in the normalized schema (zstd). When
  a trial is in several files, the richest record is kept, preferring API v2 JSON over CSV
  (JSON carries summaries, descriptions, MeSH terms and eligibility that CSVs lack).
- ``data/eval/``: the judged relevance pairs (dev split) and their README, copied unchanged.
- ``data/samples/``: small real files in each input format, for tests and examples, cut from
  the raw files without editing any record (whole JSON files or zip members, whole CSV rows).
- ``data/SOURCES.md``: where every file came from, with counts.

Usage: ``python scripts/build_data.py [--shared ../shared/data] [--out data]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import shutil
import sys
import warnings
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simtrials import schema  # noqa: E402
from simtrials.io import TrialFormatWarning, read_ctgov  # noqa: E402

# Files whose records are API v2 JSON; every other raw file is a CSV export.
JSON_SUFFIXES = (".json", ".json.zip")
SAMPLE_UROLOGY_N = 25
SAMPLE_CSV_N = 30


def richness(row: pd.Series) -> int:
    """How many schema fields a record fills (lists and text count when non-empty)."""
    n = 0
    for col in schema.COLUMN_NAMES:
        if col == "source":
            continue
        v = row[col]
        if isinstance(v, list):
            n += bool(v)
        else:
            n += not pd.isna(v)
    return n


def read_all(raw: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(p for p in raw.rglob("*") if p.is_file()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialFormatWarning)
            df = read_ctgov(path)
        df["source"] = str(path.relative_to(raw.parent)).replace("\\", "/")
        frames.append(df)
        print(f"  {path.relative_to(raw)}: {len(df)} records", file=sys.stderr)
    return pd.concat(frames, ignore_index=True)


def pick_richest(all_records: pd.DataFrame) -> pd.DataFrame:
    df = all_records.copy()
    df["_json"] = df["source"].str.endswith(JSON_SUFFIXES).astype(int)
    df["_rich"] = df.apply(richness, axis=1)
    df = df.sort_values(
        ["nct_id", "_json", "_rich", "source"], ascending=[True, False, False, True], kind="stable"
    )
    df = df.drop_duplicates("nct_id", keep="first").drop(columns=["_json", "_rich"])
    return df.sort_values("nct_id", kind="stable").reset_index(drop=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_samples(raw: Path, out: Path) -> list[tuple[str, str, int]]:
    """Small real files, one per input format. Returns (file, made from, records)."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    # 1. an API v2 JSON list, copied whole
    src = raw / "trialmatchai" / "ctg-studies.json"
    shutil.copyfile(src, out / "ctgov_studies.json")
    made.append(
        (
            "ctgov_studies.json",
            "raw/trialmatchai/ctg-studies.json (whole file)",
            len(json.loads(src.read_text())),
        )
    )
    # 2. the bulk-download zip and the website CSV of the SAME trials (urology), for agreement tests
    zsrc = raw / "marcmorcos-urology" / "ctg-studies.json.zip"
    with zipfile.ZipFile(zsrc) as zin:
        members = sorted(zin.namelist())[:SAMPLE_UROLOGY_N]
        ids = [Path(m).stem for m in members]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zout:
            for m in members:
                info = zipfile.ZipInfo(m, date_time=(2025, 4, 4, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zout.writestr(info, zin.read(m))
    (out / "urology.json.zip").write_bytes(buf.getvalue())
    made.append(
        (
            "urology.json.zip",
            f"raw/marcmorcos-urology/ctg-studies.json.zip (first {len(ids)} members by name)",
            len(ids),
        )
    )
    csv_rows = _csv_rows(
        raw / "marcmorcos-urology" / "ctg-studies.csv", lambda r: r["NCT Number"] in set(ids)
    )
    _write_csv(out / "urology.csv", csv_rows)
    made.append(
        (
            "urology.csv",
            "raw/marcmorcos-urology/ctg-studies.csv (the rows of the same trials)",
            len(csv_rows[1]),
        )
    )
    # 3. a CSV export with underscore column names and day-first dates
    rows = _csv_rows(raw / "jk1201-analytics" / "ctg-studies.csv", None, SAMPLE_CSV_N)
    _write_csv(out / "underscore_columns.csv", rows)
    made.append(
        (
            "underscore_columns.csv",
            f"raw/jk1201-analytics/ctg-studies.csv (first {SAMPLE_CSV_N} rows)",
            len(rows[1]),
        )
    )
    # 4. a website CSV export with brief summaries, gzipped
    rows = _csv_rows(raw / "aliza0811-statmonitoring" / "ctg-studies.csv", None, SAMPLE_CSV_N)
    text = io.StringIO()
    _write_csv(text, rows)
    (out / "website_export.csv.gz").write_bytes(
        gzip.compress(text.getvalue().encode("utf-8"), mtime=0)
    )
    made.append(
        (
            "website_export.csv.gz",
            f"raw/aliza0811-statmonitoring/ctg-studies.csv (first {SAMPLE_CSV_N} rows), gzipped",
            len(rows[1]),
        )
    )
    # 5. the Trial2Vec layout
    rows = _csv_rows(raw / "trial2vec-demo" / "demo_data__clinical_trial_mini.csv", None, 20)
    _write_csv(out / "trial2vec_layout.csv", rows)
    made.append(
        (
            "trial2vec_layout.csv",
            "raw/trial2vec-demo/demo_data__clinical_trial_mini.csv (first 20 rows)",
            len(rows[1]),
        )
    )
    return made


def _csv_rows(path: Path, keep=None, limit: int | None = None):
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = []
        for row in reader:
            rec = dict(zip(header, row))
            if keep is None or keep(rec):
                rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    return header, rows


def _write_csv(target, header_rows) -> None:
    header, rows = header_rows
    fh = open(target, "w", encoding="utf-8", newline="") if isinstance(target, Path) else target
    try:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    finally:
        if isinstance(target, Path):
            fh.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "data")
    args = ap.parse_args(argv)
    raw = args.shared / "raw"
    if not raw.is_dir():
        print(
            f"error: {raw} not found (expected ../shared/data beside the repository)",
            file=sys.stderr,
        )
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    print("reading raw files:", file=sys.stderr)
    all_records = read_all(raw)
    corpus = pick_richest(all_records)
    corpus.to_parquet(out / "trials.parquet", compression="zstd", compression_level=19, index=False)
    print(f"wrote {out / 'trials.parquet'}: {len(corpus)} trials", file=sys.stderr)

    (out / "eval").mkdir(exist_ok=True)
    for name in ("relevance-dev.tsv", "README.md"):
        shutil.copyfile(args.shared / "eval" / name, out / "eval" / name)
    samples = write_samples(raw, out / "samples")

    per_source = corpus["source"].value_counts().sort_index()
    records_per_file = all_records["source"].value_counts().sort_index()
    lines = [
        "# Bundled data: provenance",
        "",
        "Built by `scripts/build_data.py` from `../shared/data` (real ClinicalTrials.gov records",
        "collected from public GitHub repositories; see `../shared/data/SOURCES.md` for each file's",
        "repository, path, commit and licence). No record was invented or edited: the script reads",
        "the raw files with `simtrials.read_ctgov`, keeps one record per NCT ID and writes it out.",
        "",
        "## trials.parquet",
        "",
        f"{len(corpus)} distinct trials ({len(all_records)} records across {records_per_file.size} raw files)",
        "in the normalized schema (`simtrials.schema`), zstd-compressed parquet.",
        "When a trial is in several files, the record kept is the richest one (most schema fields",
        "filled), preferring API v2 JSON over CSV exports. `source` names the raw file of each record.",
        f"sha256: `{sha256(out / 'trials.parquet')}`",
        "",
        "| raw file | records in file | records kept in trials.parquet |",
        "|---|---|---|",
    ]
    for src, n in records_per_file.items():
        lines.append(f"| {src} | {n} | {int(per_source.get(src, 0))} |")
    lines += [
        f"| **total** | **{len(all_records)}** | **{len(corpus)}** |",
        "",
        "## eval/",
        "",
        "`relevance-dev.tsv` and `README.md` copied unchanged from `../shared/data/eval/` (graded",
        f"relevance judgements of real trial pairs, dev split; sha256 `{sha256(out / 'eval' / 'relevance-dev.tsv')}`).",
        "",
        "## samples/",
        "",
        "Small real files in each input format, for tests and examples. Whole records only:",
        "JSON files and zip members are byte-for-byte copies, CSV rows are copied whole.",
        "",
        "| file | made from | records |",
        "|---|---|---|",
    ]
    lines += [f"| samples/{f} | {src} | {n} |" for f, src, n in samples]
    lines.append("")
    (out / "SOURCES.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out / 'SOURCES.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
