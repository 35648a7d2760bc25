"""A local stand-in for the ClinicalTrials.gov API v2, for tests (no internet needed).

It serves real study records on 127.0.0.1 under ``/api/v2``:

- ``GET /api/v2/studies`` with ``query.cond`` (case-insensitive substring of a condition or
  keyword), ``query.term`` (substring of the whole record), ``query.intr`` (substring of an
  intervention name), ``filter.overallStatus`` and ``filter.ids`` (comma- or pipe-joined),
  ``pageSize`` (default 10, at most 1000), ``pageToken`` and ``countTotal``; any other
  parameter is an HTTP 400, as on the real API. Pages carry ``nextPageToken`` until the last.
- ``GET /api/v2/studies/{nctId}``: the study, or HTTP 404.

Every request is logged (path, parameters, headers, page number) in :attr:`FakeCTGov.log`,
and :meth:`FakeCTGov.add_fault` scripts failures: an HTTP status with a body and headers
(429 with ``Retry-After``, 500 …), a slow answer, or a broken page.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PREFIX = "/api/v2"
KNOWN_PARAMS = {
    "query.cond",
    "query.term",
    "query.intr",
    "filter.overallStatus",
    "filter.ids",
    "pageSize",
    "pageToken",
    "countTotal",
    "format",
}


@dataclass
class Logged:
    """One request the server received."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]
    page: int | None = None  # 1-based page number of a /studies request


@dataclass
class Fault:
    """A scripted answer for requests matching ``when``, used ``times`` times."""

    when: Callable[[Logged], bool]
    status: int | None = None  # None: answer normally (after the delay)
    body: Any = None  # bytes, str or JSON-able object
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int = 1


def nct_id(study: dict) -> str:
    return study["protocolSection"]["identificationModule"]["nctId"]


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    if not raw.startswith("offset:"):
        raise ValueError(token)
    return int(raw.split(":", 1)[1])


def _matches(study: dict, params: dict[str, str]) -> bool:
    ps = study["protocolSection"]
    if "filter.ids" in params:
        wanted = {x.strip().upper() for x in re.split(r"[,|]", params["filter.ids"]) if x.strip()}
        if nct_id(study) not in wanted:
            return False
    if "filter.overallStatus" in params:
        wanted = set(re.split(r"[,|]", params["filter.overallStatus"]))
        if ps.get("statusModule", {}).get("overallStatus") not in wanted:
            return False
    if "query.cond" in params:
        cm = ps.get("conditionsModule", {})
        texts = [*cm.get("conditions", []), *cm.get("keywords", [])]
        if not any(params["query.cond"].lower() in t.lower() for t in texts):
            return False
    if "query.intr" in params:
        names = [
            i.get("name", "")
            for i in ps.get("armsInterventionsModule", {}).get("interventions", [])
        ]
        if not any(params["query.intr"].lower() in n.lower() for n in names):
            return False
    if "query.term" in params:
        if params["query.term"].lower() not in json.dumps(study).lower():
            return False
    return True


class FakeCTGov:
    """The fake API; use as a context manager or call :meth:`start` and :meth:`stop`."""

    def __init__(self, studies: list[dict]) -> None:
        self.studies = list(studies)
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def start(self) -> FakeCTGov:
        handler = type("Handler", (_Handler,), {"api": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeCTGov:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_fault(
        self,
        when: Callable[[Logged], bool] = lambda req: True,
        *,
        status: int | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> Fault:
        """Answer the next ``times`` requests matching ``when`` this way instead."""
        fault = Fault(when, status, body, headers or {}, delay, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- answers ------------------------------------------------------------------------------

    def _take_fault(self, req: Logged) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.when(req):
                    fault.times -= 1
                    return fault
        return None

    def page(self, params: dict[str, str]) -> tuple[int, Any]:
        unknown = set(params) - KNOWN_PARAMS
        if unknown:
            return 400, f"unknown parameter(s): {', '.join(sorted(unknown))}"
        try:
            size = int(params.get("pageSize", "10"))
            offset = decode_token(params["pageToken"]) if "pageToken" in params else 0
        except ValueError:
            return 400, "bad pageSize or pageToken"
        if not 1 <= size <= 1000:
            return 400, "pageSize must be between 1 and 1000"
        hits = [s for s in self.studies if _matches(s, params)]
        body: dict[str, Any] = {"studies": hits[offset : offset + size]}
        if params.get("countTotal") == "true":
            body["totalCount"] = len(hits)
        if offset + size < len(hits):
            body["nextPageToken"] = encode_token(offset + size)
        return 200, body

    def study(self, nct: str) -> tuple[int, Any]:
        for s in self.studies:
            if nct_id(s) == nct:
                return 200, s
        return 404, f"Study {nct} not found"


def _page_number(params: dict[str, str]) -> int | None:
    try:
        size = int(params.get("pageSize", "10"))
        offset = decode_token(params["pageToken"]) if "pageToken" in params else 0
    except ValueError:
        return None
    return offset // size + 1


class _Handler(BaseHTTPRequestHandler):
    api: FakeCTGov
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path
        page = _page_number(params) if path == f"{PREFIX}/studies" else None
        req = Logged(path, params, dict(self.headers.items()), page)
        with self.api._lock:
            self.api.log.append(req)
        fault = self.api._take_fault(req)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            self._send(fault.status, fault.body, fault.headers)
        elif path == f"{PREFIX}/studies":
            self._send(*self.api.page(params))
        elif path.startswith(f"{PREFIX}/studies/"):
            self._send(*self.api.study(path.rsplit("/", 1)[1]))
        else:
            self._send(404, "no such endpoint")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        if isinstance(body, bytes):
            data, ctype = body, "application/json"
        elif isinstance(body, str) or body is None:
            data, ctype = (body or "").encode(), "text/plain"
        else:
            data, ctype = json.dumps(body).encode(), "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass
