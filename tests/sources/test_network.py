"""Every network call has an overall deadline and a bounded retry budget (issue 10, item 4).

A local server on 127.0.0.1 drips bytes, rate-limits for ever, or fails; small deadlines
keep the tests fast, and each test measures the time frontline took to give up.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from frontline.errors import FetchError, ServiceError
from frontline.sources.arcgis import fetch_layer
from frontline.sources.network import HttpPolicy, http_get, new_session
from frontline.sources.services import Endpoint

from .._httpserver import LocalServer, Reply


@pytest.fixture
def server():
    with LocalServer() as server:
        yield server


def timed(call):
    start = time.monotonic()
    try:
        call()
    except Exception as err:  # noqa: BLE001 - returned for the test to check
        return time.monotonic() - start, err
    raise AssertionError("expected a failure")


def test_a_server_dripping_one_byte_at_a_time_is_cut_at_the_deadline(server):
    # 1,000 bytes, one every 0.3 s: 300 s if frontline waited for the body. Every read
    # gets a byte well inside any per-read timeout, so only an overall deadline stops it.
    server.route("/drip", Reply(200, b"x" * 1000, drip=0.3))
    policy = HttpPolicy(deadline=1.5, retries=0, budget=10)
    seconds, err = timed(lambda: http_get(new_session(), f"{server.url}/drip",
                                          policy=policy))
    assert isinstance(err, FetchError)
    assert 1.4 <= seconds < 2.5
    assert "timed out" in str(err) and "gave up after 1." in str(err)
    assert "each attempt may take 1.5 s" in str(err)


def test_a_server_dripping_its_headers_is_cut_at_the_deadline(server):
    server.route("/slow-head", Reply(200, b"ok", drip=0.2, drip_headers=True))
    policy = HttpPolicy(deadline=1.0, retries=0, budget=10)
    seconds, err = timed(lambda: http_get(new_session(), f"{server.url}/slow-head",
                                          policy=policy))
    assert isinstance(err, FetchError)
    assert 0.9 <= seconds < 1.6
    assert "no complete headers within 1 s" in str(err)


def test_the_deadline_holds_for_downloads_to_a_file_and_leaves_nothing(server, tmp_path):
    server.route("/drip", Reply(200, b"x" * 1000, drip=0.2))
    target = tmp_path / "out.bin"
    policy = HttpPolicy(deadline=0.8, retries=1, budget=30, backoff=0.01)
    seconds, err = timed(lambda: http_get(new_session(), f"{server.url}/drip",
                                          policy=policy, sink=target))
    assert isinstance(err, FetchError)
    assert 1.5 <= seconds < 3.0  # two attempts of 0.8 s
    assert "2 attempt(s)" in str(err)
    assert not target.exists()


@pytest.fixture
def hanging_url():
    """A server on 127.0.0.1 that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hang"


def running_workers():
    return [t for t in threading.enumerate() if t.name == "frontline-http" and t.is_alive()]


def test_a_hanging_server_leaves_no_worker_after_the_deadline(hanging_url, tmp_path):
    # Before: the worker waited on for its socket's read timeout (another deadline) after
    # frontline had given up; now its socket is shut at the deadline and it ends with it.
    target = tmp_path / "out.bin"
    policy = HttpPolicy(deadline=0.5, retries=1, budget=10, backoff=0.01)
    seconds, err = timed(lambda: http_get(new_session(), hanging_url, policy=policy,
                                          sink=target))
    assert isinstance(err, FetchError)
    assert "no complete headers within 0.5 s" in str(err) and "2 attempt(s)" in str(err)
    assert 0.9 <= seconds < 2.0
    assert running_workers() == []
    time.sleep(0.6)  # past what the old worker's read timeout was: nothing written since
    assert not target.exists()


def test_after_a_stalled_attempt_the_retry_alone_answers(server):
    # the first reply drips its headers for ~8 s; the worker waiting on it is stopped at
    # the 0.6 s deadline, so the retry does not share the session with a live worker
    server.route("/a", Reply(200, b"late", drip=0.2, drip_headers=True), Reply(200, b"ok"))
    answer = http_get(new_session(), f"{server.url}/a",
                      policy=HttpPolicy(deadline=0.6, retries=1, budget=10, backoff=0.01))
    assert (answer.status, answer.body, answer.attempts) == (200, b"ok", 2)
    assert running_workers() == []


def test_a_worker_still_connecting_at_the_deadline_sends_nothing(server, monkeypatch):
    # a connection that takes 0.8 s to open (a slow name lookup, say) cannot be cut from
    # another thread; once open, the worker finds its attempt abandoned and closes it
    # without sending the request
    import urllib3.util.connection

    real = urllib3.util.connection.create_connection

    def slow(*args, **kwargs):
        time.sleep(0.8)
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", slow)
    server.route("/a", Reply(200, b"ok"))
    seconds, err = timed(lambda: http_get(new_session(), f"{server.url}/a",
                                          policy=HttpPolicy(deadline=0.3, retries=0)))
    assert isinstance(err, FetchError) and "no complete headers within 0.3 s" in str(err)
    assert 0.7 <= seconds < 1.3  # the caller waited for the worker to end
    assert running_workers() == []
    assert server.requests == []


def test_a_permanent_429_gives_up_within_the_budget(server):
    # Retry-After asks for 1 s each time; 50 retries would take 50 s: the 2.5 s budget
    # stops it after the third attempt (a fourth wait would end past the budget).
    server.route("/busy", Reply(429, b"slow down", {"Retry-After": "1"}))
    policy = HttpPolicy(deadline=5, retries=50, budget=2.5)
    seconds, err = timed(lambda: http_get(new_session(), f"{server.url}/busy",
                                          policy=policy))
    assert isinstance(err, FetchError)
    assert seconds < 2.5
    assert len(server.requests) == 3
    assert "HTTP 429" in str(err) and "retry budget is spent" in str(err)
    said = float(re.search(r"gave up after ([\d.]+) s", str(err)).group(1))
    assert 1.9 <= said <= seconds + 0.05  # two waits of 1 s, measured by frontline


def test_retries_are_counted_too(server):
    server.route("/down", Reply(503, b"busy"))
    policy = HttpPolicy(retries=2, backoff=0.01, budget=60)
    with pytest.raises(FetchError, match=r"HTTP 503.*gave up after 0\.\d s and 3 attempt"):
        http_get(new_session(), f"{server.url}/down", policy=policy)
    assert len(server.requests) == 3


def test_a_429_then_an_answer_within_the_budget(server):
    server.route("/a", Reply(429, b"", {"Retry-After": "0.1"}), Reply(200, b"ok"))
    answer = http_get(new_session(), f"{server.url}/a", policy=HttpPolicy(budget=5))
    assert (answer.status, answer.body, answer.attempts) == (200, b"ok", 2)


def test_arcgis_snapshot_says_when_it_gave_up(server):
    endpoint = Endpoint("control", "VIEW_RussiaCoTinUkraine_V3", 49)
    server.route("/s/VIEW_RussiaCoTinUkraine_V3/FeatureServer/49",
                 Reply(200, b'{"objectIdField": "OBJECTID"}', drip=0.3))
    policy = HttpPolicy(deadline=1.0, retries=0, budget=5)
    seconds, err = timed(lambda: fetch_layer(endpoint, base=f"{server.url}/s",
                                             policy=policy))
    assert isinstance(err, ServiceError)
    assert seconds < 2.0
    assert "gave up after 1." in str(err) and "FRONTLINE_ARCGIS_URL" in str(err)
