"""A local HTTP server for tests: serves a folder and scripted responses on 127.0.0.1.

No test touches the internet. ``LocalServer`` listens on an ephemeral port in a thread;
``server.route(path, *responses)`` scripts what a path answers, one response per request
(the last one repeats); every other path is served from ``root`` when one is given.
``server.requests`` records each request's path and query.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Reply:
    """One scripted response. ``truncate_to`` sends fewer bytes than Content-Length says;
    ``drip`` sends the body one byte every ``drip`` seconds (a server that never stops)."""

    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    truncate_to: int | None = None
    drip: float | None = None
    drip_headers: bool = False

    @classmethod
    def json(cls, obj, status: int = 200, **headers) -> Reply:
        return cls(status, json.dumps(obj).encode(), {"Content-Type": "application/json",
                                                     **headers})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "frontline-test"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        owner: LocalServer = self.server.owner
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        owner.requests.append((path, query))
        reply = owner._next(path, query)
        if reply is None:
            reply = owner._static(path)
        body = reply.body
        if reply.drip_headers:  # the status line and headers a byte at a time
            head = (f"HTTP/1.1 {reply.status} OK\r\nContent-Length: {len(body)}\r\n\r\n"
                    .encode())
            try:
                for i in range(len(head)):
                    self.wfile.write(head[i:i + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip or 0.1)
            except OSError:
                pass
            self.close_connection = True
            return
        self.send_response(reply.status)
        headers = {"Content-Length": str(len(body)), **reply.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if reply.truncate_to is not None:
            body = body[: reply.truncate_to]
        if reply.drip is not None:
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
            except OSError:  # the client gave up: that is the point
                pass
            self.close_connection = True
            return
        self.wfile.write(body)
        self.wfile.flush()
        if reply.truncate_to is not None:
            self.close_connection = True


class LocalServer:
    """A threading HTTP server on 127.0.0.1 with an ephemeral port."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else None
        self.routes: dict[str, list] = {}
        self.requests: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *replies) -> None:
        """Script ``path``: each request takes the next reply (a Reply or a callable of the
        query returning one); the last one repeats."""
        with self._lock:
            self.routes[path] = list(replies)

    def _next(self, path: str, query: dict):
        with self._lock:
            replies = self.routes.get(path)
            if not replies:
                return None
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(query) if callable(reply) else reply

    def _static(self, path: str) -> Reply:
        if self.root is None:
            return Reply(404, b"not found")
        target = (self.root / path.lstrip("/")).resolve()
        if self.root.resolve() not in target.parents or not target.is_file():
            return Reply(404, b"not found")
        return Reply(200, target.read_bytes(), {"Content-Type": "application/octet-stream"})

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_server():
    """A :class:`LocalServer` with no static root (scripted routes only)."""
    with LocalServer() as server:
        yield server
