"""``read_ctgov``: any ClinicalTrials.gov source -> one normalized trial table.

The format is detected from the content, not the file name: gzip and zip by their magic
bytes, parquet (a table simtrials wrote) by ``PAR1``, JSON by its first character (one study,
a list of studies, an API page ``{"studies": […]}``, or NDJSON with one study per line), and
anything else as a CSV export (website layout, with loose column names, or Trial2Vec's).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .. import schema
from ..errors import TrialFormatError
from .ctgov_csv import looks_like_trial_csv, parse_csv_frame
from .ctgov_json import is_study, parse_study

__all__ = ["read_ctgov", "Source"]

Source = Any  # str | os.PathLike | bytes | file object | dict | list[dict] | pd.DataFrame
Errors = Literal["raise", "skip"]


def read_ctgov(source: Source | list[Source], *, errors: Errors = "raise") -> pd.DataFrame:
    """Read ClinicalTrials.gov records into the normalized trial table.

    Parameters
    ----------
    source
        A path (``str`` or ``Path``), an open file (text or binary), ``bytes``, already-parsed
        API v2 JSON (one study dict, a list of study dicts, or a page dict with ``"studies"``),
        a DataFrame in the normalized schema, or a list of any of these (read in order).
        Files may be API v2 JSON, NDJSON, the bulk-download zip, the website's CSV export,
        a parquet table written by simtrials, or a ``.gz`` of any of them.
    errors
        ``"raise"`` (default) stops at the first bad record; ``"skip"`` leaves bad records out
        and warns once with their count.

    Returns
    -------
    pandas.DataFrame
        One row per trial in the schema of :mod:`simtrials.schema`. When a trial appears more
        than once, the most recently updated record is kept (with a warning).

    Raises
    ------
    TrialFormatError
        For unreadable input, naming the file, the record (position and NCT ID) and the field.
    FileNotFoundError
        When a path does not exist.
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    problems: list[TrialFormatError] = []
    parts: list[pd.DataFrame] = []
    for src in _sources(source):
        got = _read_one(src, errors, problems)
        parts.append(got if isinstance(got, pd.DataFrame) else schema.to_frame(got))
    if problems:
        warnings.warn(
            f"skipped {len(problems)} bad record(s); first: {problems[0]}",
            TrialFormatWarning,
            stacklevel=2,
        )
    parts = [p for p in parts if len(p)]
    table = pd.concat(parts, ignore_index=True) if parts else schema.empty_frame()
    return _deduplicate(table)


class TrialFormatWarning(UserWarning):
    """Records were skipped or repaired while reading."""


def _sources(source: Source | list[Source]) -> Iterable[Source]:
    if (
        isinstance(source, (list, tuple))
        and source
        and not any(isinstance(s, dict) for s in source)
    ):
        yield from source
    else:
        yield source


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _name(src: Any) -> str:
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    name = getattr(src, "name", None)
    return str(name) if isinstance(name, (str, os.PathLike)) else f"<{type(src).__name__}>"


def _read_one(src: Source, errors: Errors, problems: list) -> list[dict] | pd.DataFrame:
    if isinstance(src, pd.DataFrame):
        return schema.validate(src, source="DataFrame")
    if isinstance(src, pd.Series):
        return schema.validate(src.to_frame().T, source="Series")
    if isinstance(src, (dict, list)):
        return _from_json(src, "<json>", errors, problems)
    if isinstance(src, (str, os.PathLike)):
        path = Path(src).expanduser()
        text = src.strip() if isinstance(src, str) else ""
        hint = (
            "; a str is read as a path: pass JSON or CSV text as bytes (text.encode()) "
            "or parsed JSON (json.loads(text))"
            if text[:1] in ("{", "[") or "\n" in text
            else ""
        )
        try:
            exists = path.exists()
        except OSError as exc:  # e.g. "File name too long": the str is content, not a path
            raise TrialFormatError(
                f"cannot use the str as a path ({exc.strerror}){hint}", source=_clip(str(src))
            ) from None
        if not exists:
            if hint:
                raise TrialFormatError(f"no such file{hint}", source=_clip(str(src)))
            raise FileNotFoundError(f"no such file: {path}")
        if path.is_dir():
            raise TrialFormatError("is a directory; pass the files inside it", source=str(path))
        return _from_bytes(path.read_bytes(), str(path), errors, problems)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(src), "<bytes>", errors, problems)
    if hasattr(src, "read"):
        data = src.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _from_bytes(data, _name(src), errors, problems)
    raise TrialFormatError(
        f"cannot read a {type(src).__name__}; expected a path, file, bytes, parsed JSON or DataFrame",
        source=_name(src),
    )


def _from_bytes(
    data: bytes, name: str, errors: Errors, problems: list
) -> list[dict] | pd.DataFrame:
    if not data.strip():
        raise TrialFormatError("the file is empty", source=name)
    if data[:2] == b"\x1f\x8b":
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise TrialFormatError(f"broken gzip data ({exc})", source=name) from None
        return _from_bytes(inner, name, errors, problems)
    if data[:4] == b"PK\x03\x04":
        return _from_zip(data, name, errors, problems)
    if data[:4] == b"PAR1":
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise TrialFormatError(f"broken parquet file ({exc})", source=name) from None
        return schema.validate(frame, source=name)
    text = _decode(data, name)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return _from_json_text(text, name, errors, problems)
    return _from_csv_text(text, name, errors, problems)


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
            stacklevel=4,
        )
        return data.decode("cp1252", errors="replace")


def _from_json_text(text: str, name: str, errors: Errors, problems: list) -> list[dict]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and text.lstrip().startswith("{") and _is_json(lines[0]):
            return _from_ndjson(lines, name, errors, problems)
        raise TrialFormatError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=name
        ) from None
    return _from_json(obj, name, errors, problems)


def _is_json(text: str) -> bool:
    """Whether ``text`` is one whole JSON value (an NDJSON line; not the start of a document)."""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def _from_ndjson(lines: list[str], name: str, errors: Errors, problems: list) -> list[dict]:
    out = []
    for i, line in enumerate(lines):
        try:
            obj = json.loads(line)
            out.append(parse_study(obj, source=name, position=i))
        except json.JSONDecodeError as exc:
            err = TrialFormatError(
                f"invalid JSON on line {i + 1}: {exc.msg}", source=name, position=i
            )
            if errors == "raise":
                raise err from None
            problems.append(err)
        except TrialFormatError as err:
            if errors == "raise":
                raise
            problems.append(err)
    return out


def _from_json(obj: Any, name: str, errors: Errors, problems: list) -> list[dict]:
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
            if errors == "raise":
                raise
            problems.append(err)
    return out


def _from_zip(data: bytes, name: str, errors: Errors, problems: list) -> list[dict]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = [
            m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")
        ]
    except zipfile.BadZipFile as exc:
        raise TrialFormatError(f"broken zip file ({exc})", source=name) from None
    out: list[dict] = []
    for m in members:
        member = f"{name}!{m.filename}"
        try:
            raw = zf.read(m)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            err = TrialFormatError(f"broken zip member ({exc})", source=member)
            if errors == "raise":
                raise err from None
            problems.append(err)
            continue
        try:
            got = _from_bytes(raw, member, errors, problems)
        except TrialFormatError as err:
            if errors == "raise":
                raise
            problems.append(err)
            continue
        out.extend(got.to_dict("records") if isinstance(got, pd.DataFrame) else got)
    if not members:
        raise TrialFormatError("the zip file holds no files", source=name)
    return out


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


def _from_csv_text(text: str, name: str, errors: Errors, problems: list) -> list[dict]:
    delimiter = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter, index_col=False
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise TrialFormatError(f"unreadable CSV ({str(exc).strip()})", source=name) from None
    if not looks_like_trial_csv(list(frame.columns)):
        raise TrialFormatError(
            "unknown format: not ClinicalTrials.gov JSON, and a CSV without an 'NCT Number' column "
            f"(first columns: {', '.join(map(str, list(frame.columns)[:5]))})",
            source=name,
        )
    records, bad = parse_csv_frame(frame, source=name, errors=errors)
    problems.extend(bad)
    return records


def _deduplicate(table: pd.DataFrame) -> pd.DataFrame:
    if not table["nct_id"].duplicated().any():
        return table.reset_index(drop=True)
    n_dup = int(table["nct_id"].duplicated().sum())
    order = table.assign(_pos=range(len(table))).sort_values(
        ["nct_id", "last_update", "_pos"],
        ascending=[True, False, True],
        na_position="last",
        kind="stable",
    )
    keep = order.drop_duplicates("nct_id", keep="first")["_pos"].sort_values()
    warnings.warn(
        f"{n_dup} duplicate NCT ID record(s); kept the most recently updated record of each",
        TrialFormatWarning,
        stacklevel=3,
    )
    return table.iloc[keep.to_numpy()].reset_index(drop=True)
