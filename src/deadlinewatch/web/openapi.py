"""The served OpenAPI schema (``/api/openapi.json``), made to tell the truth about what the app
does beyond its route signatures: the bearer scheme and where it is needed, the JSON bodies the
write endpoints read themselves, every error code with its shape, and the media types of
``/metrics``, ``/calendar.ics`` and ``/``.

Applied once to the schema FastAPI generates (:func:`describe_openapi`); routes stay as they are.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from deadlinewatch.web.api import AckBody, SnoozeBody, StatusBody

__all__ = ["describe_openapi"]

_REF = "#/components/schemas/{model}"
_ERROR = {"$ref": "#/components/schemas/Error"}
_INVALID = {"$ref": "#/components/schemas/InvalidField"}
_BODIES = {
    "/api/commitments/{commitment_id}/status": ("StatusBody", True),
    "/api/commitments/{commitment_id}/ack": ("AckBody", False),
    "/api/commitments/{commitment_id}/unack": ("AckBody", False),
    "/api/commitments/{commitment_id}/unsnooze": ("AckBody", False),
    "/api/commitments/{commitment_id}/snooze": ("SnoozeBody", True),
}
_TEXT = {
    "/metrics": ("text/plain; version=0.0.4; charset=utf-8", "Prometheus text exposition format"),
    "/calendar.ics": ("text/calendar", "RFC 5545 iCalendar: every known deadline window"),
    "/": ("text/html", "the dashboard"),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


# The formats the write routes parse (dates also must exist and lie in years 1000-4999).
_WHEN = (
    r"^\s*([Nn][Oo][Ww]|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:?[0-9]{2})?)?)\s*$"
)
_PATTERNS = {
    ("StatusBody", "at"): (_WHEN, "now, a date (2016-08-31) or a date and time (2016-08-31T10:00[Z|+02:00])"),
    ("StatusBody", "url"): (r"^\s*[Hh][Tt][Tt][Pp][Ss]?://\S+\s*$", "an http(s) URL"),
    ("SnoozeBody", "until"): (_WHEN, "a date (2016-08-31) or a date and time, on the commitment's clock"),
    ("SnoozeBody", "for"): (
        r"^\s*([0-9]{1,6}(s|m|h|d|w|mo|y)|P.+)\s*$",
        "a duration: 45s, 90m, 12h, 14d, 2w, 6mo, 1y or ISO 8601 (P14D)",
    ),
}
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _constrain(name: str, body: dict[str, Any]) -> None:
    """Write the formats the route checks into the body's JSON schema (pydantic knows only the
    types): every text refuses control characters, dates and durations have their patterns."""
    for field, spec in body.get("properties", {}).items():
        for branch in spec.get("anyOf", [spec]):
            if branch.get("type") != "string":
                continue
            pattern, description = _PATTERNS.get((name, field), (_NO_CONTROL, None))
            branch["pattern"] = pattern
            if description:
                spec["description"] = description


def _components(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (StatusBody, AckBody, SnoozeBody):
        body = model.model_json_schema(by_alias=True, ref_template=_REF)
        schemas.update(body.pop("$defs", {}))
        _constrain(model.__name__, body)
        schemas[model.__name__] = body
    schemas["Error"] = {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string", "description": "what went wrong and what to do"}},
    }
    schemas["InvalidField"] = {
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {
                "type": "object",
                "required": ["message", "field"],
                "properties": {
                    "message": {"type": "string", "description": "FIELD: what is wrong with it"},
                    "field": {"type": "string", "description": "the field's path, or (body)/(request)"},
                },
            }
        },
    }
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "DEADLINEWATCH_API_TOKEN for writes; DEADLINEWATCH_READ_TOKEN (or the write "
            "token) for reads when a read token is set",
        },
        "slackSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Slack-Signature",
            "description": "Slack's v0 signature of X-Slack-Request-Timestamp and the body "
            "(SLACK_SIGNING_SECRET)",
        },
    }


def _describe(path: str, method: str, operation: dict[str, Any], read_token: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    if path not in ("/healthz", "/readyz"):
        responses["400"] = _error("the Host header names a host this service does not answer to")
    if method == "post":
        responses["413"] = _error("the request body is larger than the limit")
    if path in _TEXT:
        media, description = _TEXT[path]
        ok = responses.setdefault("200", {"description": "OK"})
        ok["content"] = {media: {"schema": {"type": "string"}}}
        ok["description"] = description
    if path == "/readyz":
        responses["503"] = _json({"type": "object"}, "not ready: the body names the failing checks")
    if path in ("/", "/calendar.ics") or path.startswith("/api/"):
        responses["503"] = _error(
            "no config loaded yet, or the database does not answer (a read waits at most 4 s)"
        )
        retry = {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}
        responses["503"]["headers"] = {"Retry-After": retry}
    if path.startswith("/api/") and method == "get":
        if read_token:
            operation["security"] = [{"bearer": []}]
            responses["401"] = _error("missing or wrong bearer token (DEADLINEWATCH_READ_TOKEN)")
        if operation.get("parameters"):
            responses["422"] = _json(_INVALID, "a query or path value is invalid (the field is named)")
    if path in ("/", "/calendar.ics") and read_token:
        operation["security"] = [{"bearer": []}]
        responses["401"] = _error("missing or wrong bearer token (DEADLINEWATCH_READ_TOKEN)")
    if method == "post" and path.startswith("/api/"):
        operation["security"] = [{"bearer": []}]
        if path in _BODIES:  # a write route missing here is caught by test_web_openapi.py
            model, required = _BODIES[path]
            operation["requestBody"] = {
                "required": required,
                "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
            }
        if "201" in responses:
            responses.setdefault("200", {"description": "already in place: nothing new recorded"})
            created = responses["201"].get("content", {"application/json": {"schema": {}}})
            responses["200"]["content"] = created
        responses["401"] = _error("missing or wrong bearer token (DEADLINEWATCH_API_TOKEN)")
        responses["403"] = _error("the write API is off: DEADLINEWATCH_API_TOKEN is not set")
        responses["404"] = _error("no commitment with this id in the config")
        responses["422"] = _json(_INVALID, "the body or a value in it is invalid (the field is named)")
    if path == "/api/commitments/{commitment_id}":
        responses["404"] = _error("no commitment with this id in the config")
    if path == "/slack/actions":
        operation["security"] = [{"slackSignature": []}]
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["payload"],
                        "properties": {"payload": {"type": "string", "description": "Slack's JSON payload"}},
                    }
                }
            },
        }
        responses["400"] = _error("not a Slack interactivity form, or a wrong Host header")
        responses["401"] = _error("invalid or expired Slack signature")
        responses["403"] = _error("Slack actions are off: SLACK_SIGNING_SECRET is not set")


def describe_openapi(app: FastAPI, read_token: bool = False) -> None:
    """Replace ``app.openapi`` with the described schema (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            _components(schema)
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    _describe(path, method, operation, read_token)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
