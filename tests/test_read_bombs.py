"""Zip and gzip bombs: members that inflate past ``max_member_bytes`` are refused, quickly,
before they are held in memory.

The bombs are attacks, not trial records, so they are synthesized: about 1 MB of deflate data
that inflates to 1 GiB of spaces (each 1 MiB of spaces deflates to the same ~1 kB block after
a full flush, so the bomb is built without compressing 1 GiB). Peak memory is measured with
``tracemalloc`` in this process and as the peak RSS (``resource``) of a fresh interpreter.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from simtrials.datasets import sample_path
from simtrials.errors import TrialFormatError
from simtrials.io import MAX_MEMBER_BYTES, TrialFormatWarning, read_ctgov

MiB = 2**20
GiB = 2**30
MEMBER = "NCT0000xxxx/NCT00000001.xml"


def deflated_spaces(total: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``total`` spaces (a multiple of 1 MiB) and its CRC-32."""
    chunk = b" " * MiB
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)  # the state resets here
    n = total // MiB
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    return block * n + comp.flush(zlib.Z_FINISH), crc


def zip_bomb(declared: int | None = None, total: int = GiB, name: str = MEMBER) -> bytes:
    """A zip of one deflated member of ``total`` spaces, its header declaring ``declared``."""
    data, crc = deflated_spaces(total)
    size = total if declared is None else declared
    raw = name.encode()
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0
    )
    central = struct.pack(
        "<4s6H3L5H2L",
        b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    cd_offset = len(local) + len(raw) + len(data)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(raw), cd_offset, 0)
    return local + raw + data + central + raw + end


def gzip_bomb(total: int = GiB) -> bytes:
    data, crc = deflated_spaces(total)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + data + struct.pack("<2L", crc, total % 2**32)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {
        "zip": zip_bomb(),
        "zip-lying-header": zip_bomb(declared=5000),
        "gz": gzip_bomb(),
    }
    out = {}
    for label, data in paths.items():
        out[label] = folder / f"{label}.bin"
        out[label].write_bytes(data)
    # a bulk-download zip whose one member is itself a gzip bomb (nesting)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("NCT0000xxxx/NCT00000002.xml.gz", paths["gz"])
    out["nested"] = folder / "nested.zip"
    out["nested"].write_bytes(buf.getvalue())
    return out


def _refused(path: Path, **kwargs) -> tuple[TrialFormatError, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(TrialFormatError) as info:
            read_ctgov(path, **kwargs)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, elapsed, peak


def test_the_bombs_are_what_they_claim(bombs):
    assert bombs["zip"].stat().st_size < 1.2 * MiB
    with zipfile.ZipFile(bombs["zip"]) as zf:
        assert zf.infolist()[0].file_size == GiB
        with zf.open(MEMBER) as fh:  # a real deflate stream of spaces
            assert fh.read(3 * MiB) == b" " * (3 * MiB)
    with gzip.open(bombs["gz"]) as fh:
        assert fh.read(3 * MiB) == b" " * (3 * MiB)


def test_zip_member_declaring_1_gib_is_refused_before_inflating(bombs):
    err, elapsed, peak = _refused(bombs["zip"])
    assert err.source == f"{bombs['zip']}!{MEMBER}"  # names the member
    assert "refused" in str(err) and "1,073,741,824" in str(err) and "max_member_bytes" in str(err)
    assert elapsed < 2.0 and peak < 8 * MiB


def test_zip_member_lying_about_its_size_is_refused_with_bounded_memory(bombs):
    """The zip directory says 5 kB; the stream is 1 GiB: reading stops at the declared size."""
    err, elapsed, peak = _refused(bombs["zip-lying-header"])
    assert err.source == f"{bombs['zip-lying-header']}!{MEMBER}"
    assert "broken zip member" in str(err) or "refused" in str(err)
    assert elapsed < 2.0 and peak < 8 * MiB


@pytest.mark.parametrize("limit", [16 * MiB, 64 * MiB])
def test_gzip_stream_is_refused_once_it_passes_the_limit(bombs, limit):
    """gzip declares no size: the inflated stream is counted, chunk by chunk."""
    err, elapsed, peak = _refused(bombs["gz"], max_member_bytes=limit)
    assert err.source == str(bombs["gz"]) and f"limit of {limit:,} bytes" in str(err)
    assert elapsed < 5.0
    assert peak < limit + 8 * MiB  # at most the limit and one chunk are held


def test_gzip_bomb_inside_a_zip_member_is_refused_naming_the_member(bombs):
    err, elapsed, peak = _refused(bombs["nested"], max_member_bytes=16 * MiB)
    assert err.source == f"{bombs['nested']}!NCT0000xxxx/NCT00000002.xml.gz"
    assert "refused" in str(err) and elapsed < 5.0 and peak < 24 * MiB


def test_bomb_as_bytes_or_open_file_is_refused_too(bombs):
    data = bombs["zip"].read_bytes()
    with pytest.raises(TrialFormatError, match="refused") as info:
        read_ctgov(data)
    assert info.value.source == f"<bytes>!{MEMBER}"
    with open(bombs["gz"], "rb") as fh, pytest.raises(TrialFormatError, match="refused"):
        read_ctgov(fh, max_member_bytes=16 * MiB)


def test_peak_rss_of_a_fresh_process_stays_bounded(bombs):
    """The real resident memory: a new interpreter reads each bomb; its peak RSS barely grows."""
    script = textwrap.dedent(
        """
        import json, resource, sys
        from simtrials.errors import TrialFormatError
        from simtrials.io import read_ctgov
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {}
        for path, limit in json.loads(sys.argv[1]):
            try:
                read_ctgov(path, max_member_bytes=limit)
            except TrialFormatError:
                pass
            out[path] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps(out))
        """
    )
    cases = [[str(bombs["zip"]), MAX_MEMBER_BYTES], [str(bombs["gz"]), 32 * MiB]]
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    growth_kib = json.loads(proc.stdout.strip().splitlines()[-1])
    assert growth_kib[str(bombs["zip"])] < 16 * 1024  # KiB: the 1 GiB member is never inflated
    assert growth_kib[str(bombs["gz"])] < (32 + 24) * 1024


def test_real_files_under_the_limit_read_and_a_low_limit_refuses_them():
    assert len(read_ctgov(sample_path("urology.json.zip"), max_member_bytes=1 * MiB)) == 25
    with pytest.raises(TrialFormatError, match="limit of 1,000 bytes") as info:
        read_ctgov(sample_path("urology.json.zip"), max_member_bytes=1000)
    assert "urology.json.zip!NCT" in info.value.source
    with pytest.warns(TrialFormatWarning, match="skipped 25 bad record"):
        assert (
            len(read_ctgov(sample_path("urology.json.zip"), max_member_bytes=1000, errors="skip"))
            == 0
        )
    # a .gz export is one stream: the limit applies to what it inflates to
    with pytest.raises(TrialFormatError, match="refused"):
        read_ctgov(sample_path("website_export.csv.gz"), max_member_bytes=10_000)


@pytest.mark.parametrize(
    ("value", "error"), [(0, ValueError), (-5, ValueError), ("1GB", TypeError), (True, TypeError)]
)
def test_max_member_bytes_must_be_a_positive_int(value, error):
    with pytest.raises(error, match="max_member_bytes"):
        read_ctgov(sample_path("urology.json.zip"), max_member_bytes=value)
