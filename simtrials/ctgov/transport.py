"""One request to the API: the cache (unless ``refresh``), else the rate limiter, then
``GET`` on a session that retries with backoff (:mod:`.session`), then a check of the
answer (:mod:`.checks`); only an answer that passed the check is cached."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from ..errors import CTGovAPIError, TrialNotFoundError
from .cache import ResponseCache
from .ratelimit import RateLimiter
from .session import require_requests

__all__ = ["Transport", "full_url", "api_error"]

Check = Callable[[Any], "str | None"]


class Transport:
    """GETs of JSON under ``base_url``, cached, rate-limited and retried (see the module)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: Any,
        max_retries: int,
        cache: ResponseCache | None,
        limiter: RateLimiter,
        session: Any,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.cache = cache
        self._limiter = limiter
        self._session = session

    def get_json(
        self,
        path: str,
        params: dict[str, str],
        *,
        what: str,
        page: int | None = None,
        refresh: bool,
        check: Check,
        nct_id: str | None = None,
        token_from_cache: bool = False,
    ) -> tuple[Any, bool]:
        """``(data, from_cache)`` for one GET; only data that passes ``check`` is cached."""
        url = self.base_url + path
        if self.cache is not None and not refresh:
            data = self.cache.get(url, params)
            if data is not None and check(data) is None:
                return data, True
        data = self._request(
            url, params, what=what, page=page, nct_id=nct_id, token_from_cache=token_from_cache
        )
        problem = check(data)
        if problem:
            full = full_url(url, params)
            raise api_error(f"{what} of {full}: {problem}", url=full, page=page)
        if self.cache is not None:
            self.cache.put(url, params, data)
        return data, False

    def _request(
        self,
        url: str,
        params: dict[str, str],
        *,
        what: str,
        page: int | None,
        nct_id: str | None,
        token_from_cache: bool,
    ) -> Any:
        requests = require_requests()
        full = full_url(url, params)
        self._limiter.wait()
        try:
            resp = self._session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise api_error(
                f"{what}: no answer from {full} (tried {self.max_retries + 1} times): {_reason(exc)}",
                url=full,
                page=page,
            ) from exc
        status = resp.status_code
        if status == 404 and nct_id is not None:
            raise TrialNotFoundError(
                nct_id, f"{nct_id} is not on ClinicalTrials.gov (HTTP 404 from {resp.url})"
            )
        if status != 200:
            detail = " ".join(resp.text.split())[:300]
            message = f"{what}: HTTP {status} {resp.reason or ''} from {resp.url}".rstrip()
            if detail:
                message += f": {detail}"
            if status == 429:
                message += f" (still rate limited after {self.max_retries} retries; lower rate_limit or try later)"
            elif status >= 500:
                message += f" (after {self.max_retries} retries; the API may be down, try later)"
            elif status == 400 and token_from_cache:
                message += (
                    " (the pageToken came from a cached page and may have expired; "
                    "run again with refresh=True)"
                )
            raise api_error(message, url=resp.url, page=page, status=status)
        try:
            return json.loads(resp.content)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise api_error(
                f"{what} of {resp.url} is not valid JSON ({exc})",
                url=resp.url,
                page=page,
                status=status,
            ) from None


def full_url(url: str, params: Mapping[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error (urllib3 wraps it in MaxRetryError)."""
    inner = exc.args[0] if exc.args else exc
    inner = getattr(inner, "reason", inner)
    return f"{type(inner).__name__}: {inner}"


def api_error(
    message: str, *, url: str | None = None, page: int | None = None, status: int | None = None
) -> CTGovAPIError:
    err = CTGovAPIError(message)
    err.url = url
    err.page = page
    err.status = status
    return err
