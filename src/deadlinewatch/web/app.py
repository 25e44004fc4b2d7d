"""The HTTP surface (SPEC §9) as one FastAPI app over a :class:`Runtime`.

``create_app`` wires the routers; it opens nothing and reads no environment. Every response
carries ``X-Content-Type-Options: nosniff``; the dashboard adds its own Content-Security-Policy.
Secrets (the API token, the Slack signing secret) are only ever compared, never echoed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.web.api import api_router
from deadlinewatch.web.calendar import render_ics
from deadlinewatch.web.dashboard import content_security_policy, render_dashboard
from deadlinewatch.web.metrics import CONTENT_TYPE, render_metrics
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
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Response:
        answers = runtime.store.ping()
        writable = runtime.store.writable() if answers else True  # a full disk: reads work, writes fail
        checks = {
            "database": answers and writable,
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
                "database": "the database does not answer"
                if not answers
                else f"the database refuses writes: {runtime.store.write_failure or 'see the log'}",
                "config": "no valid config loaded yet",
                "scheduler": "the scheduler is not running",
            }
            body["failed"] = failed
            body["detail"] = "; ".join(reasons[name] for name in failed)
        return JSONResponse(body, status_code=503 if failed else 200)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(render_metrics(runtime), media_type=CONTENT_TYPE)

    @app.get("/calendar.ics")
    def calendar() -> Response:
        planner = runtime.planner()
        if planner is None:
            return JSONResponse({"detail": "no config loaded yet"}, status_code=503)
        return Response(
            render_ics(planner, runtime.now()),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="deadlinewatch.ics"'},
        )

    @app.get("/", response_class=HTMLResponse)
    def dashboard() -> Response:
        planner = runtime.planner()
        page, nonce = render_dashboard(planner, runtime.now())
        return HTMLResponse(
            page,
            status_code=200 if planner is not None else 503,
            headers={"Content-Security-Policy": content_security_policy(nonce), "Cache-Control": "no-store"},
        )

    app.include_router(api_router(runtime))
    app.include_router(slack_actions_router(runtime))
    return app
