"""The ClinicalTrials.gov API v2 client, against a local server replaying real records.

No test touches the internet: ``FakeCTGov`` (tests/ctgov_server.py) serves the 10 real API v2
studies of ``data/samples/ctgov_studies.json`` on 127.0.0.1 and scripts the failures.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import simtrials
from simtrials import datasets, schema
from simtrials.ctgov import Client
from simtrials.ctgov import cache as cache_mod
from simtrials.ctgov import client as client_mod
from simtrials.ctgov.query import normalize_statuses
from simtrials.ctgov.ratelimit import RateLimiter
from simtrials.ctgov.session import make_retry
from simtrials.errors import CTGovAPIError, QueryError, TrialNotFoundError

try:
    from ctgov_server import FakeCTGov, encode_token, nct_id
except ImportError:  # tests/ imported as a package
    from tests.ctgov_server import FakeCTGov, encode_token, nct_id

STUDIES = json.loads(datasets.sample_path("ctgov_studies.json").read_text(encoding="utf-8"))
ALL_IDS = [nct_id(s) for s in STUDIES]
# The sample's conditions are all asthma; words in conditions or keywords pick out a few.
SMOKERS = {"NCT00712335"}
PATIENTS = {"NCT06751550", "NCT06863285", "NCT01738087"}
UNKNOWN_OR_NOT_YET = {"NCT00410098", "NCT05915845", "NCT06863285"}


@pytest.fixture
def server():
    with FakeCTGov(STUDIES) as srv:
        yield srv


@pytest.fixture
def make_client(server, tmp_path):
    """A client of the fake server with fast retries, no rate limit and a cache in tmp_path."""
    made = []

    def make(**kwargs) -> Client:
        options = dict(
            base_url=server.base_url,
            cache_dir=tmp_path / "cache",
            timeout=2.0,
            max_retries=3,
            backoff_factor=0.01,
            rate_limit=None,
            show_progress=False,
        )
        options.update(kwargs)
        client = Client(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def cache_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / "ctgov"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def ids_of(studies: list[dict]) -> list[str]:
    return [nct_id(s) for s in studies]


def pages_requested(server) -> list[int | None]:
    return [req.page for req in server.log]


# -- one study ----------------------------------------------------------------------------------


def test_get_study_returns_the_raw_record(server, make_client):
    client = make_client()
    study = client.get_study(" nct06751550 ")
    assert study == STUDIES[1]
    assert [req.path for req in server.log] == ["/api/v2/studies/NCT06751550"]


def test_get_study_unknown_id_raises_trial_not_found(server, make_client, tmp_path):
    client = make_client()
    with pytest.raises(TrialNotFoundError, match="NCT99999999") as info:
        client.get_study("NCT99999999")
    assert info.value.nct_id == "NCT99999999"
    assert isinstance(info.value, KeyError)
    assert len(server.log) == 1  # a 404 is an answer, not retried
    assert cache_files(tmp_path) == []  # and not cached


def test_get_study_rejects_a_malformed_id_without_a_request(server, make_client):
    with pytest.raises(QueryError, match="not an NCT ID"):
        make_client().get_study("NCT123/../../x")
    assert server.log == []


def test_requests_identify_simtrials_and_send_nothing_else(
    server, make_client, tmp_path, monkeypatch
):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    make_client().get_study("NCT00410098")
    headers = {k.lower(): v for k, v in server.log[0].headers.items()}
    assert headers["user-agent"] == (
        f"simtrials/{simtrials.__version__} (+https://pypi.org/project/simtrials/)"
    )
    assert "authorization" not in headers and "cookie" not in headers


# -- searching and paging -----------------------------------------------------------------------


def test_search_follows_next_page_token_to_the_end(server, make_client):
    client = make_client(page_size=3)
    studies = client.fetch_studies(term="asthma")
    assert ids_of(studies) == ALL_IDS
    assert pages_requested(server) == [1, 2, 3, 4]
    first, *rest = [req.params for req in server.log]
    assert first == {"query.term": "asthma", "pageSize": "3", "countTotal": "true"}
    assert all("countTotal" not in p and p["pageToken"] for p in rest)


def test_search_returns_the_normalized_table_of_the_matches(server, make_client):
    trials = make_client(page_size=1).search(cond="patients")
    assert set(trials["nct_id"]) == PATIENTS
    assert list(trials.columns) == list(schema.COLUMN_NAMES)
    assert len(server.log) == 3


def test_query_cond_intr_and_status_reach_the_api(server, make_client):
    client = make_client()
    studies = client.fetch_studies(cond="ASTHMA", intr="montelukast", status="completed")
    assert set(ids_of(studies)) == SMOKERS
    assert server.log[0].params == {
        "query.cond": "ASTHMA",
        "query.intr": "montelukast",
        "filter.overallStatus": "COMPLETED",
        "pageSize": "200",
        "countTotal": "true",
    }
    assert set(ids_of(client.fetch_studies(intr="NEXThaler"))) == {"NCT01738087"}


def test_status_list_is_joined_and_spellings_normalized(server, make_client):
    studies = make_client().fetch_studies(status=["UNKNOWN", "Not yet recruiting"])
    assert set(ids_of(studies)) == UNKNOWN_OR_NOT_YET
    assert server.log[0].params["filter.overallStatus"] == "UNKNOWN,NOT_YET_RECRUITING"


def test_status_spellings_of_the_website_are_accepted():
    assert normalize_statuses("Active, not recruiting") == ["ACTIVE_NOT_RECRUITING"]
    assert normalize_statuses("recruiting|Unknown status") == ["RECRUITING", "UNKNOWN"]
    assert normalize_statuses(["COMPLETED", "completed"]) == ["COMPLETED"]


def test_unknown_status_is_refused_before_any_request(server, make_client):
    with pytest.raises(QueryError, match="unknown overall status 'RECRUTING'"):
        make_client().fetch_studies(status="RECRUTING")
    assert server.log == []


def test_a_query_without_criteria_is_refused_unless_capped(server, make_client):
    client = make_client(page_size=4)
    with pytest.raises(QueryError, match="whole registry"):
        client.fetch_studies()
    assert server.log == []
    assert ids_of(client.fetch_studies(max_studies=2)) == ALL_IDS[:2]


def test_max_studies_stops_paging_early(server, make_client):
    studies = make_client(page_size=3).fetch_studies(term="asthma", max_studies=5)
    assert ids_of(studies) == ALL_IDS[:5]
    assert pages_requested(server) == [1, 2]


def test_results_are_deduplicated_by_nct_id_first_kept(server, make_client):
    duplicate = json.loads(json.dumps(STUDIES[0]))
    duplicate["protocolSection"]["identificationModule"]["briefTitle"] = "a later copy"
    server.add_fault(
        lambda req: req.page == 2,
        status=200,
        body={"studies": [duplicate, *STUDIES[3:6]], "nextPageToken": encode_token(6)},
    )
    studies = make_client(page_size=3).fetch_studies(term="asthma")
    assert ids_of(studies) == ALL_IDS  # the copy on page 2 is dropped …
    assert studies[0] is not duplicate and studies[0] == STUDIES[0]  # … and the first kept


def test_iter_pages_streams_raw_pages(server, make_client):
    pages = make_client().iter_pages(cond="asthmatic", page_size=4)
    first = next(pages)
    assert len(server.log) == 1  # lazy: one request per page taken
    assert first["totalCount"] == 10 and len(first["studies"]) == 4 and first["nextPageToken"]
    rest = list(pages)
    assert [len(p["studies"]) for p in rest] == [4, 2]
    assert "nextPageToken" not in rest[-1]
    assert [s for p in [first, *rest] for s in p["studies"]] == STUDIES


def test_extra_params_pass_through_but_paging_params_are_reserved(server, make_client):
    client = make_client()
    assert ids_of(client.fetch_studies(params={"query.term": "bikram"})) == ["NCT00410098"]
    with pytest.raises(QueryError, match="pageSize"):
        client.fetch_studies(params={"pageSize": 5})
    with pytest.raises(QueryError, match="given twice"):
        client.fetch_studies(cond="x", params={"query.cond": "y"})


def test_a_repeated_page_token_stops_instead_of_looping(server, make_client):
    server.add_fault(
        lambda req: req.page == 2,
        status=200,
        body={"studies": STUDIES[2:4], "nextPageToken": encode_token(2)},
        times=5,
    )
    with pytest.raises(CTGovAPIError, match="nextPageToken it had sent before"):
        make_client(page_size=2).fetch_studies(term="asthma")
    assert len(server.log) == 2


# -- by NCT ID ----------------------------------------------------------------------------------


def test_get_studies_equals_read_ctgov_of_the_raw_studies(server, make_client):
    wanted = [ALL_IDS[7], ALL_IDS[2], ALL_IDS[7], ALL_IDS[0]]
    trials = make_client().get_studies(wanted)
    raw = [STUDIES[7], STUDIES[2], STUDIES[0]]
    pd.testing.assert_frame_equal(trials, simtrials.read_ctgov(raw))
    assert list(trials.columns) == list(schema.COLUMN_NAMES)
    assert list(trials["nct_id"]) == [ALL_IDS[7], ALL_IDS[2], ALL_IDS[0]]  # order asked for
    assert len(server.log) == 1
    sent = server.log[0].params["filter.ids"].split(",")
    assert sorted(sent) == sorted(set(wanted))


def test_get_studies_sends_long_id_lists_in_batches(server, make_client, monkeypatch):
    monkeypatch.setattr(client_mod, "IDS_PER_REQUEST", 4)
    trials = make_client().get_studies(reversed(ALL_IDS))
    assert list(trials["nct_id"]) == ALL_IDS[::-1]
    assert [len(req.params["filter.ids"].split(",")) for req in server.log] == [4, 4, 2]
    assert [req.params["pageSize"] for req in server.log] == ["4", "4", "2"]


def test_get_studies_with_unknown_ids(server, make_client):
    client = make_client()
    with pytest.raises(TrialNotFoundError, match="2 of 3 NCT IDs.*NCT99999998, NCT99999999"):
        client.get_studies(["NCT99999998", ALL_IDS[0], "NCT99999999"])
    with pytest.warns(UserWarning, match="NCT99999999"):
        trials = client.get_studies([ALL_IDS[0], "NCT99999999"], missing="warn")
    assert list(trials["nct_id"]) == [ALL_IDS[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.get_studies(["NCT99999999"], missing="ignore").empty


def test_get_studies_of_no_ids_makes_no_request(server, make_client):
    trials = make_client().get_studies([])
    assert trials.empty and list(trials.columns) == list(schema.COLUMN_NAMES)
    assert server.log == []


def test_an_alias_id_counts_as_found(server, make_client):
    aliased = json.loads(json.dumps(STUDIES[3]))
    aliased["protocolSection"]["identificationModule"]["nctIdAliases"] = ["NCT00000042"]
    server.add_fault(lambda req: True, status=200, body={"studies": [aliased], "totalCount": 1})
    trials = make_client().get_studies(["NCT00000042"])
    assert list(trials["nct_id"]) == [ALL_IDS[3]]


# -- retries, timeouts and broken answers -------------------------------------------------------


def test_429_is_retried_after_the_retry_after_delay(server, make_client):
    server.add_fault(status=429, body="Too Many Requests", headers={"Retry-After": "1"})
    started = time.monotonic()
    assert make_client().get_study(ALL_IDS[4]) == STUDIES[4]
    assert time.monotonic() - started >= 0.9  # the backoff alone would be ~0 s
    assert len(server.log) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(server, make_client, status):
    server.add_fault(status=status, body="oops", times=2)
    studies = make_client(page_size=5).fetch_studies(term="asthma")
    assert ids_of(studies) == ALL_IDS
    assert pages_requested(server) == [1, 1, 1, 2]


def test_the_retry_policy_is_urllib3s_with_capped_waits():
    retry = make_retry(5, 0.5)
    assert retry.total == 5 and set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.allowed_methods == {"GET"} and retry.respect_retry_after_header
    assert retry.parse_retry_after("7") == 7
    assert retry.parse_retry_after("86400") == 300  # a day-long Retry-After is capped


def test_retries_give_up_with_a_clear_error(server, make_client):
    server.add_fault(status=503, body="down for maintenance", times=99)
    with pytest.raises(
        CTGovAPIError, match="HTTP 503.*down for maintenance.*after 2 retries"
    ) as info:
        make_client(max_retries=2).fetch_studies(term="asthma")
    assert info.value.status == 503 and info.value.page == 1
    assert len(server.log) == 3


def test_a_client_error_is_not_retried(server, make_client):
    server.add_fault(status=400, body="bad query")
    with pytest.raises(CTGovAPIError, match="HTTP 400.*bad query") as info:
        make_client().fetch_studies(cond="asthma")
    assert info.value.status == 400
    assert len(server.log) == 1


def test_a_slow_answer_times_out_and_is_retried(server, make_client):
    server.add_fault(delay=1.0)  # the first answer comes too late; the retry is quick
    assert make_client(timeout=0.25).get_study(ALL_IDS[0]) == STUDIES[0]
    assert len(server.log) == 2


def test_an_api_that_stays_slow_raises(server, make_client):
    server.add_fault(delay=1.0, times=99)
    started = time.monotonic()
    with pytest.raises(CTGovAPIError, match="no answer from .*tried 2 times.*ReadTimeout"):
        make_client(timeout=0.2, max_retries=1).fetch_studies(cond="asthma")
    assert len(server.log) == 2
    assert time.monotonic() - started < 1.5


def test_connection_errors_are_retried_then_raised(make_client):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}/api/v2", max_retries=2)
    with pytest.raises(CTGovAPIError, match="no answer from .*tried 3 times") as info:
        client.get_study(ALL_IDS[0])
    assert info.value.__cause__ is not None


def test_a_page_that_is_not_json_names_the_url_and_page(server, make_client):
    server.add_fault(lambda req: req.page == 2, status=200, body=b'{"studies": [')
    with pytest.raises(
        CTGovAPIError,
        match=r"page 2 of http://127\.0\.0\.1:\d+/api/v2/studies\?.*pageToken=.* is not valid JSON",
    ) as info:
        make_client(page_size=4).fetch_studies(term="asthma")
    assert info.value.page == 2
    assert len(server.log) == 2  # a 200 is an answer: not retried


def test_a_page_without_studies_names_the_url_and_page(server, make_client):
    server.add_fault(lambda req: req.page == 3, status=200, body={"error": "none"})
    with pytest.raises(
        CTGovAPIError, match=r"page 3 of http://.*/studies\?.*no 'studies' list \(keys: error\)"
    ):
        make_client(page_size=4).fetch_studies(term="asthma")


def test_a_failed_search_resumes_from_the_cache(server, make_client, tmp_path):
    server.add_fault(lambda req: req.page == 3, status=200, body=b"<html>Bad gateway</html>")
    client = make_client(page_size=2)
    with pytest.raises(CTGovAPIError, match="page 3 of"):
        client.fetch_studies(term="asthma")
    assert pages_requested(server) == [1, 2, 3]
    assert len(cache_files(tmp_path)) == 2  # pages 1 and 2; the broken page 3 is not cached
    server.reset_log()
    studies = client.fetch_studies(term="asthma")
    assert ids_of(studies) == ALL_IDS
    assert pages_requested(server) == [3, 4, 5]  # pages 1 and 2 came from the cache
    assert len(cache_files(tmp_path)) == 5


def test_a_400_on_a_cached_token_suggests_refresh(server, make_client):
    client = make_client(page_size=5)
    client.fetch_studies(term="asthma", max_studies=5)  # caches page 1 only
    server.reset_log()
    server.add_fault(lambda req: req.page == 2, status=400, body="pageToken expired")
    with pytest.raises(CTGovAPIError, match="pageToken expired.*refresh=True"):
        client.fetch_studies(term="asthma")
    assert pages_requested(server) == [2]


# -- the cache ----------------------------------------------------------------------------------


def test_cache_files_hold_the_answer_and_are_reused(server, make_client, tmp_path):
    client = make_client(page_size=4)
    first = client.fetch_studies(cond="asthmatic")
    files = cache_files(tmp_path)
    assert len(files) == 3 and len(server.log) == 3
    assert all(len(f.stem) == 64 and f.suffix == ".json" for f in files)  # sha256 names
    entry = json.loads(files[0].read_text())
    assert set(entry) == {"format", "url", "params", "fetched_at", "data"}
    assert entry["url"] == f"{server.base_url}/studies"
    assert abs(entry["fetched_at"] - time.time()) < 60
    by_page = {
        e["params"].get("pageToken"): e["data"] for e in (json.loads(f.read_text()) for f in files)
    }
    assert by_page[None]["studies"] == STUDIES[:4] and by_page[None]["totalCount"] == 10

    server.reset_log()
    assert make_client(page_size=4).fetch_studies(cond="asthmatic") == first
    assert server.log == []  # every page from the cache

    assert client.fetch_studies(cond="asthmatic", refresh=True) == first
    assert len(server.log) == 3  # refresh asks again …
    assert cache_files(tmp_path) == files  # … and rewrites the same entries


def test_get_study_uses_the_cache_and_refresh_bypasses_it(server, make_client, tmp_path):
    client = make_client()
    client.get_study(ALL_IDS[0])
    client.get_study(ALL_IDS[0])
    assert len(server.log) == 1 and len(cache_files(tmp_path)) == 1
    client.get_study(ALL_IDS[0], refresh=True)
    assert len(server.log) == 2


def test_expired_entries_are_fetched_again(server, make_client, tmp_path):
    make_client().get_study(ALL_IDS[0])
    (path,) = cache_files(tmp_path)
    entry = json.loads(path.read_text())
    entry["fetched_at"] -= 8 * 24 * 3600  # eight days old: past the default week
    path.write_text(json.dumps(entry))
    make_client(cache_ttl=10 * 24 * 3600).get_study(ALL_IDS[0])
    assert len(server.log) == 1  # a longer ttl still accepts it
    make_client().get_study(ALL_IDS[0])
    assert len(server.log) == 2  # the default week does not
    assert json.loads(path.read_text())["fetched_at"] > time.time() - 60  # rewritten
    make_client(cache_ttl=None).get_study(ALL_IDS[0])
    assert len(server.log) == 2


@pytest.mark.parametrize(
    "damage",
    [b"", b'{"format": 1, "url": "http', b"\xff\xfe garbage", b"[1, 2, 3]", b'{"format": 1}'],
)
def test_a_corrupt_entry_is_ignored_and_refetched(server, make_client, tmp_path, damage):
    client = make_client()
    client.get_study(ALL_IDS[0])
    (path,) = cache_files(tmp_path)
    path.write_bytes(damage)
    assert client.get_study(ALL_IDS[0]) == STUDIES[0]
    assert len(server.log) == 2
    assert json.loads(path.read_text())["data"] == STUDIES[0]  # repaired


def test_a_cached_entry_that_is_not_a_page_is_refetched(server, make_client, tmp_path):
    client = make_client()
    client.fetch_studies(cond="smokers")
    (path,) = cache_files(tmp_path)
    entry = json.loads(path.read_text())
    entry["data"] = {"unexpected": True}
    path.write_text(json.dumps(entry))
    assert set(ids_of(client.fetch_studies(cond="smokers"))) == SMOKERS
    assert len(server.log) == 2


def test_an_interrupted_write_leaves_no_entry(server, make_client, tmp_path, monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_mod.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_client().get_study(ALL_IDS[0])
    assert cache_files(tmp_path) == []  # neither an entry nor a temporary file


def test_an_unwritable_cache_warns_but_answers(server, make_client, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(RuntimeWarning, match="could not write the cache entry"):
        study = make_client(cache_dir=blocker).get_study(ALL_IDS[0])
    assert study == STUDIES[0]


def test_cache_dir_none_turns_caching_off(server, make_client, tmp_path):
    client = make_client(cache_dir=None)
    client.get_study(ALL_IDS[0])
    client.get_study(ALL_IDS[0])
    assert len(server.log) == 2
    assert not (tmp_path / "cache").exists()
    assert client.clear_cache() == 0


def test_clear_cache_removes_the_entries(server, make_client, tmp_path):
    client = make_client(page_size=5)
    client.fetch_studies(term="asthma")
    assert client.clear_cache() == 2
    assert cache_files(tmp_path) == []


# -- rate limit, progress bar, optional dependency ----------------------------------------------


def test_the_rate_limit_spaces_requests(server, make_client):
    client = make_client(rate_limit=600, page_size=3)  # one request per 0.1 s
    started = time.monotonic()
    client.fetch_studies(term="asthma")
    assert len(server.log) == 4
    assert time.monotonic() - started >= 0.29


def test_the_rate_limiter_is_shared_fairly_by_threads():
    limiter = RateLimiter(60 * 20)  # one slot per 0.05 s
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        limiter.wait()
        with lock:
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= 0.04


def test_the_progress_bar_counts_studies_against_the_total(server, make_client, capsys):
    make_client(show_progress=True, page_size=4).fetch_studies(term="asthma")
    err = capsys.readouterr().err
    assert "10/10" in err and "ClinicalTrials.gov" in err


def test_without_requests_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "requests", None)
    with pytest.raises(ImportError, match=r"pip install 'simtrials\[api\]'"):
        Client(cache_dir=None)


def test_bad_settings_are_refused():
    for bad in (dict(page_size=1001), dict(page_size=0), dict(timeout=0), dict(max_retries=-1)):
        with pytest.raises(ValueError):
            Client(cache_dir=None, **bad)


def test_the_package_imports_without_requests_until_a_client_is_made():
    # simtrials itself may pull requests in through other libraries; block it from then on.
    code = (
        "import sys, simtrials\n"
        "sys.modules['requests'] = None\n"
        "import simtrials.ctgov\n"
        "try:\n"
        "    simtrials.ctgov.Client(cache_dir=None)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'simtrials[api]'" in out.stdout, out.stderr
