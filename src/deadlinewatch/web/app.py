"""The HTTP surface (SPEC §9) as one FastAPI app over a :class:`Runtime`.

``create_app`` wires the routers and, in front of them (outermost first): HTTP metrics, the access
log of writes, allowed hosts (400), the body-size limit (413, before the body is read), the
optional read token (401). It reads no environment (``HttpSettings`` carries what the service
read) and opens no connection until a probe runs. Every response carries
``X-Content-Type-Options: nosniff``; the dashboard adds its own Content-Security-Policy. Secrets
(the API, read and Slack secrets) are only ever compared, never echoed.
"""

from __future__ import annotations

import logging
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.middleware.gzip import GZipMiddleware

from deadlinewatch.services.agenda import waiting_notices
from deadlinewatch.storage import Store
from deadlinewatch.storage.database import create_probe_engine, sqlite_path_of
from deadlinewatch.storage.readonly import reader_beside
from deadlinewatch.web.access_log import AccessLog
from deadlinewatch.web.api import api_router
from deadlinewatch.web.api_reads import read_router
from deadlinewatch.web.body_limit import BodySizeLimit
from deadlinewatch.web.calendar import calendar_identity, render_ics
from deadlinewatch.web.dashboard import content_security_policy, render_dashboard
from deadlinewatch.web.dbreads import RETRY_AFTER_SECONDS, DatabaseReads, DatabaseUnavailable
from deadlinewatch.web.hosts import AllowedHosts
from deadlinewatch.web.http_metrics import HttpMetrics
from deadlinewatch.web.metrics import CONTENT_TYPE, MetricsExporter
from deadlinewatch.web.noncepage import NoncePage
from deadlinewatch.web.openapi import describe_openapi
from deadlinewatch.web.probe import DatabaseProbe, ProbeTimeout
from deadlinewatch.web.read_access import ReadAccess, same_secret
from deadlinewatch.web.readgate import ReadGate, read_database
from deadlinewatch.web.readmodel import SnapshotCache, states_of
from deadlinewatch.web.runtime import Runtime
from deadlinewatch.web.settings import HttpSettings
from deadlinewatch.web.slack_actions import slack_actions_router
from deadlinewatch.web.slack_replay import DuplicateSlackRequest, duplicate_answer
from deadlinewatch.web.starting import StartingGate

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


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A date or duration beyond what the calendar holds (year 1 or 9999 and a step further)."""
    return JSONResponse(
        {"detail": {"message": "(body): a date or duration is out of range", "field": "(body)"}},
        status_code=422,
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    """503, without the driver's message (it may name hosts, users or URLs); 422 for a value the
    database refuses to store (a NUL character in text on PostgreSQL)."""
    if isinstance(exc, DataError):
        return JSONResponse(
            {"detail": {"message": "(body): a value the database cannot store", "field": "(body)"}},
            status_code=422,
        )
    _log.warning("database error answering %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        {"detail": "the database does not answer; try again"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _database_late(request: Request, exc: Exception) -> Response:
    """503 naming the wait, for a read the database did not answer in time (see dbreads.py)."""
    assert isinstance(exc, DatabaseUnavailable)
    return JSONResponse(
        {"detail": exc.detail}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def _database_ready(probe_store: Store) -> bool:
    path = sqlite_path_of(probe_store.engine)
    if path is not None and not path.exists():
        return False  # deleted under us: connecting would only create an empty file
    return probe_store.ping()


_HEALTHY = b'{"status":"ok"}'
READS_AT_ONCE = 2  # HTTP reads in progress at once (see readgate.py); measured in bench_read_load.py
READ_WAIT_SECONDS = 2.0  # the longest a read waits for deliveries in progress to finish
DATABASE_READ_SECONDS = 4.0  # the longest an HTTP read waits for the database (then 503)
DATABASE_READERS = 4  # threads (and PostgreSQL connections) for the HTTP surface's reads
_DASHBOARD_VIEWS = 8  # timeline ranges kept rendered
# Not a possible token_urlsafe output (those have no '.'), so splitting on it finds only the slots.
_NONCE_SLOT = "nonce.slot." + secrets.token_hex(8)


def _writable(store: Store, probe_store: Store) -> bool:
    """False while the service's writes fail for a full disk and a probe write still fails."""
    if store.write_failure is None:
        return True
    if not probe_store.probe_write():
        return False
    store.write_failure = None
    return True


def create_app(runtime: Runtime, settings: HttpSettings | None = None) -> FastAPI:
    settings = settings or HttpSettings()
    app = FastAPI(title="deadlinewatch", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DatabaseUnavailable, _database_late)
    app.add_exception_handler(DuplicateSlackRequest, duplicate_answer)
    probe = DatabaseProbe()
    probe_store = Store(create_probe_engine(runtime.store.engine))
    exporter = MetricsExporter(runtime, probe, probe_store)
    reads = DatabaseReads(timeout=DATABASE_READ_SECONDS, workers=DATABASE_READERS)
    reader = reader_beside(runtime.store.engine, DATABASE_READERS)

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
    async def readyz() -> Response:
        try:
            answers = await probe.arun("ready", lambda: _database_ready(probe_store))
        except ProbeTimeout:
            answers = False
        writable = True
        if answers and runtime.store.write_failure is not None:
            # A write failed for a full disk: reads work, writes do not. One small write through
            # the probe's engine says whether space is back.
            try:
                writable = await probe.arun("writable", lambda: _writable(runtime.store, probe_store))
            except ProbeTimeout:
                writable = False
        starting = runtime.starting()
        checks = {
            "database": answers and writable,
            "config": runtime.config() is not None,
            "scheduler": runtime.scheduler_running(),
            "started": starting is None,
        }
        failed = [name for name, ok in checks.items() if not ok]
        body: dict[str, Any] = {
            "status": "ready" if not failed else "unavailable",
            "checks": {name: "ok" if ok else "failing" for name, ok in checks.items()},
        }
        if failed:
            reasons = {
                "database": "the database does not answer"
                if not answers
                else f"the database refuses writes: {runtime.store.write_failure or 'see the log'}",
                "config": "no valid config loaded yet",
                "scheduler": "the scheduler is not running",
                "started": f"starting: {starting}",
            }
            body["failed"] = failed
            body["detail"] = "; ".join(reasons[name] for name in failed)
        return JSONResponse(body, status_code=503 if failed else 200)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(exporter.render(), media_type=CONTENT_TYPE)

    # Whole-document pages, rendered once per state of the read model (and, for the words that
    # change with time, at most once a minute), then served from memory.
    calendars: SnapshotCache[str] = SnapshotCache()
    dashboards: dict[str, SnapshotCache[NoncePage]] = {}

    async def calendar_response() -> Response:
        planner = await run_in_threadpool(runtime.planner)  # a runtime may build it from the database
        if planner is None:
            return JSONResponse({"detail": "no config loaded yet"}, status_code=503)
        now = runtime.now()
        model = await run_in_threadpool(states_of, planner, now)
        key = (weakref.ref(model), model.revision)
        text = calendars.peek(key, monotonic=time.monotonic)
        if text is None:
            identity = await read_database(reads, lambda: calendar_identity(reader))
            text = await run_in_threadpool(
                calendars.get, key, lambda: render_ics(planner, now, identity), monotonic=time.monotonic
            )
        return Response(
            text,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="deadlinewatch.ics"'},
        )

    @app.get("/calendar.ics")
    async def calendar() -> Response:
        return await calendar_response()

    @app.get("/calendar/{token}.ics", include_in_schema=False)
    async def calendar_by_secret_url(token: str, request: Request) -> Response:
        if not same_secret(token, settings.read_token):
            return JSONResponse({"detail": "not found"}, status_code=404)
        request.state.principal = "calendar-url"
        return await calendar_response()

    @app.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        planner = await run_in_threadpool(runtime.planner)
        now = runtime.now()
        nonce = secrets.token_urlsafe(18)
        headers = {"Content-Security-Policy": content_security_policy(nonce), "Cache-Control": "no-store"}
        if planner is None:
            empty, _ = render_dashboard(None, now, nonce)
            return HTMLResponse(empty, status_code=503, headers=headers)
        params = dict(request.query_params)
        model = await run_in_threadpool(states_of, planner, now)
        view = "&".join(f"{k}={v}" for k, v in sorted(params.items()))[:200]
        if view not in dashboards and len(dashboards) >= _DASHBOARD_VIEWS:
            dashboards.pop(next(iter(dashboards)))  # the oldest view asked for
        cache = dashboards.setdefault(view, SnapshotCache(min_age=60.0))
        key = (weakref.ref(model), model.revision, now.replace(second=0, microsecond=0))
        page = cache.peek(key, monotonic=time.monotonic)
        if page is None:
            waiting = await read_database(reads, lambda: waiting_notices(reader))

            def build() -> NoncePage:
                # rendered with a placeholder nonce; each response gets its own
                text, _ = render_dashboard(planner, now, _NONCE_SLOT, params=params, waiting=waiting)
                return NoncePage(text.split(_NONCE_SLOT))

            page = await run_in_threadpool(lambda: cache.get(key, build, monotonic=time.monotonic))
        if "gzip" in request.headers.get("accept-encoding", ""):
            # compressed once per rendering (GZipMiddleware leaves an encoded body alone)
            headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return HTMLResponse(await run_in_threadpool(page.gzipped, nonce), headers=headers)
        return HTMLResponse(await run_in_threadpool(page.text, nonce), headers=headers)

    app.include_router(read_router(runtime, reads, reader))
    app.include_router(api_router(runtime))
    app.include_router(slack_actions_router(runtime))
    # Added innermost first: each add_middleware wraps everything added before it.
    # Compression of what the handlers produced; bodies of 128 KiB and more are compressed in a
    # worker thread (zlib lets go of the GIL), not on the event loop.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    # Reads beyond the gate's limit (or while deliveries are in progress) wait before any work is
    # done for them; inside the host, body and token checks, which answer without waiting.
    app.add_middleware(ReadGate, limit=READS_AT_ONCE, busy=runtime.delivering, max_wait=READ_WAIT_SECONDS)
    app.add_middleware(StartingGate, starting=runtime.starting)
    app.add_middleware(ReadAccess, read_token=settings.read_token, write_token=runtime.api_token)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, per_path=settings.body_limits())
    app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)
    app.add_middleware(AccessLog)
    app.add_middleware(HttpMetrics, registry=exporter.registry)
    describe_openapi(app, read_token=bool(settings.read_token))
    return app
