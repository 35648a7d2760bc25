"""A client-side rate limit: at most N requests a minute, shared by every thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces calls to :meth:`wait` at least ``60 / per_minute`` seconds apart.

    Each caller reserves the next free slot under a lock and then sleeps outside it, so
    concurrent threads queue up in order instead of all waking at once.

    Parameters
    ----------
    per_minute
        Most requests per minute; ``None`` or ``0`` turns the limit off.
    clock, sleep
        Monotonic clock and sleep function (replaceable in tests).
    """

    def __init__(
        self,
        per_minute: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute is not None and per_minute < 0:
            raise ValueError(f"rate_limit must be positive (requests per minute), got {per_minute}")
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def wait(self) -> float:
        """Block until the caller may send its request; returns the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)
