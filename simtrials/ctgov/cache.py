"""An on-disk cache of API responses: one JSON file per request, with an expiry.

A file is named by the sha256 of the request (URL and sorted parameters) and holds
``{"format", "url", "params", "fetched_at", "data"}``. Files are written to a temporary file
in the same folder and moved into place with :func:`os.replace`, so a fetch that is
interrupted never leaves a half-written entry; an entry that cannot be read anyway (a
truncated file, foreign JSON) counts as missing and is fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["ResponseCache", "cache_key"]

FORMAT = 1


def cache_key(url: str, params: Mapping[str, str]) -> str:
    """The sha256 hex digest naming the entry of one request."""
    canonical = json.dumps([url, sorted((str(k), str(v)) for k, v in params.items())])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """JSON responses on disk under ``directory``, fresh for ``ttl``.

    Parameters
    ----------
    directory
        Folder of the entries; created on the first write.
    ttl
        How long an entry stays fresh (seconds or a ``timedelta``); ``None`` never expires.
    """

    def __init__(self, directory: str | os.PathLike, ttl: float | timedelta | None) -> None:
        self.directory = Path(directory).expanduser()
        if isinstance(ttl, timedelta):
            ttl = ttl.total_seconds()
        if ttl is not None and ttl < 0:
            raise ValueError(f"cache_ttl must be >= 0, got {ttl}")
        self.ttl = ttl

    def path(self, url: str, params: Mapping[str, str]) -> Path:
        """The file of the entry of one request (which may not exist)."""
        return self.directory / f"{cache_key(url, params)}.json"

    def get(self, url: str, params: Mapping[str, str]) -> Any | None:
        """The cached data of a request, or ``None`` when absent, expired or unreadable."""
        path = self.path(url, params)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, unreadable, truncated or not UTF-8/JSON
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        if entry.get("url") != url or entry.get("params") != dict(params) or "data" not in entry:
            return None
        fetched_at = entry.get("fetched_at")
        if not isinstance(fetched_at, (int, float)):
            return None
        age = time.time() - fetched_at
        if self.ttl is not None and not (0 <= age <= self.ttl):
            return None
        return entry["data"]

    def put(self, url: str, params: Mapping[str, str], data: Any) -> Path | None:
        """Store the data of a request atomically; warns (and returns ``None``) if it cannot."""
        path = self.path(url, params)
        entry = {
            "format": FORMAT,
            "url": url,
            "params": dict(params),
            "fetched_at": time.time(),
            "data": data,
        }
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{path.stem[:16]}.", suffix=".tmp", dir=self.directory
            )
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            warnings.warn(
                f"could not write the cache entry {path}: {exc}", RuntimeWarning, stacklevel=3
            )
            return None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return path

    def clear(self) -> int:
        """Delete every entry (and any temporary file left by a crash); returns the count."""
        if not self.directory.is_dir():
            return 0
        removed = 0
        for path in [*self.directory.glob("*.json"), *self.directory.glob(".*.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        return removed
