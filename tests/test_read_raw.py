"""Every file under ../shared/data/raw reads, none skipped (NEEDS ../shared/data/raw).

The files are listed at collection time: a file added to ../shared is tested without a
change here. Each file's trials are counted independently of the readers (CSV rows by their
NCT ID column, JSON studies, XML members) and must all be read, in the normalized schema.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import resource
import time
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from simtrials import schema
from simtrials.io import detect_format, read_ctgov

SHARED_RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
FILES = sorted(p for p in SHARED_RAW.rglob("*") if p.is_file()) if SHARED_RAW.is_dir() else []
needs_shared = pytest.mark.skipif(
    not SHARED_RAW.is_dir(), reason="needs ../shared/data/raw (the raw source files)"
)
NCT = re.compile(r"NCT[0-9]{8}")


def _open(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def expected_ids(path: Path) -> set[str]:
    """The NCT IDs of a raw file's records, found without simtrials' readers."""
    fmt = detect_format(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            if fmt == "xml":
                return {Path(n).stem for n in names}
            ids: set[str] = set()
            for n in names:
                obj = json.loads(zf.read(n))
                for s in obj if isinstance(obj, list) else [obj]:
                    ids.add(s["protocolSection"]["identificationModule"]["nctId"])
            return ids
    if fmt == "xml":
        return set(NCT.findall(_open(path).decode("utf-8").split("</nct_id>")[0]))
    if fmt == "json":
        obj = json.loads(_open(path))
        studies = obj.get("studies", [obj]) if isinstance(obj, dict) else obj
        return {s["protocolSection"]["identificationModule"]["nctId"] for s in studies}
    frame = pd.read_csv(io.BytesIO(_open(path)), dtype=str, keep_default_na=False)
    column = next(
        c for c in frame.columns if re.sub(r"[^a-z]", "", c.lower()) in ("nctnumber", "nctid")
    )
    return set(frame[column])


def test_raw_folder_is_there_or_this_module_is_skipped():
    if not SHARED_RAW.is_dir():
        pytest.skip("needs ../shared/data/raw (the raw source files)")
    assert len(FILES) >= 42


@needs_shared
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SHARED_RAW)) for p in FILES])
def test_every_raw_file_reads(path):
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate rows in a file are kept once, with a warning
        df = read_ctgov(path, show_progress=False)
    elapsed = time.perf_counter() - start
    growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert set(df["nct_id"]) == expected_ids(path)
    assert len(df) == df["nct_id"].nunique() > 0
    assert list(df.columns) == list(schema.COLUMN_NAMES)
    assert df.dtypes.astype(str).to_dict() == schema.dtypes()
    assert df["title"].notna().mean() > 0.99
    # the biggest file, AllPublicXML.zip (6,785 studies, 111 MB of XML): ~15 s, ~200 MB
    assert elapsed < 120 and growth_mib < 1024


@needs_shared
def test_the_bundled_small_corpus_is_rebuilt_exactly_from_its_28_source_files():
    """``make data`` rebuilds data/trials.parquet from the same files: same trials, same records."""
    import sys

    import simtrials as st

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import build_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rebuilt = build_data.pick_best(
            build_data.read_all(SHARED_RAW.parent, list(build_data.SMALL_SOURCES))
        )
    bundled = st.datasets.load_trials()
    assert len(rebuilt) == 8769
    pd.testing.assert_frame_equal(rebuilt, bundled)
