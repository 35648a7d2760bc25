#!/usr/bin/env python
"""Build ``data/`` from the real ClinicalTrials.gov records in ``../shared/data``.

Reproducible: the same input gives the same files. What it writes:

- ``data/trials.parquet``: the small corpus (the default of ``load_trials()``), the 8,769
  distinct trials of the 28 source files the judged relevance pairs were pooled over
  (:data:`SMALL_SOURCES`); it must keep exactly those NCT IDs (checked against the existing
  file and the judged pairs).
- ``data/trials-full.parquet``: the full corpus, every distinct trial of every file in
  ``../shared/data/raw`` (API v2 JSON, classic XML, current and legacy CSV exports).
- In both, when a trial is in several files the record kept is the one of the best format
  (API v2 JSON, then classic XML, then CSV exports: JSON and XML carry summaries,
  descriptions, MeSH terms, arms and eligibility that CSVs lack), then the richest (most
  schema fields filled), then the first source by name. zstd-compressed parquet.
- ``data/eval/``: the judged relevance pairs and their README, copied unchanged.
- ``data/samples/``: small real files in each input format, for tests and examples, cut from
  the raw files without editing any record (whole JSON files or zip members, whole CSV rows).
- ``data/SOURCES.md``: where every file came from, with counts and sha256.

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
from simtrials.io import TrialFormatWarning, detect_format, read_ctgov  # noqa: E402

SAMPLE_UROLOGY_N = 25
SAMPLE_CSV_N = 30
SMALL_FILE = "trials.parquet"
FULL_FILE = "trials-full.parquet"

# The source files of the small corpus: those the judged relevance pairs were pooled over
# (``../shared/data/eval/README.md``). Files added to ../shared later go to the full corpus only.
SMALL_SOURCES = (
    "raw/adamq1337-rag/ctg-studies.csv",
    "raw/aliza0811-hypertension/ctg-studies.csv",
    "raw/aliza0811-statmonitoring/ctg-studies.csv",
    "raw/anand21j-semantic/ctg-studies.csv.gz",
    "raw/dgg32-clinical-trials-public/ctg-studies(2).json",
    "raw/dgg32-clinical-trials-public/ctg-studies(5).json",
    "raw/dgg32-clinical-trials-public/ctg-studies.json",
    "raw/dgg32-graph-bigquery/ctg-studies.json",
    "raw/jk1201-analytics/ctg-studies.csv",
    "raw/johnnoxas-mrd/ctg-studies.csv",
    "raw/koy570-herniated-disc/ctg-studies.json",
    "raw/kranthik0-takehome/ctg-studies.csv",
    "raw/marcmorcos-urology/ctg-studies.csv",
    "raw/marcmorcos-urology/ctg-studies.json.zip",
    "raw/nathanhtkd-rag/ctg-studies.csv",
    "raw/nedharvey-ctrestart/ctg-studies.csv",
    "raw/onlyjazz-flask/ctg-studies.csv",
    "raw/rohanramnarain-trial2vec2/ctg-studies-completed.csv",
    "raw/rohanramnarain-trial2vec2/ctg-studies.csv",
    "raw/sammijiyoung2-az/ctg-studies.csv",
    "raw/scampbe3-my-website/ctg-studies.json",
    "raw/spikar-llamaparser/ctg-studies.csv",
    "raw/spikar-llamaparser/ctg-studies2.csv",
    "raw/trial2vec-demo/demo_data__clinical_trial_mini.csv",
    "raw/trialmatchai/ctg-studies.json",
    "raw/vikassharma58-kinchabot/ctg-studies.csv",
    "raw/vsuptl-json-conversion/ctg-studies(3).json",
    "raw/vsuptl-json-conversion/ctg-studies.json",
)


FORMAT_RANK = {"json": 0, "xml": 1, "csv": 2, "parquet": 3}


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


def read_all(shared: Path, files: list[str]) -> pd.DataFrame:
    """Every record of ``files`` (paths relative to ``shared``), ``source`` naming its file."""
    frames = []
    for rel in files:
        path = shared / rel
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialFormatWarning)
            df = read_ctgov(path)
        df["source"] = rel
        df["_format"] = FORMAT_RANK[detect_format(path)]
        frames.append(df)
        print(f"  {rel}: {len(df)} records", file=sys.stderr)
    return pd.concat(frames, ignore_index=True)


def pick_best(all_records: pd.DataFrame) -> pd.DataFrame:
    """One record per NCT ID: best format, then richest, then first source by name."""
    df = all_records.copy()
    df["_rich"] = df.apply(richness, axis=1)
    df = df.sort_values(
        ["nct_id", "_format", "_rich", "source"],
        ascending=[True, True, False, True],
        kind="stable",
    )
    df = df.drop_duplicates("nct_id", keep="first").drop(columns=["_format", "_rich"])
    df = df.sort_values("nct_id", kind="stable").reset_index(drop=True)
    return schema.validate(df, source="corpus")


def write_corpus(corpus: pd.DataFrame, path: Path) -> None:
    # one row group with big pages: zstd sees more text at once (about 7% smaller)
    corpus.to_parquet(
        path,
        compression="zstd",
        compression_level=19,
        index=False,
        row_group_size=max(len(corpus), 1),
        data_page_size=8 * 2**20,
    )
    print(f"wrote {path}: {len(corpus)} trials, {path.stat().st_size:,} bytes", file=sys.stderr)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_samples(raw: Path, out: Path) -> list[tuple[str, str, int]]:
    """Small real files, one per input format. Returns (file, made from, records)."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    # an API v2 JSON list, copied whole
    src = raw / "trialmatchai" / "ctg-studies.json"
    shutil.copyfile(src, out / "ctgov_studies.json")
    n = len(json.loads(src.read_text()))
    made.append(("ctgov_studies.json", "raw/trialmatchai/ctg-studies.json (whole file)", n))
    # the bulk-download zip and the website CSV of the SAME trials (urology), for agreement tests
    with zipfile.ZipFile(raw / "marcmorcos-urology" / "ctg-studies.json.zip") as zin:
        members = sorted(zin.namelist())[:SAMPLE_UROLOGY_N]
        zipped = _zip({m: zin.read(m) for m in members}, (2025, 4, 4, 0, 0, 0))
    (out / "urology.json.zip").write_bytes(zipped)
    ids = {Path(m).stem for m in members}
    made.append(
        (
            "urology.json.zip",
            f"raw/marcmorcos-urology/ctg-studies.json.zip (first {len(ids)} members by name)",
            len(ids),
        )
    )
    rows = _csv_rows(
        raw / "marcmorcos-urology" / "ctg-studies.csv", lambda r: r["NCT Number"] in ids
    )
    _write_csv(out / "urology.csv", rows)
    what = "raw/marcmorcos-urology/ctg-studies.csv (the rows of the same trials)"
    made.append(("urology.csv", what, len(rows[1])))
    # CSV exports cut to their first rows: (sample, raw file, rows, gzip it)
    for name, rel, limit, gz in (
        ("underscore_columns.csv", "jk1201-analytics/ctg-studies.csv", SAMPLE_CSV_N, False),
        ("website_export.csv.gz", "aliza0811-statmonitoring/ctg-studies.csv", SAMPLE_CSV_N, True),
        ("trial2vec_layout.csv", "trial2vec-demo/demo_data__clinical_trial_mini.csv", 20, False),
        # the legacy website export (SearchResults.csv layout), with 'null' cells
        ("legacy_search_results.csv", "basskot-bcell/SearchResults.csv", SAMPLE_CSV_N, False),
    ):
        rows = _csv_rows(raw / rel, None, limit)
        text = io.StringIO()
        _write_csv(text, rows)
        data = text.getvalue().encode("utf-8")
        (out / name).write_bytes(gzip.compress(data, mtime=0) if gz else data)
        what = f"raw/{rel} (first {limit} rows){', gzipped' if gz else ''}"
        made.append((name, what, len(rows[1])))
    return made + _xml_samples(raw, out)


def _json_studies(raw: Path) -> dict[str, tuple[str, bytes]]:
    """Every API v2 study of raw/ by NCT ID: (file it came from, its JSON bytes)."""
    found: dict[str, tuple[str, bytes]] = {}
    for path in sorted(raw.rglob("*")):
        if not path.is_file() or detect_format(path) != "json":
            continue
        rel = str(path.relative_to(raw.parent))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for name in sorted(zf.namelist()):
                    data = zf.read(name)
                    nct = json.loads(data)["protocolSection"]["identificationModule"]["nctId"]
                    found.setdefault(nct, (f"{rel}!{name}", data))
            continue
        obj = json.loads(path.read_text(encoding="utf-8"))
        studies = obj.get("studies", [obj]) if isinstance(obj, dict) else obj
        for study in studies:
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            data = json.dumps(study, ensure_ascii=False, indent=2).encode("utf-8")
            found.setdefault(nct, (rel, data))
    return found


def _xml_samples(raw: Path, out: Path) -> list[tuple[str, str, int]]:
    """The classic XML studies that raw/ also holds as API v2 JSON, in both forms."""
    src = raw / "reesewang25-enrollment" / "AllPublicXML.zip"
    studies = _json_studies(raw)
    with zipfile.ZipFile(src) as zin:
        members = sorted(
            m for m in zin.namelist() if m.endswith(".xml") and Path(m).stem in studies
        )
        xml_zip = _zip({m: zin.read(m) for m in members})
    ids = [Path(m).stem for m in members]
    json_zip = _zip({f"{nct}.json": studies[nct][1] for nct in ids})
    (out / "classic_xml.zip").write_bytes(xml_zip)
    (out / "classic_xml_same_trials.json.zip").write_bytes(json_zip)
    froms = sorted({studies[nct][0].split("!")[0] for nct in ids})
    return [
        (
            "classic_xml.zip",
            "raw/reesewang25-enrollment/AllPublicXML.zip (the members, in the AllPublicXML "
            "layout, of the trials raw/ also holds as API v2 JSON)",
            len(ids),
        ),
        (
            "classic_xml_same_trials.json.zip",
            "the same trials' API v2 JSON (zip members copied; studies of JSON lists written "
            f"out one per file, unedited) from {', '.join(froms)}",
            len(ids),
        ),
    ]


def _zip(members: dict[str, bytes], date_time: tuple = (2025, 1, 1, 0, 0, 0)) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
    return buf.getvalue()


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
    if isinstance(target, Path):
        with open(target, "w", encoding="utf-8", newline="") as fh:
            return _write_csv(fh, header_rows)
    header, rows = header_rows
    w = csv.writer(target, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "data")
    ap.add_argument(
        "--allow-new-ids",
        action="store_true",
        help="write a small corpus whose NCT IDs differ from the existing data/trials.parquet",
    )
    args = ap.parse_args(argv)
    shared: Path = args.shared
    raw = shared / "raw"
    if not raw.is_dir():
        print(
            f"error: {raw} not found (expected ../shared/data beside the repository)",
            file=sys.stderr,
        )
        return 2
    missing = [f for f in SMALL_SOURCES if not (shared / f).is_file()]
    if missing:
        print(f"error: source files of the small corpus missing: {missing}", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    files = sorted(str(p.relative_to(shared)) for p in raw.rglob("*") if p.is_file())
    print(f"reading {len(files)} raw files:", file=sys.stderr)
    records = read_all(shared, files)
    small = pick_best(records[records["source"].isin(SMALL_SOURCES)])
    full = pick_best(records)
    problem = check_small(small, shared, out / SMALL_FILE)
    if problem and not args.allow_new_ids:
        print(f"error: {problem}; nothing written (--allow-new-ids to write it)", file=sys.stderr)
        return 1
    write_corpus(small, out / SMALL_FILE)
    write_corpus(full, out / FULL_FILE)

    (out / "eval").mkdir(exist_ok=True)
    for path in sorted((shared / "eval").iterdir()):
        shutil.copyfile(path, out / "eval" / path.name)
    samples = write_samples(raw, out / "samples")
    (out / "SOURCES.md").write_text(
        sources_md(records, small, full, files, shared, out, samples), encoding="utf-8"
    )
    print(f"wrote {out / 'SOURCES.md'}", file=sys.stderr)
    return 0


def check_small(small: pd.DataFrame, shared: Path, existing: Path) -> str | None:
    """Why the small corpus is not the one the judged pairs were made over (None: it is)."""
    ids = set(small["nct_id"])
    pairs = pd.read_csv(shared / "eval" / "relevance-dev.tsv", sep="\t", dtype=str)
    judged = set(pairs["query"]) | set(pairs["candidate"])
    if not judged <= ids:
        return f"{len(judged - ids)} judged trials are not in the small corpus"
    if existing.is_file():
        before = set(pd.read_parquet(existing, columns=["nct_id"])["nct_id"])
        if before != ids:
            return (
                f"the small corpus would change: {len(ids - before)} NCT IDs added, "
                f"{len(before - ids)} removed, against {existing}"
            )
    return None


def sources_md(records, small, full, files, shared, out, samples) -> str:
    """The text of data/SOURCES.md: per raw file, its format, sha256 and counts."""
    per_file = records["source"].value_counts()
    kept_small = small["source"].value_counts()
    kept_full = full["source"].value_counts()
    lines = [
        "# Bundled data: provenance",
        "",
        "Built by `scripts/build_data.py` (`make data`) from `../shared/data` (real",
        "ClinicalTrials.gov records collected from public GitHub repositories; see",
        "`../shared/data/SOURCES.md` for each file's repository, path, commit and licence). No",
        "record was invented or edited: the script reads the raw files with",
        "`simtrials.read_ctgov`, keeps one record per NCT ID and writes it out.",
        "",
        "## The two corpora",
        "",
        f'- `{SMALL_FILE}` (`load_trials()`, `corpus="small"`, the default): **{len(small)}**',
        f"  distinct trials of the {len(SMALL_SOURCES)} source files the judged relevance pairs",
        "  were pooled over (`eval/`), exactly the trials they were judged over.",
        f"  {(out / SMALL_FILE).stat().st_size:,} bytes, sha256 `{sha256(out / SMALL_FILE)}`.",
        f'- `{FULL_FILE}` (`load_trials(corpus="full")`): **{len(full)}** distinct trials of',
        f"  all {len(files)} raw files, the classic XML bulk download and legacy exports included.",
        f"  {(out / FULL_FILE).stat().st_size:,} bytes, sha256 `{sha256(out / FULL_FILE)}`.",
        "",
        "Both are in the normalized schema (`simtrials.schema`), zstd-compressed parquet. When a",
        "trial is in several files, the record kept is the one of the best format (API v2 JSON,",
        "then classic XML, then CSV exports), then the richest (most schema fields filled), then",
        "the first file by name; `source` names the raw file of each record. Records are the",
        "rows or studies read from a file (raw/'s own SOURCES.md counts every NCT ID a file",
        "mentions, so a few of its counts are higher).",
        "",
        "| raw file | format | sha256 | records in file | kept in small | kept in full |",
        "|---|---|---|---|---|---|",
    ]
    for rel in files:
        path = shared / rel
        in_small = rel in SMALL_SOURCES
        lines.append(
            f"| {rel} | {detect_format(path)} | `{sha256(path)}` | {int(per_file.get(rel, 0))} | "
            f"{int(kept_small.get(rel, 0)) if in_small else '-'} | {int(kept_full.get(rel, 0))} |"
        )
    n_small = int(per_file[per_file.index.isin(SMALL_SOURCES)].sum())
    lines += [
        f"| **total** | | | **{len(records)}** ({n_small} in small files) | **{len(small)}** "
        f"| **{len(full)}** |",
        "",
        "## eval/",
        "",
        "Copied unchanged from `../shared/data/eval/` (graded relevance judgements of real trial",
        "pairs, dev split; other files in `eval/` are added there by hand, see its README):",
        "",
    ]
    for path in sorted((shared / "eval").iterdir()):
        lines.append(f"- `eval/{path.name}`: sha256 `{sha256(out / 'eval' / path.name)}`")
    lines += [
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
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
