"""The HTTP session: retries with exponential backoff and jitter, and the User-Agent.

Retrying is urllib3's :class:`~urllib3.util.Retry` mounted on a ``requests`` adapter, not a
loop of our own: it retries connection errors, read timeouts and HTTP 429/500/502/503/504,
waits ``backoff_factor * 2 ** (n - 1)`` seconds (plus random jitter) between tries, and
honours a ``Retry-After`` header. ``requests`` is an optional dependency
(``pip install 'simtrials[api]'``) and is imported only here, only when a client is made.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import requests

__all__ = ["RETRY_STATUSES", "PROJECT_URL", "require_requests", "user_agent", "make_session"]

RETRY_STATUSES = (429, 500, 502, 503, 504)
PROJECT_URL = "https://pypi.org/project/simtrials/"
BACKOFF_MAX = 60.0  # the longest backoff between two tries, in seconds
RETRY_AFTER_MAX = 300  # the longest Retry-After we wait for, in seconds

_INSTALL_HINT = "pip install 'simtrials[api]'"


def require_requests() -> Any:
    """The ``requests`` module, or an ImportError that says how to install it."""
    try:
        import requests
        from urllib3.util.retry import Retry  # noqa: F401  (requests depends on urllib3)
    except ImportError as exc:
        raise ImportError(
            f"the ClinicalTrials.gov client needs the optional 'requests' package: {_INSTALL_HINT}"
        ) from exc
    return requests


def user_agent() -> str:
    """``simtrials/<version> (+<project url>)``, the only thing we say about ourselves."""
    from .. import __version__  # late: simtrials/__init__ may import this package

    return f"simtrials/{__version__} (+{PROJECT_URL})"


def _no_auth(request: Any) -> Any:
    # A session-level auth stops requests from reading ~/.netrc and sending its credentials.
    return request


def make_retry(max_retries: int, backoff_factor: float) -> Any:
    """The urllib3 ``Retry`` policy: GET only, the statuses above, backoff with jitter."""
    from urllib3.util.retry import Retry

    kwargs: dict[str, Any] = {
        "total": max_retries,
        "allowed_methods": frozenset({"GET"}),
        "status_forcelist": RETRY_STATUSES,
        "backoff_factor": backoff_factor,
        "respect_retry_after_header": True,
        "raise_on_status": False,  # hand back the last answer; the client explains it
    }
    # Options of urllib3 >= 2 (jitter, caps); urllib3 1.26 still works without them.
    optional = {
        "backoff_jitter": backoff_factor,
        "backoff_max": BACKOFF_MAX,
        "retry_after_max": RETRY_AFTER_MAX,
    }
    accepted = inspect.signature(Retry.__init__).parameters
    kwargs.update({k: v for k, v in optional.items() if k in accepted})
    return Retry(**kwargs)


def make_session(max_retries: int, backoff_factor: float) -> requests.Session:
    """A ``requests.Session`` with the retry policy mounted and our User-Agent."""
    requests = require_requests()
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(max_retries=make_retry(max_retries, backoff_factor))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": user_agent(), "Accept": "application/json"})
    session.auth = _no_auth
    return session
