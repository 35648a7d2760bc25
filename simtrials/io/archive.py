"""Bounded reading of compressed input: zip members and gzip streams, refused past a limit.

A zip or gzip file can inflate a thousand times (a "zip bomb": 1 MB that becomes 1 GB, or
far more when nested). Nothing here inflates a member whole: members are read in chunks of
:data:`CHUNK_BYTES`, and a member whose declared size (the zip directory's) or whose actual
stream passes the limit is refused with a :class:`~simtrials.errors.TrialFormatError` naming
it, before more than the limit is held in memory.

The limit is per member, :data:`MAX_MEMBER_BYTES` by default, set per call with
``read_ctgov(..., max_member_bytes=...)``. It is far above any real single study (the biggest
classic XML study with results seen is 0.8 MB, the biggest API v2 JSON study 2.4 MB) or
website export seen (3.8 MB); raise it for bigger exports.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from typing import BinaryIO

from ..errors import TrialFormatError

__all__ = [
    "MAX_MEMBER_BYTES",
    "CHUNK_BYTES",
    "check_limit",
    "read_bounded",
    "gunzip",
    "zip_members",
    "read_member",
]

MAX_MEMBER_BYTES: int = 256 * 2**20
"""Default limit (256 MiB) on what one archive member (one study or one export) may inflate to."""

CHUNK_BYTES: int = 2**20  # read 1 MiB at a time


def check_limit(max_member_bytes: object) -> int:
    """Validate a ``max_member_bytes`` argument (a whole number of bytes, at least 1)."""
    if isinstance(max_member_bytes, bool) or not isinstance(max_member_bytes, int):
        raise TypeError(
            f"max_member_bytes must be an int (bytes), got {type(max_member_bytes).__name__}"
        )
    if max_member_bytes < 1:
        raise ValueError(f"max_member_bytes must be at least 1, got {max_member_bytes}")
    return max_member_bytes


def _refuse(source: str, limit: int, size: str) -> TrialFormatError:
    return TrialFormatError(
        f"refused: {size}, past the limit of {limit:,} bytes for one study or export (a zip "
        "bomb?); pass a larger max_member_bytes= to read it",
        source=source,
    )


def read_bounded(stream: BinaryIO, limit: int, source: str) -> bytes:
    """Read ``stream`` to its end in chunks; refuse it as soon as it passes ``limit`` bytes.

    Raises
    ------
    TrialFormatError
        When the stream holds more than ``limit`` bytes (at most ``limit + 1`` are read).
    """
    buf = bytearray()
    while True:
        chunk = stream.read(min(CHUNK_BYTES, limit + 1 - len(buf)))
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > limit:
            del buf
            raise _refuse(source, limit, f"inflates to more than {limit:,} bytes")


def gunzip(stream: BinaryIO, limit: int, source: str) -> bytes:
    """Inflate gzip data (one or several members) from ``stream``, at most ``limit`` bytes.

    Raises
    ------
    TrialFormatError
        For broken gzip data, or inflated data past ``limit``.
    """
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as gz:
            return read_bounded(gz, limit, source)
    except (OSError, EOFError, zlib.error) as exc:
        raise TrialFormatError(f"broken gzip data ({exc})", source=source) from None


def zip_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The file members of a zip, in order (folders and macOS ``__MACOSX`` metadata left out)."""
    return [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, source: str) -> bytes:
    """The bytes of one zip member, refused before inflating when it declares more than
    ``limit`` bytes, and while inflating when its stream passes ``limit``.

    Raises
    ------
    TrialFormatError
        For a member past the limit (declared or actual) or a broken member (bad CRC,
        truncated or corrupt data, unsupported compression or encryption).
    """
    if info.file_size > limit:
        raise _refuse(source, limit, f"declares {info.file_size:,} bytes inflated")
    try:
        with zf.open(info) as fh:
            return read_bounded(fh, limit, source)
    except TrialFormatError:
        raise
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        raise TrialFormatError(f"broken zip member ({exc})", source=source) from None
    except RuntimeError as exc:  # an encrypted member without a password
        raise TrialFormatError(f"unreadable zip member ({exc})", source=source) from None
