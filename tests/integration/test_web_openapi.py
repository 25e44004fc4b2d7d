"""The served OpenAPI schema tells the truth: schemathesis generates requests from it against the
app in-process (the example config's real ids, the API token) and checks every answer against
it — status codes, media types, JSON shapes, auth. Plus the parts schemathesis does not read."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from deadlinewatch.config.loader import LoadedConfig, load_config
from deadlinewatch.storage import Store, create_db_engine, migrate
from deadlinewatch.web.app import create_app
from deadlinewatch.web.runtime import StaticRuntime
from deadlinewatch.web.settings import HttpSettings

EXAMPLE = Path(__file__).resolve().parents[2] / "config"
TOKEN = "schemathesis-api-token"
READ = "schemathesis-read-token"
NOW = datetime(2016, 9, 10, 12, 0, tzinfo=UTC)


def _example_config() -> LoadedConfig:
    result = load_config(EXAMPLE, {"DEADLINEWATCH_DATABASE_URL": "sqlite:///unused.db"})
    assert result.config is not None, result.errors
    return result.config


def _app(tmp_path: Path) -> Any:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'api.db'}")
    migrate(engine)
    runtime = StaticRuntime(Store(engine), _example_config(), clock=lambda: NOW, token=TOKEN)
    settings_ = HttpSettings(allowed_hosts=("localhost", "testserver", "127.0.0.1"), read_token=READ)
    return create_app(runtime, settings_)


@pytest.fixture
def api_schema(tmp_path: Path) -> Any:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", _app(tmp_path))
    ids = sorted(_example_config().watchlist.commitments)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        # Three in four generated ids become the example's real ones; the rest stay unknown (404).
        value = (path_parameters or {}).get("commitment_id")
        if isinstance(value, str):
            pick = zlib.crc32(value.encode())
            if pick % 4 and path_parameters is not None:
                path_parameters["commitment_id"] = ids[pick % len(ids)]
        return path_parameters

    return schema


def test_the_api_conforms_to_its_schema(api_schema: Any) -> None:
    """Every operation, a bounded number of generated cases each, every default check but one:
    "schema-valid data must be accepted" cannot hold for dates, which JSON Schema can only shape
    (2016-02-30 matches the pattern and is refused with 422 naming the field, as it should be)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case: Any) -> None:
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        check()


def test_what_the_schema_declares(tmp_path: Path) -> None:
    client = TestClient(_app(tmp_path), base_url="http://localhost")
    spec = client.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    paths = spec["paths"]
    status = paths["/api/commitments/{commitment_id}/status"]["post"]
    assert status["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StatusBody"
    }
    assert status["security"] == [{"bearer": []}]
    assert {"401", "403", "404", "413", "422"} <= set(status["responses"])
    assert status["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InvalidField"
    }
    assert "for" in spec["components"]["schemas"]["SnoozeBody"]["properties"]
    assert set(paths["/metrics"]["get"]["responses"]["200"]["content"]) == {
        "text/plain; version=0.0.4; charset=utf-8"
    }
    assert set(paths["/calendar.ics"]["get"]["responses"]["200"]["content"]) == {"text/calendar"}
    assert paths["/api/commitments"]["get"]["security"] == [{"bearer": []}]  # a read token is set
    assert "/calendar/{token}.ics" not in paths  # the secret URL is not advertised
    # the list routes answer page objects, described by their models
    schemas = spec["components"]["schemas"]
    for path, model, item in (
        ("/api/commitments", "CommitmentPage", "CommitmentState"),
        ("/api/notifications", "NotificationPage", "NotificationItem"),
    ):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model}"}
        assert set(schemas[model]["required"]) == {"items", "total", "limit", "offset", "next_cursor"}
        assert schemas[model]["properties"]["items"]["items"] == {"$ref": f"#/components/schemas/{item}"}
        assert "Retry-After" in paths[path]["get"]["responses"]["503"]["headers"]
    one = paths["/api/commitments/{commitment_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert one["schema"] == {"$ref": "#/components/schemas/CommitmentDetail"}
    assert {"history", "acks", "snoozes", "notifications", "window"} <= set(
        schemas["CommitmentDetail"]["required"]
    )
    ledger = {p["name"] for p in paths["/api/notifications"]["get"]["parameters"]}
    assert ledger >= {"failed", "commitment", "state", "event", "limit", "offset", "cursor"}
    writes = [
        op
        for path, ops in paths.items()
        for method, op in ops.items()
        if method == "post" and path.startswith("/api/")
    ]
    assert len(writes) >= 5
    assert all("requestBody" in op and op["security"] == [{"bearer": []}] for op in writes)
    assert hashlib.sha256(client.get("/api/openapi.json").content).digest()  # stable, served twice
