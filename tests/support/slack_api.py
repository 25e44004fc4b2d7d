"""A local HTTP server speaking enough of the Slack Web API for tests (and an incoming webhook).

Runs ``http.server.ThreadingHTTPServer`` on 127.0.0.1 and a free port in a background thread, so
it serves any event loop (each test may ``asyncio.run`` its own). Implements ``POST /api/auth.test``
and ``POST /api/chat.postMessage`` (JSON or form body, bearer token or ``token`` field), records
every request (``state.delay`` slows each ``chat.postMessage`` answer), and plays scripted failures:
``fail_next(429, retry_after=...)``, ``fail_next(500)``,
tokens answered with ``invalid_auth``, unknown channels with ``channel_not_found``. ``POST
/webhook`` behaves like an incoming webhook (``ok`` as text).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    token: str | None


@dataclass
class ScriptedFailure:
    status: int
    error: str | None = None
    retry_after: str | None = None


@dataclass
class SlackApiState:
    tokens: set[str]
    revoked: set[str] = field(default_factory=set)
    channels: set[str] | None = None  # None = every channel exists
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: deque[ScriptedFailure] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    delay: float = 0.0  # seconds before answering each chat.postMessage (a slow Slack)


def _decode_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        decoded = json.loads(raw)
        return decoded if isinstance(decoded, dict) else {"_": decoded}
    body: dict[str, Any] = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    for key in ("blocks", "metadata", "attachments"):
        if isinstance(body.get(key), str):
            body[key] = json.loads(body[key])
    return body


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def _answer(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        ctype = "text/plain" if isinstance(payload, str) else "application/json; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client went away
            self.wfile.write(body)

    def do_POST(self) -> None:
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = _decode_body(self.headers.get("Content-Type", ""), raw)
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else body.get("token")
        with state.lock:
            state.requests.append(RecordedRequest(self.path, dict(self.headers.items()), body, token))
            failure = state.failures.popleft() if state.failures else None
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            if self.path == "/webhook":
                self._answer(failure.status, failure.error or "error", headers)
            elif failure.status >= 500 and failure.error is None:
                self._answer(failure.status, "<html>upstream error</html>", headers)
            else:
                self._answer(failure.status, {"ok": False, "error": failure.error or "ratelimited"}, headers)
            return
        if self.path == "/webhook":
            self._answer(200, "ok")
            return
        if not token:
            self._answer(200, {"ok": False, "error": "not_authed"})
            return
        if token in state.revoked or token not in state.tokens:
            self._answer(200, {"ok": False, "error": "invalid_auth"})
            return
        if self.path == "/api/auth.test":
            self._answer(200, {"ok": True, "user_id": "UBOT", "team": "test", "bot_id": "BBOT"})
        elif self.path == "/api/chat.postMessage":
            if state.delay > 0:
                time.sleep(state.delay)
            channel = str(body.get("channel", ""))
            if not channel or (state.channels is not None and channel not in state.channels):
                self._answer(200, {"ok": False, "error": "channel_not_found"})
                return
            ts = f"1700000000.{next(state.counter):06d}"
            self._answer(200, {"ok": True, "channel": "C" + channel.strip("#").upper()[:10], "ts": ts})
        else:
            self._answer(404, {"ok": False, "error": "unknown_method"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: SlackApiState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class SlackApiServer:
    """``with SlackApiServer() as api:`` … ``api.api_url`` (``http://127.0.0.1:PORT/api/``)."""

    def __init__(self, tokens: set[str] | None = None, channels: set[str] | None = None) -> None:
        self.state = SlackApiState(tokens=tokens if tokens is not None else {"xoxb-test"}, channels=channels)
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/webhook"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def posted(self) -> list[dict[str, Any]]:
        """Bodies of the ``chat.postMessage`` requests, in order."""
        return [r.body for r in self.requests if r.path == "/api/chat.postMessage"]

    def fail_next(
        self, status: int, *, count: int = 1, error: str | None = None, retry_after: float | None = None
    ) -> None:
        with self.state.lock:
            for _ in range(count):
                after = None if retry_after is None else f"{retry_after:g}"
                self.state.failures.append(ScriptedFailure(status, error, after))

    def revoke(self, token: str) -> None:
        with self.state.lock:
            self.state.revoked.add(token)

    def start(self) -> SlackApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlackApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
