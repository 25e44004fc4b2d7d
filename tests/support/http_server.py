"""A scriptable local HTTP server for source tests and benchmarks (127.0.0.1, a free port).

Runs ``http.server.ThreadingHTTPServer`` (HTTP/1.1, keep-alive) in a background thread, so it
serves any event loop. Each path plays one scripted :class:`Route`:

- ``serve(path, body, etag=..., last_modified=...)``: a fixed body; a request whose
  ``If-None-Match`` / ``If-Modified-Since`` matches gets a 304 with no body;
- ``serve(path, b"", status=500)``: any status code;
- ``serve_slow_forever(path)``: headers, then a byte now and then, never ending;
- ``serve_huge(path, size)``: ``size`` bytes streamed (with or without ``Content-Length``);
- ``redirect(path, to)``: a 302 (``redirect("/loop", "/loop")`` is a redirect loop).

Unknown paths are 404. Every request is recorded (path, headers, what was answered).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Kind = Literal["fixed", "slow_forever", "huge", "redirect"]


@dataclass
class Route:
    kind: Kind = "fixed"
    body: bytes = b""
    status: int = 200
    content_type: str = "application/xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    size: int = 0
    declare_length: bool = False
    location: str = ""
    interval: float = 0.05


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    answered: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write (flushed after each request): two small writes on a
    # keep-alive connection meet Nagle's algorithm and delayed ACKs, 40 ms a response.
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            route = self.server.routes.get(path)
        if route is None:
            self._record(path, 404)
            self._plain(404, b"not found")
        elif route.kind == "redirect":
            self._record(path, 302)
            self._plain(302, b"", {"Location": route.location})
        elif route.kind == "slow_forever":
            self._record(path, 200)
            self._slow_forever(route)
        elif route.kind == "huge":
            self._record(path, 200)
            self._huge(route)
        elif self._not_modified(route):
            self._record(path, 304)
            self._plain(304, b"", self._validators(route), content_type=None)
        else:
            self._record(path, route.status)
            headers = {**self._validators(route), **route.headers}
            self._plain(route.status, route.body, headers, content_type=route.content_type)

    def _record(self, path: str, status: int) -> None:
        with self.server.lock:
            self.server.requests.append(RecordedRequest(path, dict(self.headers.items()), status))

    def _not_modified(self, route: Route) -> bool:
        tag = self.headers.get("If-None-Match")
        since = self.headers.get("If-Modified-Since")
        if route.etag is not None and tag is not None:
            return route.etag in [t.strip() for t in tag.split(",")]
        return route.last_modified is not None and since == route.last_modified

    @staticmethod
    def _validators(route: Route) -> dict[str, str]:
        out: dict[str, str] = {}
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        return out

    def _plain(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str | None = "text/plain",
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body)

    def _slow_forever(self, route: Route) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while not self.server.stopping.is_set():
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(route.interval)
        except OSError:
            return

    def _huge(self, route: Route) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        if route.declare_length:
            self.send_header("Content-Length", str(route.size))
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"<!-- padding -->" * 4096
        sent = 0
        try:
            while sent < route.size and not self.server.stopping.is_set():
                piece = chunk[: route.size - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            return


class LocalHttpServer:
    """Start with ``with LocalHttpServer() as server:``; script paths, then poll ``server.url(path)``."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-http", daemon=True)

    def __enter__(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def _set(self, path: str, route: Route) -> None:
        with self._server.lock:
            self._server.routes[path] = route

    def serve(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "application/xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self._set(path, Route("fixed", data, status, content_type, etag, last_modified, dict(headers or {})))

    def serve_slow_forever(self, path: str, interval: float = 0.05) -> None:
        self._set(path, Route("slow_forever", interval=interval))

    def serve_huge(self, path: str, size: int, *, declare_length: bool = False) -> None:
        self._set(path, Route("huge", size=size, declare_length=declare_length))

    def redirect(self, path: str, to: str) -> None:
        self._set(path, Route("redirect", location=to))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._server.lock:
            return list(self._server.requests)

    def answered(self, path: str, status: int) -> int:
        """How many requests for ``path`` were answered with ``status``."""
        return sum(1 for r in self.requests if r.path == path and r.answered == status)


@contextmanager
def local_http_server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        yield server
