"""Every network call frontline makes: an overall deadline and a bounded retry budget.

A request is one attempt at a URL: connecting, reading the headers and reading the whole
body must together fit inside its *deadline* (``HttpPolicy.deadline``, seconds). The
socket's timeout is lowered before every read to what is left of the deadline, so a
server that drips one byte every few seconds is cut when the deadline passes, not when
it stops sending. Failed attempts (connection errors, a body cut short, a deadline
passed, HTTP 429/5xx) are retried with exponential back-off, honouring ``Retry-After``,
while the *retry budget* lasts: at most ``retries`` further attempts and at most
``budget`` seconds for all attempts and waits together. A wait that would end after the
budget is not started. When frontline gives up, the :class:`~frontline.errors.FetchError`
says after how many seconds and attempts, and what the last attempt got.

Other HTTP statuses (404, 403...) are returned to the caller, which knows what they mean.

The headers are awaited in a worker thread (socket timeouts bound each read, not a server
that sends its headers a byte at a time). At the deadline the caller shuts down the
socket that worker waits on (sessions from :func:`new_session` mount an adapter that
makes the socket reachable), so the worker ends and no thread or connection outlives the
attempt. One step cannot be cut from another thread: resolving the host name and opening
the connection (urllib3 hands over the socket only once it is connected, and a name
lookup cannot be interrupted). A worker caught there ends when that step does (the
connect timeout bounds the connection, the system's resolver the lookup) and, finding its
attempt abandoned, closes the connection without sending the request. It never writes
anything: the body and ``sink`` are read and written by the caller's thread only.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from frontline.errors import FetchError, one_line

__all__ = ["DEFAULT_POLICY", "RETRY_STATUS", "USER_AGENT", "Answer", "HttpPolicy",
           "http_get", "json_answer", "new_session"]

log = logging.getLogger(__name__)

#: HTTP statuses worth another try (rate limit, server trouble).
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})

USER_AGENT = "frontline (https://github.com/; data fetcher)"


@dataclass(frozen=True)
class HttpPolicy:
    """How long frontline waits for a server.

    Attributes
    ----------
    deadline : float
        Seconds one attempt may take in all: connecting, headers and the whole body.
    connect : float
        Seconds to wait for the connection itself (at most ``deadline``).
    retries : int
        Further attempts after the first one.
    budget : float
        Seconds all attempts and the waits between them may take together.
    backoff : float
        First wait between attempts (doubled each time) when the server names none.
    max_wait : float
        Longest single wait, whatever ``Retry-After`` asks.
    """

    deadline: float = 120.0
    connect: float = 15.0
    retries: int = 3
    budget: float = 180.0
    backoff: float = 1.0
    max_wait: float = 30.0

    def with_(self, **changes: float | int | None) -> HttpPolicy:
        """A copy with the given fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


#: The policy used when a caller gives none: a permanent 429 asking for a minute gives up
#: after about 90 s (4 attempts, waits cut to 30 s); nothing takes more than 180 s.
DEFAULT_POLICY = HttpPolicy()


@dataclass
class Answer:
    """One HTTP answer read completely within its deadline."""

    url: str
    status: int
    reason: str
    headers: dict
    body: bytes
    seconds: float
    attempts: int

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header, lower case (``""`` if none)."""
        return str(self.headers.get("content-type", "")).lower()


#: Seconds the caller waits for a worker whose socket it shut down to end.
_WORKER_EXIT = 1.0


class _DeadlinePassed(Exception):
    """One attempt ran out of time."""


class _HeaderWait:
    """The socket a worker waits on for headers, so the caller can cut it at the deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.abandoned = False

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            if self.abandoned:  # the deadline passed while connecting: send nothing
                raise _DeadlinePassed("the attempt was abandoned at its deadline")
            self._sock = sock

    def detach(self) -> None:
        with self._lock:
            self._sock = None

    def abandon(self) -> None:
        """Mark the attempt given up and wake the worker's blocked read (its socket shut)."""
        with self._lock:
            self.abandoned = True
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)


_WORKER = threading.local()  # the _HeaderWait of the attempt a worker thread runs


class _WatchedConnection:
    """Hands the socket to the worker's :class:`_HeaderWait` from the moment it is
    connected (or taken from the pool) until the headers have arrived.
    """

    def connect(self) -> None:  # noqa: D102 - urllib3's method, watched
        super().connect()
        wait = getattr(_WORKER, "wait", None)
        if wait is not None:  # one of http_get's workers: abandoned? then send nothing
            wait.attach(self.sock)

    def getresponse(self):  # noqa: D102 - urllib3's method, watched
        wait = getattr(_WORKER, "wait", None)
        if wait is None:  # not one of http_get's workers
            return super().getresponse()
        wait.attach(self.sock)  # a pooled connection skipped connect()
        try:
            return super().getresponse()
        finally:
            wait.detach()


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter with connections whose header read the deadline can cut."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: D102 - requests' hook
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs):  # noqa: D102 - requests' hook
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools are urllib3's own
            manager.pool_classes_by_scheme = _POOLS
        return manager


def new_session() -> requests.Session:
    """A requests session with frontline's User-Agent.

    Its connections are ones the deadline of :func:`http_get` can cut while they wait for
    headers.
    """
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    for prefix in ("http://", "https://"):
        session.mount(prefix, _Adapter())
    return session


def _retry_after(headers) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (seconds or an HTTP date)."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _socket(response: requests.Response):
    connection = getattr(response.raw, "connection", None)
    return getattr(connection, "sock", None)


def _headers(session: requests.Session, url: str, params, deadline: float,
             connect: float) -> requests.Response:
    """Connect and read the headers within ``deadline`` seconds.

    The request runs in a worker thread; at the deadline the socket it waits on is shut
    down and the worker ends (see the module's notes for the one step that cannot be cut).
    """
    box: dict = {}
    wait = _HeaderWait()

    def run():
        _WORKER.wait = wait
        try:
            box["response"] = session.get(url, params=params, stream=True,
                                          timeout=(min(connect, deadline), deadline))
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = err

    worker = threading.Thread(target=run, name="frontline-http", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        wait.abandon()
        worker.join(_WORKER_EXIT)
        if "response" in box:  # the headers came in as the deadline passed: unused
            box["response"].close()
        raise _DeadlinePassed(f"no complete headers within {deadline:g} s")
    if "error" in box:
        if isinstance(box["error"], requests.Timeout):
            raise _DeadlinePassed(str(box["error"])) from box["error"]
        raise box["error"]
    return box["response"]


def _attempt(session: requests.Session, url: str, params, deadline: float, connect: float,
             sink: Path | None, on_bytes) -> Answer:
    """One GET read completely before ``deadline`` seconds have passed."""
    start = time.monotonic()
    response = _headers(session, url, params, deadline, connect)
    with response, (open(sink, "wb") if sink is not None else contextlib.nullcontext()) as out:
        sock = _socket(response)
        chunks = []
        while True:
            left = deadline - (time.monotonic() - start)
            if left <= 0:
                raise _DeadlinePassed(f"the body was still arriving after {deadline:g} s")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.settimeout(left)
            try:
                chunk = response.raw.read1(1 << 16, decode_content=True)
            except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as err:
                raise _DeadlinePassed(f"no data within {deadline:g} s") from err
            except urllib3.exceptions.ProtocolError as err:
                raise requests.exceptions.ChunkedEncodingError(
                    f"the transfer was cut short ({one_line(err)})") from err
            if not chunk:
                break
            if out is not None:
                out.write(chunk)
            else:
                chunks.append(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
        return Answer(url=response.url, status=response.status_code,
                      reason=response.reason or "", headers=dict(response.headers),
                      body=b"".join(chunks), seconds=time.monotonic() - start, attempts=1)


def http_get(session: requests.Session, url: str, *, params: dict | None = None,
             policy: HttpPolicy = DEFAULT_POLICY, sink: str | os.PathLike[str] | None = None,
             on_bytes: Callable[[int], object] | None = None) -> Answer:
    """GET ``url`` within ``policy``'s deadline, retrying within its budget.

    Parameters
    ----------
    session : requests.Session
        From :func:`new_session`: its adapter lets the deadline cut a connection still
        waiting for headers. Another session's connections cannot be cut: an abandoned
        worker then waits on until its socket's read timeout, and is ignored.
    url : str
    params : dict, optional
        Query parameters.
    policy : HttpPolicy
        Deadline of one attempt, retries and the overall budget.
    sink : path-like, optional
        Write the body to this file (rewritten by each attempt) instead of keeping it in
        :attr:`Answer.body`.
    on_bytes : callable, optional
        Called with the size of every chunk received (progress bars).

    Returns
    -------
    Answer
        The first answer whose status is not 429/5xx (404 included: the caller decides).

    Raises
    ------
    FetchError
        No usable answer within the budget: the message says after how many seconds and
        attempts frontline gave up and what the last attempt got.

    Examples
    --------
    >>> HttpPolicy(deadline=5, budget=20).with_(retries=1, backoff=None)
    HttpPolicy(deadline=5, connect=15.0, retries=1, budget=20, backoff=1.0, max_wait=30.0)
    """
    sink = Path(sink) if sink is not None else None
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        left = policy.budget - (time.monotonic() - start)
        deadline = max(0.001, min(policy.deadline, left))
        wait = None
        try:
            answer = _attempt(session, url, params, deadline, policy.connect, sink, on_bytes)
        except _DeadlinePassed as err:
            problem = f"timed out ({err})"
            cut_by_budget = deadline < policy.deadline
        except requests.exceptions.ChunkedEncodingError as err:
            problem, cut_by_budget = one_line(err), False
        except requests.ConnectionError as err:
            problem, cut_by_budget = f"cannot connect ({one_line(err)})", False
        else:
            answer.attempts = attempt
            answer.seconds = time.monotonic() - start
            if answer.status not in RETRY_STATUS:
                return answer
            problem = f"HTTP {answer.status} {answer.reason}".rstrip()
            cut_by_budget = False
            wait = _retry_after(answer.headers)
        if wait is None:
            wait = policy.backoff * 2 ** (attempt - 1)
        wait = min(wait, policy.max_wait)
        elapsed = time.monotonic() - start
        if attempt > policy.retries or cut_by_budget or elapsed + wait > policy.budget:
            if sink is not None:
                sink.unlink(missing_ok=True)
            why = ("the retry budget is spent" if attempt <= policy.retries
                   else f"{policy.retries} retr{'y' if policy.retries == 1 else 'ies'} "
                        "are spent")
            raise FetchError(
                f"{url}: {problem}; gave up after {elapsed:.1f} s and {attempt} "
                f"attempt(s) ({why}; each attempt may take {policy.deadline:g} s, all of "
                f"them {policy.budget:g} s)."
            )
        log.info("%s: %s; retrying in %.1f s", url, problem, wait)
        time.sleep(wait)


def json_answer(answer: Answer, *, fix: str) -> Any:
    """The JSON of an answer, or one :class:`~frontline.errors.ServiceError` saying why not.

    An HTTP error status, an HTML page (a login wall, a maintenance page), an empty body
    or text that is not JSON are refused; ``fix`` ends the message (what to check).
    """
    from frontline.errors import ServiceError

    url, body = answer.url, answer.body
    if answer.status >= 400:
        raise ServiceError(f"{url}: HTTP {answer.status} {answer.reason}: {fix}")
    if "html" in answer.content_type or body.lstrip()[:1] == b"<":
        title = re.search(rb"<title>(.*?)</title>", body, re.I | re.S)
        shown = title.group(1).decode(errors="replace").strip() if title else ""
        raise ServiceError(
            f"{url}: returned an HTML page{f' ({shown!r})' if shown else ''} instead of "
            f"JSON: the service is down, asks for a login, or was renamed: {fix}"
        )
    if not body.strip():
        raise ServiceError(f"{url}: returned an empty answer: try again later; {fix}")
    try:
        return json.loads(body)
    except ValueError as err:
        raise ServiceError(f"{url}: the answer is not JSON ({err}): {fix}") from err
