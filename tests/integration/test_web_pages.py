"""Health, readiness, metrics, the ICS calendar and the dashboard, over a real store and config."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_web_support import NOW, SIGNING_SECRET, TOKEN, client_for, load_test_config, make_runtime

from deadlinewatch.config.loader import load_config
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.storage import Store, create_db_engine
from deadlinewatch.web.calendar import escape_text, render_ics
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
        "checks": {"database": "ok", "config": "ok", "scheduler": "ok"},
    }


def test_readyz_503_when_the_scheduler_is_not_running(store: Store, tmp_path: Path) -> None:
    response = client_for(make_runtime(store, tmp_path, running=False)).get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["scheduler"]
    assert body["checks"] == {"database": "ok", "config": "ok", "scheduler": "failing"}
    assert body["detail"] == "the scheduler is not running"


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
    assert "deadlinewatch_database_up 0\n" in metrics.text
    assert "deadlinewatch_notifications{" not in metrics.text


# --- metrics ---------------------------------------------------------------------------------------


def test_metrics_prometheus_text(store: Store, tmp_path: Path) -> None:
    runtime = make_runtime(
        store,
        tmp_path,
        extra_metrics={
            "deliveries_total": 12,
            'deliveries_total{channel="console"}': 12,  # same family, labelled
            "deadlinewatch_next_wake_seconds": 3.5,
            "bad name{": 1,  # not a metric name: left out
        },
    )
    response = client_for(runtime).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.text
    lines = set(text.splitlines())
    assert 'deadlinewatch_notifications{state="pending"} 0' in lines
    assert 'deadlinewatch_notifications{state="failed"} 0' in lines
    assert 'deadlinewatch_commitments{status="not_started"} 4' in lines
    assert 'deadlinewatch_commitments{status="missed"} 1' in lines
    assert 'deadlinewatch_commitments{status="fulfilled"} 0' in lines
    assert "deadlinewatch_commitments_overdue 1" in lines
    assert "deadlinewatch_commitments_pending 1" in lines
    assert "deadlinewatch_config_loaded 1" in lines
    assert "deadlinewatch_scheduler_running 1" in lines
    assert "deadlinewatch_database_up 1" in lines
    assert "# TYPE deadlinewatch_deliveries_total counter" in lines
    assert "deadlinewatch_deliveries_total 12" in lines
    assert 'deadlinewatch_deliveries_total{channel="console"} 12' in lines
    assert "# TYPE deadlinewatch_next_wake_seconds gauge" in lines
    assert "deadlinewatch_next_wake_seconds 3.5" in lines
    assert "bad" not in text
    assert text.count("# TYPE deadlinewatch_deliveries_total") == 1
    # every sample line is NAME{labels} VALUE
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \S+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert TOKEN not in text and SIGNING_SECRET not in text


# --- calendar --------------------------------------------------------------------------------------


def _unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


def test_calendar_ics(client: TestClient) -> None:
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = response.text
    assert raw.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and raw.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = _unfold(raw)
    uids = [line for line in lines if line.startswith("UID:")]
    # open (asap) and pending (relative to an unfulfilled commitment) deadlines have no window
    assert uids == [
        "UID:syria-transition-framework@deadlinewatch",
        "UID:syria-draft-constitution@deadlinewatch",
        "UID:weapons-withdrawal@deadlinewatch",
    ]
    event = lines[lines.index("UID:syria-draft-constitution@deadlinewatch") :]
    event = event[: event.index("END:VEVENT")]
    assert "DTSTART:20160731T210000Z" in event and "DTEND:20160831T210000Z" in event
    assert "DTSTAMP:20160910T120000Z" in event
    assert "SUMMARY:Draft <script>alert(1)</script> <!channel> & co\\; a\\, b\\\\c\\nline two" in event
    description = next(line for line in event if line.startswith("DESCRIPTION:"))
    assert "US–Russia understanding <b>on</b> Syria" in description
    assert "by end of August 2016\\, Damascus time" in description
    triggers = [line for line in event if line.startswith("TRIGGER")]
    assert triggers == ["TRIGGER;RELATED=END:-P30D", "TRIGGER;RELATED=END:-P1W", "TRIGGER;RELATED=END:-P1D"]
    assert event.count("BEGIN:VALARM") == 3


def test_calendar_alarms_across_a_dst_change(tmp_path: Path) -> None:
    folder = tmp_path / "dst"
    folder.mkdir()
    (folder / "c.yaml").write_text(
        "timezone: Europe/London\n"
        "policies:\n  default: {remind_before: [1mo, 7d, 12h]}\n"
        "commitments:\n"
        "  - {id: ceasefire, title: Ceasefire, due: 2016-10-31}\n"  # DST ends 30 Oct 2016
        "  - {id: talks, title: Talks, due: '2016-10-15T09:00Z'}\n",
        encoding="utf-8",
    )
    config = load_config(folder, {}).config
    assert config is not None
    ics = render_ics(Planner(Situation(config.watchlist)), datetime(2016, 9, 1, tzinfo=UTC))
    lines = _unfold(ics)
    ceasefire = lines[lines.index("UID:ceasefire@deadlinewatch") : lines.index("UID:talks@deadlinewatch")]
    # due 1 Nov 00:00 GMT; 1mo and 7d back on the wall clock cross the DST change: absolute instants
    assert "DTSTART:20161031T000000Z" in ceasefire and "DTEND:20161101T000000Z" in ceasefire
    assert [line for line in ceasefire if line.startswith("TRIGGER")] == [
        "TRIGGER;VALUE=DATE-TIME:20160930T230000Z",
        "TRIGGER;VALUE=DATE-TIME:20161024T230000Z",
        "TRIGGER;RELATED=END:-PT12H",
    ]
    talks = lines[lines.index("UID:talks@deadlinewatch") :]
    assert "DTSTART:20161015T090000Z" in talks
    assert not any(line.startswith("DTEND") for line in talks)  # an instant: zero length
    assert "TRIGGER:-P1W" in talks and "TRIGGER:-PT12H" in talks


def test_escape_text() -> None:
    assert escape_text("a\\b;c,d\r\ne\nf\rg\x07h\ti") == "a\\\\b\\;c\\,d\\ne\\nf\\ngh i"


def test_render_ics_is_pure_and_repeatable(tmp_path: Path) -> None:
    planner = Planner(Situation(load_test_config(tmp_path).watchlist))
    assert render_ics(planner, NOW) == render_ics(planner, NOW)


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
