"""The HTTP surface (SPEC §9) as one FastAPI app over a :class:`Runtime`.

``create_app`` wires the routers; it opens nothing and reads no environment. Every response
carries ``X-Content-Type-Options: nosniff``; the dashboard adds its own Content-Security-Policy.
Secrets (the API token, the Slack signing secret) are only ever compared, never echoed.
"""

from __future__ import annotations

import logging
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.gzip import GZipMiddleware

from deadlinewatch.web.api import api_router
from deadlinewatch.web.calendar import render_ics
from deadlinewatch.web.dashboard import content_security_policy, render_dashboard
from deadlinewatch.web.metrics import CONTENT_TYPE, render_metrics
from deadlinewatch.web.noncepage import NoncePage
from deadlinewatch.web.readgate import ReadGate
from deadlinewatch.web.readmodel import SnapshotCache, states_of
from deadlinewatch.web.runtime import Runtime
from deadlinewatch.web.slack_actions import slack_actions_router

__all__ = ["create_app"]

_log = logging.getLogger(__name__)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """422 naming the field, without echoing the input back."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
    first = errors[0] if errors else {"field": "(request)", "message": "invalid request"}
    return JSONResponse(
        {"detail": {"message": f"{first['field']}: {first['message']}", "field": first["field"]}},
        status_code=422,
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    """503, without the driver's message (it may name hosts, users or URLs)."""
    _log.warning("database error answering %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse({"detail": "the database does not answer"}, status_code=503)


_HEALTHY = b'{"status":"ok"}'
READS_AT_ONCE = 2  # HTTP reads in progress at once (see readgate.py); measured in bench_read_load.py
READ_WAIT_SECONDS = 2.0  # the longest a read waits for deliveries in progress to finish
# Not a possible token_urlsafe output (those have no '.'), so splitting on it finds only the slots.
_NONCE_SLOT = "nonce.slot." + secrets.token_hex(8)


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="deadlinewatch", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path.startswith(("/api/", "/slack/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz")
    async def healthz() -> Response:
        # On the event loop and constant: nothing here can queue behind busy worker threads.
        return Response(_HEALTHY, media_type="application/json")

    @app.get("/readyz")
    def readyz() -> Response:
        checks = {
            "database": runtime.store.ping(),
            "config": runtime.config() is not None,
            "scheduler": runtime.scheduler_running(),
        }
        failed = [name for name, ok in checks.items() if not ok]
        body: dict[str, Any] = {
            "status": "ready" if not failed else "unavailable",
            "checks": {name: "ok" if ok else "failing" for name, ok in checks.items()},
        }
        if failed:
            reasons = {
                "database": "the database does not answer",
                "config": "no valid config loaded yet",
                "scheduler": "the scheduler is not running",
            }
            body["failed"] = failed
            body["detail"] = "; ".join(reasons[name] for name in failed)
        return JSONResponse(body, status_code=503 if failed else 200)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(render_metrics(runtime), media_type=CONTENT_TYPE)

    # Whole-document pages, rendered once per state of the read model (and, for the words that
    # change with time, at most once a minute), then served from memory.
    calendars: SnapshotCache[str] = SnapshotCache()
    dashboards: SnapshotCache[NoncePage] = SnapshotCache(min_age=60.0)

    @app.get("/calendar.ics")
    def calendar() -> Response:
        planner = runtime.planner()
        if planner is None:
            return JSONResponse({"detail": "no config loaded yet"}, status_code=503)
        now = runtime.now()
        model = states_of(planner, now)
        text = calendars.get(
            (weakref.ref(model), model.revision), lambda: render_ics(planner, now), monotonic=time.monotonic
        )
        return Response(
            text,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="deadlinewatch.ics"'},
        )

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> Response:
        planner = runtime.planner()
        now = runtime.now()
        nonce = secrets.token_urlsafe(18)
        headers = {"Content-Security-Policy": content_security_policy(nonce), "Cache-Control": "no-store"}
        if planner is None:
            empty, _ = render_dashboard(None, now, nonce)
            return HTMLResponse(empty, status_code=503, headers=headers)
        model = states_of(planner, now)

        def build() -> NoncePage:
            # rendered with a placeholder nonce; each response gets its own
            return NoncePage(render_dashboard(model, now, _NONCE_SLOT)[0].split(_NONCE_SLOT))

        key = (weakref.ref(model), model.revision, now.replace(second=0, microsecond=0))
        page = dashboards.get(key, build, monotonic=time.monotonic)
        if "gzip" in request.headers.get("accept-encoding", ""):
            # compressed once per rendering (GZipMiddleware leaves an encoded body alone)
            headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return HTMLResponse(page.gzipped(nonce), headers=headers)
        return HTMLResponse(page.text(nonce), headers=headers)

    app.include_router(api_router(runtime))
    app.include_router(slack_actions_router(runtime))
    # Outermost: compresses what the handlers and the other middleware produced. Bodies of 128 KiB
    # and more are compressed in a worker thread (zlib lets go of the GIL), not on the event loop.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    # Outermost of all: reads beyond the gate's limit wait before any work is done for them.
    app.add_middleware(ReadGate, limit=READS_AT_ONCE, busy=runtime.delivering, max_wait=READ_WAIT_SECONDS)
    return app
