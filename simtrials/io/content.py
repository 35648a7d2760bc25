"""From bytes (or a path) to normalized records, the format detected from the content.

gzip and zip by their magic bytes, parquet (a table simtrials wrote) by ``PAR1``, classic XML
by a leading ``<``, JSON by its first character (one study, a list of studies, an API page
``{"studies": […]}``, or NDJSON with one study per line), and anything else as a CSV export
(the website's current or legacy layout, with loose column names, or Trial2Vec's). A folder
is read file by file, a zip member by member; compressed data is inflated in bounded chunks
(:mod:`simtrials.io.archive`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from tqdm import tqdm

from .. import schema
from ..errors import TrialFormatError
from . import archive
from .ctgov_csv import looks_like_trial_csv, parse_csv_frame
from .ctgov_json import is_study, parse_study
from .ctgov_xml import looks_like_xml, parse_clinical_study

__all__ = [
    "TrialFormatWarning",
    "Context",
    "detect_format",
    "from_path",
    "from_bytes",
    "from_json",
]

Errors = Literal["raise", "skip"]
Records = list[dict]

_GZIP, _ZIP, _PARQUET = b"\x1f\x8b", b"PK\x03\x04", b"PAR1"
_EMPTY_ZIP = b"PK\x05\x06"  # a zip with no members is only its end record
_HTML = re.compile(rb"^(\xef\xbb\xbf)?\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.I | re.S)
PROGRESS_MIN = 200  # archives and folders with at least this many files show a progress bar


class TrialFormatWarning(UserWarning):
    """Records were skipped or repaired while reading."""


@dataclass
class Context:
    """The settings of one ``read_ctgov`` call and the bad records it skipped."""

    errors: Errors = "raise"
    max_member_bytes: int = archive.MAX_MEMBER_BYTES
    show_progress: bool = True
    problems: list[TrialFormatError] = field(default_factory=list)

    def failed(self, err: TrialFormatError) -> None:
        """Raise ``err``, or (``errors="skip"``) keep it to report and go on."""
        if self.errors == "raise":
            raise err
        self.problems.append(err)


def _records(got: Records | pd.DataFrame) -> Records:
    return got.to_dict("records") if isinstance(got, pd.DataFrame) else got


# ---------------------------------------------------------------------- paths


def detect_format(path: str | Path) -> Literal["json", "xml", "csv", "parquet"]:
    """The record format of a file, from its content as :func:`read_ctgov` detects it.

    A ``.gz`` is looked into; a zip is ``"xml"`` when every member is a ``.xml`` file
    (``AllPublicXML.zip``), else ``"json"`` (the API v2 bulk download). Anything that is not
    JSON, XML or parquet is ``"csv"``.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head[:2] == _GZIP:
        with open(path, "rb") as fh, gzip.GzipFile(fileobj=fh) as gz:
            head = gz.read(512)
    if head[:4] == _ZIP:
        with zipfile.ZipFile(path) as zf:
            names = [m.filename for m in archive.zip_members(zf)]
        return "xml" if names and all(n.lower().endswith(".xml") for n in names) else "json"
    if head[:4] == _PARQUET:
        return "parquet"
    if looks_like_xml(head):
        return "xml"
    return "json" if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") else "csv"


def from_path(path: Path, ctx: Context) -> Records | pd.DataFrame:
    """Read one file or every file under a folder (recursively, in name order)."""
    if path.is_dir():
        return _from_folder(path, ctx)
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head[:2] == _GZIP:
            fh.seek(0)
            inner = archive.gunzip(fh, ctx.max_member_bytes, str(path))
            return from_bytes(inner, str(path), ctx)
        if head in (_ZIP, _EMPTY_ZIP):
            fh.seek(0)
            return _from_zip(fh, str(path), ctx)
    return from_bytes(path.read_bytes(), str(path), ctx)


def _hidden(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _from_folder(folder: Path, ctx: Context) -> Records:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
    if not files:
        raise TrialFormatError("the folder holds no files", source=str(folder))
    out: Records = []
    bar = tqdm(
        files,
        desc=f"reading {folder.name}",
        unit="file",
        disable=not ctx.show_progress or len(files) < PROGRESS_MIN,
    )
    for path in bar:
        try:
            out.extend(_records(from_path(path, ctx)))
        except TrialFormatError as err:
            ctx.failed(err)
    return out


# ---------------------------------------------------------------------- bytes


def from_bytes(data: bytes, name: str, ctx: Context) -> Records | pd.DataFrame:
    """Read the content of one file (or zip member) named ``name``."""
    if not data.strip():
        raise TrialFormatError("the file is empty", source=name)
    if data[:2] == _GZIP:
        inner = archive.gunzip(io.BytesIO(data), ctx.max_member_bytes, name)
        return from_bytes(inner, name, ctx)
    if data[:4] in (_ZIP, _EMPTY_ZIP):
        return _from_zip(io.BytesIO(data), name, ctx)
    if data[:4] == _PARQUET:
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise TrialFormatError(f"broken parquet file ({exc})", source=name) from None
        return schema.validate(frame, source=name)
    if looks_like_xml(data[:512]):
        if _HTML.match(data[:512]):
            raise TrialFormatError(
                "an HTML page (a saved web page or an error page?), not ClinicalTrials.gov "
                "JSON, XML or CSV",
                source=name,
            )
        return [parse_clinical_study(data, source=name, position=0)]
    text = _decode(data, name)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return _from_json_text(text, name, ctx)
    return _from_csv_text(text, name, ctx)


def _decode(data: bytes, name: str) -> str:
    # UTF-16 with a byte order mark (Excel's "Unicode text")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TrialFormatError(f"broken UTF-16 text (byte {exc.start})", source=name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warnings.warn(
            f"{name}: not valid UTF-8 (byte {exc.start}); decoded as Windows-1252",
            TrialFormatWarning,
            stacklevel=5,
        )
        return data.decode("cp1252", errors="replace")


def _from_zip(stream, name: str, ctx: Context) -> Records:
    """Every member of a zip, read one at a time (each inflated with the member limit)."""
    try:
        zf = zipfile.ZipFile(stream)
        members = archive.zip_members(zf)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise TrialFormatError(f"broken zip file ({exc})", source=name) from None
    if not members:
        raise TrialFormatError("the zip file holds no files", source=name)
    out: Records = []
    bar = tqdm(
        members,
        desc=f"reading {Path(name).name}",
        unit="file",
        disable=not ctx.show_progress or len(members) < PROGRESS_MIN,
    )
    with zf:
        for m in bar:
            member = f"{name}!{m.filename}"
            try:
                raw = archive.read_member(zf, m, ctx.max_member_bytes, member)
                got = from_bytes(raw, member, ctx)
                del raw
            except TrialFormatError as err:
                ctx.failed(err)
                continue
            out.extend(_records(got))
    return out


# ---------------------------------------------------------------------- JSON


def _from_json_text(text: str, name: str, ctx: Context) -> Records:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and text.lstrip().startswith("{") and _is_json(lines[0]):
            return _from_ndjson(lines, name, ctx)
        raise TrialFormatError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=name
        ) from None
    return from_json(obj, name, ctx)


def _is_json(text: str) -> bool:
    """Whether ``text`` is one whole JSON value (an NDJSON line; not the start of a document)."""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def _from_ndjson(lines: list[str], name: str, ctx: Context) -> Records:
    out = []
    for i, line in enumerate(lines):
        try:
            obj = json.loads(line)
            out.append(parse_study(obj, source=name, position=i))
        except json.JSONDecodeError as exc:
            ctx.failed(
                TrialFormatError(
                    f"invalid JSON on line {i + 1}: {exc.msg}", source=name, position=i
                )
            )
        except TrialFormatError as err:
            ctx.failed(err)
    return out


def from_json(obj: Any, name: str, ctx: Context) -> Records:
    """Parsed API v2 JSON (a study, a list of studies or a page) as records."""
    if isinstance(obj, dict) and "studies" in obj and not is_study(obj):
        studies = obj["studies"]
        if not isinstance(studies, list):
            raise TrialFormatError(
                f"'studies' must be a list, got {type(studies).__name__}",
                source=name,
                field="studies",
            )
    elif isinstance(obj, dict):
        if not is_study(obj):
            keys = ", ".join(list(obj)[:6])
            raise TrialFormatError(
                "JSON is not a ClinicalTrials.gov API v2 study or page: expected 'protocolSection' "
                f"or 'studies', found keys {keys or '(none)'}",
                source=name,
                field="protocolSection",
            )
        studies = [obj]
    elif isinstance(obj, list):
        studies = obj
    else:
        raise TrialFormatError(f"JSON holds a {type(obj).__name__}, not studies", source=name)
    out = []
    for i, study in enumerate(studies):
        try:
            out.append(parse_study(study, source=name, position=i))
        except TrialFormatError as err:
            ctx.failed(err)
    return out


# ---------------------------------------------------------------------- CSV


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sniffed = max(counts, key=counts.get)
    # The header decides when the sniffer disagrees with it (free text is full of commas).
    best = max(counts, key=counts.get)
    return sniffed if counts.get(sniffed, 0) >= counts[best] else best


def _from_csv_text(text: str, name: str, ctx: Context) -> Records:
    delimiter = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter, index_col=False
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise TrialFormatError(f"unreadable CSV ({str(exc).strip()})", source=name) from None
    if not looks_like_trial_csv(list(frame.columns)):
        raise TrialFormatError(
            "unknown format: not ClinicalTrials.gov JSON or XML, and a CSV without an "
            f"'NCT Number' column (first columns: {', '.join(map(str, list(frame.columns)[:5]))})",
            source=name,
        )
    records, bad = parse_csv_frame(frame, source=name, errors=ctx.errors)
    ctx.problems.extend(bad)
    return records
