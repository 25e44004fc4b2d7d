"""Health, readiness, metrics, the ICS calendar and the dashboard, over a real store and config."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_web_support import client_for, make_runtime

from deadlinewatch.storage import Store, create_db_engine
from deadlinewatch.web.runtime import StaticRuntime


@pytest.fixture
def runtime(store: Store, tmp_path: Path) -> StaticRuntime:
    return make_runtime(store, tmp_path)


@pytest.fixture
def client(runtime: StaticRuntime) -> TestClient:
    return client_for(runtime)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unreachable_store() -> Store:
    """A real Store on PostgreSQL at a port nobody listens on: every connection is refused."""
    url = f"postgresql+psycopg://deadlinewatch:unused@127.0.0.1:{_closed_port()}/deadlinewatch?connect_timeout=2"
    return Store(create_db_engine(url))


# --- health and readiness --------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"


def test_readyz_ready(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "config": "ok", "scheduler": "ok", "started": "ok"},
    }


def test_readyz_503_when_the_scheduler_is_not_running(store: Store, tmp_path: Path) -> None:
    response = client_for(make_runtime(store, tmp_path, running=False)).get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["scheduler"]
    assert body["checks"] == {"database": "ok", "config": "ok", "scheduler": "failing", "started": "ok"}
    assert body["detail"] == "the scheduler is not running"


def test_while_the_first_plan_is_made_only_healthz_answers_200(store: Store, tmp_path: Path) -> None:
    client = client_for(make_runtime(store, tmp_path, start_work="the first plan is being made"))
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["started"]
    assert ready.json()["detail"] == "starting: the first plan is being made"
    for path in ("/api/commitments", "/", "/metrics", "/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "5"
        assert "is starting: the first plan is being made" in response.json()["detail"]


def test_readyz_503_before_the_first_config_load(store: Store, tmp_path: Path) -> None:
    response = client_for(make_runtime(store, tmp_path, loaded_config=None)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["config"]


def test_readyz_503_when_the_database_is_unreachable(unreachable_store: Store, tmp_path: Path) -> None:
    runtime = make_runtime(unreachable_store, tmp_path)
    client = client_for(runtime)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["detail"] == "the database does not answer"
    # /metrics still answers, and says so
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "deadlinewatch_database_up 0.0\n" in metrics.text
    assert "deadlinewatch_notifications{" not in metrics.text


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_escapes_every_config_string(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script>alert(1)" not in page
    assert "<!channel>" not in page
    assert "<b>on</b>" not in page
    assert "Draft &lt;script&gt;alert(1)&lt;/script&gt; &lt;!channel&gt; &amp; co; a, b\\c" in page
    assert "US–Russia understanding &lt;b&gt;on&lt;/b&gt; Syria" in page
    # the only script element is ours, carrying the nonce
    assert len(re.findall(r"<script\b", page)) == 1


def test_dashboard_timeline_and_table(client: TestClient) -> None:
    page = client.get("/").text
    assert '<svg class="timeline"' in page
    assert page.count('<g class="row"') == 5
    assert 'class="bar status-missed"' in page
    assert 'class="bar status-not_started overdue"' in page  # the overdue draft constitution
    assert '<line class="today"' in page
    assert page.count("<tr data-status=") == 5
    assert 'data-status="not_started" data-overdue="true"' in page
    assert "OVERDUE" in page
    assert 'id="filter-text"' in page and 'id="filter-status"' in page


def test_dashboard_headers_csp_with_nonce(client: TestClient) -> None:
    first = client.get("/")
    csp = first.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", csp)
    assert nonce is not None
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert f'<script nonce="{nonce.group(1)}">' in first.text
    assert f'<style nonce="{nonce.group(1)}">' in first.text
    assert first.headers["x-content-type-options"] == "nosniff"
    second = client.get("/").headers["content-security-policy"]
    assert second != csp  # a fresh nonce per response
    assert "http://" not in first.text and "https://" not in first.text  # nothing loaded from elsewhere


def test_dashboard_before_the_first_config_load(store: Store, tmp_path: Path) -> None:
    response = client_for(make_runtime(store, tmp_path, loaded_config=None)).get("/")
    assert response.status_code == 503
    assert "No config is loaded yet" in response.text


def test_database_errors_are_503_without_details(unreachable_store: Store, tmp_path: Path) -> None:
    client = client_for(make_runtime(unreachable_store, tmp_path))
    for path in ("/api/notifications", "/api/commitments", "/calendar.ics", "/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "127.0.0.1" not in response.text and "unused" not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
