"""``Client``: the public ClinicalTrials.gov API v2, paged, retried, rate-limited and cached.

One request (:mod:`.transport`) is: the cache (unless ``refresh``), else the rate limiter,
then ``GET`` on a session that retries with backoff (:mod:`.session`), then a check of the
answer (:mod:`.checks`); only an answer that passed the check is cached. A search follows ``nextPageToken`` page by page, so
a search that fails on page 3 has pages 1 and 2 cached and a rerun resumes at page 3.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from os import PathLike
from pathlib import Path
from typing import Literal

import pandas as pd
from tqdm import tqdm

from ..errors import QueryError, TrialNotFoundError
from ..io import read_ctgov
from .cache import ResponseCache
from .checks import page_problem, study_problem
from .query import build_query, normalize_nct_id, normalize_nct_ids
from .ratelimit import RateLimiter
from .session import make_session, require_requests
from .transport import Transport, api_error, full_url

__all__ = ["Client", "DEFAULT_BASE_URL", "MAX_PAGE_SIZE"]

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
DEFAULT_CACHE_DIR = "~/.cache/simtrials"
MAX_PAGE_SIZE = 1000  # the API's limit on pageSize
IDS_PER_REQUEST = 200  # NCT IDs per filter.ids request (keeps URLs near 2.5 kB)
CACHE_SUBDIR = "ctgov"  # entries live in <cache_dir>/ctgov/

Missing = Literal["raise", "warn", "ignore"]


class Client:
    """A small client for the public ClinicalTrials.gov API v2.

    Parameters
    ----------
    cache_dir
        Folder of the on-disk cache (entries go in its ``ctgov/`` subfolder); ``None`` turns
        caching off.
    cache_ttl
        How long a cached answer is used (a ``timedelta`` or seconds); ``None`` never expires.
    base_url
        The API root, without a trailing ``/studies``.
    timeout
        Seconds to wait for the server on every request (``(connect, read)`` tuple allowed).
    max_retries
        Tries after the first for connection errors, timeouts and HTTP 429/500/502/503/504.
    backoff_factor
        Waits between retries are ``backoff_factor * 2 ** (n - 1)`` seconds plus up to
        ``backoff_factor`` of random jitter (the first retry is immediate); a ``Retry-After``
        header is honoured instead when the server sends one (up to 5 minutes).
    rate_limit
        Most requests per minute sent by this client (the API asks for about 50 at most);
        ``None`` turns the limit off. Cache hits do not count.
    page_size
        Studies per page, 1 to 1000.
    show_progress
        Show a tqdm progress bar while fetching; ``None`` shows it only on a terminal.

    Examples
    --------
    >>> client = Client(cache_dir="~/.cache/simtrials")  # doctest: +SKIP
    >>> trials = client.search(cond="ischemic stroke", status="RECRUITING")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        cache_dir: str | PathLike | None = DEFAULT_CACHE_DIR,
        cache_ttl: timedelta | float | None = timedelta(days=7),
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | tuple[float, float] = 30.0,
        max_retries: int = 5,
        backoff_factor: float = 1.0,
        rate_limit: float | None = 40.0,
        page_size: int = 200,
        show_progress: bool | None = None,
    ) -> None:
        require_requests()  # fail here, with the install hint, rather than on the first call
        if not isinstance(base_url, str) or not re.match(r"^https?://", base_url):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        timeouts = timeout if isinstance(timeout, tuple) else (timeout,)
        if not timeouts or any(not isinstance(t, (int, float)) or t <= 0 for t in timeouts):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if backoff_factor < 0:
            raise ValueError(f"backoff_factor must be >= 0, got {backoff_factor!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.rate_limit = rate_limit
        self.page_size = _check_page_size(page_size)
        self.show_progress = show_progress
        self.cache: ResponseCache | None = (
            None if cache_dir is None else ResponseCache(Path(cache_dir) / CACHE_SUBDIR, cache_ttl)
        )
        self._session = make_session(max_retries, backoff_factor)
        self._transport = Transport(
            self.base_url,
            timeout=timeout,
            max_retries=max_retries,
            cache=self.cache,
            limiter=RateLimiter(rate_limit),
            session=self._session,
        )

    def __repr__(self) -> str:
        cache = None if self.cache is None else str(self.cache.directory)
        return (
            f"Client(base_url={self.base_url!r}, cache_dir={cache!r}, rate_limit={self.rate_limit})"
        )

    # -- public API ---------------------------------------------------------------------------

    def get_study(self, nct_id: str, *, refresh: bool = False) -> dict:
        """One study as the API returns it (``/studies/{nctId}``).

        Parameters
        ----------
        nct_id
            The study's NCT ID (case and surrounding spaces do not matter).
        refresh
            Ask the API even when the cache holds a fresh answer.

        Returns
        -------
        dict
            The raw API v2 study (``protocolSection``, ``derivedSection`` …); pass it, or a
            list of them, to :func:`simtrials.read_ctgov` for the normalized table.

        Raises
        ------
        TrialNotFoundError
            When ClinicalTrials.gov has no study with this ID (HTTP 404).
        QueryError
            When ``nct_id`` is not an NCT ID.
        CTGovAPIError
            When the API cannot be reached or answers with something that is not a study.
        """
        nct = normalize_nct_id(nct_id)
        study, _ = self._transport.get_json(
            f"/studies/{nct}",
            {},
            what=f"study {nct}",
            refresh=refresh,
            check=study_problem,
            nct_id=nct,
        )
        return study

    def iter_pages(
        self,
        *,
        cond: str | None = None,
        term: str | None = None,
        intr: str | None = None,
        status: str | Iterable[str] | None = None,
        ids: str | Iterable[str] | None = None,
        params: Mapping[str, object] | None = None,
        page_size: int | None = None,
        refresh: bool = False,
    ) -> Iterator[dict]:
        """The raw result pages of a ``/studies`` query, fetched one at a time as you iterate.

        Parameters
        ----------
        cond, term, intr
            ``query.cond`` (conditions), ``query.term`` (any field) and ``query.intr``
            (interventions), in the API's search syntax.
        status
            Overall status code(s) such as ``"RECRUITING"`` or ``["COMPLETED", "TERMINATED"]``
            (website spellings like ``"Not yet recruiting"`` are accepted).
        ids
            NCT IDs for ``filter.ids``; long lists are sent in batches of 200, one query each.
        params
            Further API parameters passed as they are, e.g. ``{"query.spons": "Pfizer"}``.
        page_size
            Studies per page (default: the client's ``page_size``).
        refresh
            Ask the API even for pages the cache holds.

        Yields
        ------
        dict
            Pages as the API sends them: ``{"studies": [...], "nextPageToken": ...}``; the
            first page of each query also has ``totalCount``.

        Raises
        ------
        QueryError
            For arguments the API would reject (unknown status, malformed NCT ID …).
        CTGovAPIError
            When a page cannot be fetched or is not a page (naming its URL and number).
        """
        query = build_query(cond=cond, term=term, intr=intr, status=status, params=params)
        id_list = None if ids is None else normalize_nct_ids(ids)
        size = self.page_size if page_size is None else _check_page_size(page_size)
        for q, n_ids in _batches(query, id_list):
            for _, page in self._pages(q, min(size, n_ids or size), refresh):
                yield page

    def fetch_studies(
        self,
        *,
        cond: str | None = None,
        term: str | None = None,
        intr: str | None = None,
        status: str | Iterable[str] | None = None,
        ids: str | Iterable[str] | None = None,
        params: Mapping[str, object] | None = None,
        max_studies: int | None = None,
        page_size: int | None = None,
        refresh: bool = False,
    ) -> list[dict]:
        """Every study a query finds, as raw API v2 dicts, following pages to the end.

        Takes the arguments of :meth:`iter_pages`, plus ``max_studies``.

        Parameters
        ----------
        max_studies
            Stop after this many studies (``None``: all of them). A query with neither
            criteria nor ``max_studies`` is refused, since it would download the whole
            registry.

        Returns
        -------
        list of dict
            Studies in the API's order, each NCT ID once (the first occurrence is kept).

        Raises
        ------
        QueryError, CTGovAPIError
            As :meth:`iter_pages`.
        """
        query = build_query(cond=cond, term=term, intr=intr, status=status, params=params)
        id_list = None if ids is None else normalize_nct_ids(ids)
        if max_studies is not None and (not isinstance(max_studies, int) or max_studies < 1):
            raise QueryError(f"max_studies must be a positive integer or None, got {max_studies!r}")
        if not query and id_list is None and max_studies is None:
            raise QueryError(
                "give cond, term, intr, status, ids or params (or max_studies): a query without "
                "criteria would download the whole registry"
            )
        size = self.page_size if page_size is None else _check_page_size(page_size)
        if max_studies is not None:
            size = min(size, max_studies)
        return self._collect(query, id_list, size, max_studies, refresh)

    def search(
        self,
        *,
        cond: str | None = None,
        term: str | None = None,
        intr: str | None = None,
        status: str | Iterable[str] | None = None,
        ids: str | Iterable[str] | None = None,
        params: Mapping[str, object] | None = None,
        max_studies: int | None = None,
        refresh: bool = False,
    ) -> pd.DataFrame:
        """Every study a query finds, as the normalized trial table.

        Takes the arguments of :meth:`fetch_studies` and returns
        ``read_ctgov(fetch_studies(...))``: one row per trial in the schema of
        :mod:`simtrials.schema` (an empty table when nothing matches).

        Examples
        --------
        >>> client.search(cond="ischemic stroke", intr="mesenchymal stem cells",
        ...               status=["RECRUITING", "COMPLETED"])  # doctest: +SKIP
        """
        studies = self.fetch_studies(
            cond=cond,
            term=term,
            intr=intr,
            status=status,
            ids=ids,
            params=params,
            max_studies=max_studies,
            refresh=refresh,
        )
        return read_ctgov(studies)

    def get_studies(
        self, nct_ids: str | Iterable[str], *, missing: Missing = "raise", refresh: bool = False
    ) -> pd.DataFrame:
        """Studies by NCT ID, as the normalized trial table (rows in the order asked for).

        Parameters
        ----------
        nct_ids
            NCT IDs; duplicates are fetched once. Sent as ``filter.ids``, 200 per request.
        missing
            What to do about IDs the registry does not have: ``"raise"`` (default) a
            :class:`~simtrials.errors.TrialNotFoundError` naming them, ``"warn"`` or
            ``"ignore"`` and return the others. An obsolete ID that the registry maps to a
            newer one (an alias) counts as found.
        refresh
            Ask the API even when the cache holds the pages.

        Returns
        -------
        pandas.DataFrame
            Equal to ``read_ctgov`` of the raw studies, in the order of ``nct_ids``.
        """
        if missing not in ("raise", "warn", "ignore"):
            raise ValueError(f"missing must be 'raise', 'warn' or 'ignore', got {missing!r}")
        ids = normalize_nct_ids(nct_ids)
        if not ids:
            return read_ctgov([])
        studies = self._collect({}, ids, self.page_size, None, refresh)
        by_id: dict[str, dict] = {}
        for study in studies:
            ident = study["protocolSection"]["identificationModule"]
            for key in [ident["nctId"], *(ident.get("nctIdAliases") or [])]:
                by_id.setdefault(str(key).upper(), study)
        found: dict[int, dict] = {}
        absent = []
        for nct in ids:
            study = by_id.get(nct)
            if study is None:
                absent.append(nct)
            else:
                found.setdefault(id(study), study)
        if absent and missing != "ignore":
            shown = ", ".join(absent[:10]) + (" …" if len(absent) > 10 else "")
            message = f"{len(absent)} of {len(ids)} NCT IDs are not on ClinicalTrials.gov: {shown}"
            if missing == "raise":
                raise TrialNotFoundError(absent[0], message)
            warnings.warn(message, UserWarning, stacklevel=2)
        return read_ctgov(list(found.values()))

    def clear_cache(self) -> int:
        """Delete this client's cached answers; returns how many files were removed."""
        return 0 if self.cache is None else self.cache.clear()

    def close(self) -> None:
        """Close the HTTP connections (the client can still be used; it reconnects)."""
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- paging -------------------------------------------------------------------------------

    def _collect(
        self,
        query: dict[str, str],
        id_list: list[str] | None,
        size: int,
        max_studies: int | None,
        refresh: bool,
    ) -> list[dict]:
        studies: dict[str, dict] = {}
        if id_list is not None and not id_list:
            return []
        total = None if id_list is None else min(len(id_list), max_studies or len(id_list))
        disable = None if self.show_progress is None else not self.show_progress
        with tqdm(total=total, unit="study", desc="ClinicalTrials.gov", disable=disable) as bar:
            for q, n_ids in _batches(query, id_list):
                for _, page in self._pages(q, min(size, n_ids or size), refresh):
                    if bar.total is None and isinstance(page.get("totalCount"), int):
                        count = page["totalCount"]
                        bar.total = min(count, max_studies) if max_studies else count
                        bar.refresh()
                    for study in page["studies"]:
                        nct = study["protocolSection"]["identificationModule"]["nctId"]
                        if nct not in studies:
                            studies[nct] = study
                            bar.update(1)
                        if max_studies is not None and len(studies) >= max_studies:
                            return list(studies.values())
        return list(studies.values())

    def _pages(self, query: dict[str, str], size: int, refresh: bool) -> Iterator[tuple[int, dict]]:
        """Pages of one query: the first asks for ``countTotal``, the next carry ``pageToken``."""
        token: str | None = None
        tokens_seen: set[str] = set()
        cached = False
        page_no = 0
        while True:
            page_no += 1
            params = dict(query, pageSize=str(size))
            if token is None:
                params["countTotal"] = "true"
            else:
                params["pageToken"] = token
            page, cached = self._transport.get_json(
                "/studies",
                params,
                what=f"page {page_no}",
                page=page_no,
                refresh=refresh,
                check=page_problem,
                token_from_cache=cached and token is not None,
            )
            yield page_no, page
            token = page.get("nextPageToken")
            if not token:
                return
            if token in tokens_seen:
                raise api_error(
                    f"page {page_no} of {full_url(self.base_url + '/studies', params)}: the API "
                    "sent a nextPageToken it had sent before; stopping instead of looping",
                    page=page_no,
                )
            tokens_seen.add(token)


# -- helpers ----------------------------------------------------------------------------------


def _batches(
    query: dict[str, str], ids: list[str] | None
) -> Iterator[tuple[dict[str, str], int | None]]:
    """The query once, or once per batch of IDs (with the batch size)."""
    if ids is None:
        yield query, None
        return
    step = IDS_PER_REQUEST
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        yield dict(query, **{"filter.ids": ",".join(chunk)}), len(chunk)


def _check_page_size(page_size: int) -> int:
    if (
        not isinstance(page_size, int)
        or isinstance(page_size, bool)
        or not 1 <= page_size <= MAX_PAGE_SIZE
    ):
        raise ValueError(
            f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}"
        )
    return page_size
