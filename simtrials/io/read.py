"""``read_ctgov``: any ClinicalTrials.gov source -> one normalized trial table.

The format is detected from the content, not the file name (see :mod:`simtrials.io.content`):
API v2 JSON (a study, a list, a page, NDJSON), the bulk-download zips (API v2 JSON or the
classic ``AllPublicXML.zip``), classic ``<clinical_study>`` XML, the website's CSV exports
(current ``ctg-studies.csv`` and legacy ``SearchResults.csv``), Trial2Vec's CSV, parquet
tables simtrials wrote, and ``.gz`` of any of them, or a folder of such files.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .. import schema
from ..errors import TrialFormatError
from ..textfmt import clip
from .archive import MAX_MEMBER_BYTES, check_limit
from .content import Context, Errors, TrialFormatWarning, from_bytes, from_json, from_path

__all__ = ["read_ctgov", "Source", "TrialFormatWarning", "MAX_MEMBER_BYTES"]

Source = Any  # str | os.PathLike | bytes | file object | dict | list[dict] | pd.DataFrame


def read_ctgov(
    source: Source | list[Source],
    *,
    errors: Errors = "raise",
    max_member_bytes: int = MAX_MEMBER_BYTES,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Read ClinicalTrials.gov records into the normalized trial table.

    Parameters
    ----------
    source
        A path (``str`` or ``Path``) of a file or a folder (every file under it is read), an
        open file (text or binary), ``bytes``, already-parsed API v2 JSON (one study dict, a
        list of study dicts, or a page dict with ``"studies"``), a DataFrame in the normalized
        schema, or a list of any of these (read in order). Files may be API v2 JSON, NDJSON,
        classic ``<clinical_study>`` XML, a bulk-download zip (``ctg-studies.json.zip`` or
        ``AllPublicXML.zip``), the website's CSV export (current or legacy layout), a parquet
        table written by simtrials, or a ``.gz`` of any of them.
    errors
        ``"raise"`` (default) stops at the first bad record; ``"skip"`` leaves bad records (and
        unreadable files of a folder or members of a zip) out and warns once with their count.
    max_member_bytes
        The most bytes one zip member or one gzip stream (one study or one export) may inflate
        to, :data:`~simtrials.io.archive.MAX_MEMBER_BYTES` (256 MiB) by default. Past it the
        member is refused with a :class:`TrialFormatError` naming it, before it is held in
        memory (zip bombs).
    show_progress
        Show a progress bar while reading archives and folders of many files.

    Returns
    -------
    pandas.DataFrame
        One row per trial in the schema of :mod:`simtrials.schema`. When a trial appears more
        than once, the most recently updated record is kept (with a warning).

    Raises
    ------
    TrialFormatError
        For unreadable input, naming the file, the record (position and NCT ID) and the field;
        for unsafe XML (entity or DTD declarations) and archive members past
        ``max_member_bytes``.
    FileNotFoundError
        When a path does not exist.
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    ctx = Context(
        errors=errors,
        max_member_bytes=check_limit(max_member_bytes),
        show_progress=bool(show_progress),
    )
    parts: list[pd.DataFrame] = []
    for src in _sources(source):
        got = _read_one(src, ctx)
        parts.append(got if isinstance(got, pd.DataFrame) else schema.to_frame(got))
    problems = ctx.problems
    if problems:
        warnings.warn(
            f"skipped {len(problems)} bad record(s); first: {problems[0]}",
            TrialFormatWarning,
            stacklevel=2,
        )
    parts = [p for p in parts if len(p)]
    table = pd.concat(parts, ignore_index=True) if parts else schema.empty_frame()
    return _deduplicate(table)


def _sources(source: Source | list[Source]) -> Iterable[Source]:
    if (
        isinstance(source, (list, tuple))
        and source
        and not any(isinstance(s, dict) for s in source)
    ):
        yield from source
    else:
        yield source


def _name(src: Any) -> str:
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    name = getattr(src, "name", None)
    return str(name) if isinstance(name, (str, os.PathLike)) else f"<{type(src).__name__}>"


def _read_one(src: Source, ctx: Context) -> list[dict] | pd.DataFrame:
    if isinstance(src, pd.DataFrame):
        return schema.validate(src, source="DataFrame")
    if isinstance(src, pd.Series):
        return schema.validate(src.to_frame().T, source="Series")
    if isinstance(src, (dict, list)):
        return from_json(src, "<json>", ctx)
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
                f"cannot use the str as a path ({exc.strerror}){hint}", source=clip(str(src), 60)
            ) from None
        if not exists:
            if hint:
                raise TrialFormatError(f"no such file{hint}", source=clip(str(src), 60))
            raise FileNotFoundError(f"no such file: {path}")
        return from_path(path, ctx)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return from_bytes(bytes(src), "<bytes>", ctx)
    if hasattr(src, "read"):
        data = src.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return from_bytes(data, _name(src), ctx)
    raise TrialFormatError(
        f"cannot read a {type(src).__name__}; expected a path, file, bytes, parsed JSON or DataFrame",
        source=_name(src),
    )


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
