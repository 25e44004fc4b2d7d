"""Security in front of the routes: body-size limit, allowed hosts, the read token, the access log
of writes, Slack replay protection, bad values as 422, and readiness against a broken database."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_web_slack import _payload, _signed
from test_web_support import TOKEN, client_for, make_runtime

from deadlinewatch.config.loader import load_config
from deadlinewatch.delivery.rendering import ACTION_ACK, ACTION_SNOOZE_7D
from deadlinewatch.storage import Store, create_db_engine, migrate
from deadlinewatch.web.app import create_app
from deadlinewatch.web.runtime import StaticRuntime
from deadlinewatch.web.settings import HttpSettings, http_settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}
READ = "read-token-for-tests"
ACK = "/api/commitments/syria-draft-constitution/ack"


@pytest.fixture
def runtime(store: Store, tmp_path: Path) -> StaticRuntime:
    return make_runtime(store, tmp_path)


@pytest.fixture
def client(runtime: StaticRuntime) -> TestClient:
    return client_for(runtime)


# --- body size -------------------------------------------------------------------------------------


def test_a_declared_body_over_the_limit_is_413_before_anything_runs(client: TestClient, store: Store) -> None:
    response = client.post(ACK, content=b"x" * (64 * 1024 + 1), headers=AUTH)
    assert response.status_code == 413
    assert "larger than 65536 bytes" in response.json()["detail"]
    assert response.headers["connection"] == "close"
    assert store.acks() == []
    # Slack's payloads may be larger, up to 256 KiB
    payload = {**_payload(ACTION_ACK), "state": "x" * 100_000}
    body, headers = _signed(payload)
    assert len(body) > 100_000
    assert client.post("/slack/actions", content=body, headers=headers).status_code == 200
    assert client.post("/slack/actions", content=b"x" * (256 * 1024 + 1), headers=headers).status_code == 413


def test_a_streamed_body_is_cut_off_at_the_limit(client: TestClient, store: Store) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(1000):  # 16 MB if it were all read
            sent.append(1)
            yield b"x" * 16384

    response = client.post(ACK, content=chunks(), headers=AUTH)  # no Content-Length: chunked
    assert response.status_code == 413
    assert store.acks() == []
    unstreamed = client.post("/slack/actions", content=chunks(), headers={"X-Slack-Signature": "v0=0"})
    assert unstreamed.status_code == 413


def test_the_limit_comes_from_the_settings(runtime: StaticRuntime) -> None:
    client = client_for(runtime, HttpSettings(max_body_bytes=2048))
    assert client.post(ACK, content=b"{}" + b" " * 3000, headers=AUTH).status_code == 413
    assert client.post(ACK, content=b"{}", headers=AUTH).status_code == 201


# --- allowed hosts ---------------------------------------------------------------------------------


def test_a_wrong_host_header_is_400(runtime: StaticRuntime) -> None:
    app = create_app(runtime, HttpSettings(allowed_hosts=("dlw.example.org", "*.corp.example", "127.0.0.1")))
    for host in ("dlw.example.org", "DLW.example.org:8080", "x.corp.example", "127.0.0.1:8080"):
        assert TestClient(app, base_url=f"http://{host}").get("/api/commitments").status_code == 200, host
    evil = TestClient(app, base_url="http://rebound.attacker.example")
    for path in ("/api/commitments", "/", "/calendar.ics", "/metrics"):
        response = evil.get(path)
        assert response.status_code == 400, path
        assert "http.allowed_hosts" in response.json()["detail"]
    assert evil.post(ACK, json={}, headers=AUTH).status_code == 400
    # probes by IP address (orchestrators) still work
    assert evil.get("/healthz").status_code == 200
    assert evil.get("/readyz").status_code == 200


def test_default_allowed_hosts() -> None:
    assert http_settings("0.0.0.0:8080", None, None, {}).allowed_hosts == ("localhost", "127.0.0.1", "::1")
    assert http_settings("10.1.2.3:8080", None, None, {}).allowed_hosts[0] == "10.1.2.3"
    configured = http_settings("0.0.0.0:8080", ["dlw.example.org"], 4096, {"DEADLINEWATCH_READ_TOKEN": "r"})
    assert configured == HttpSettings(allowed_hosts=("dlw.example.org",), max_body_bytes=4096, read_token="r")


def test_http_settings_in_the_config(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "http: {listen: '0.0.0.0:8080', allowed_hosts: [dlw.example.org, '*.corp.example'], max_body_bytes: 4096}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path, {}).config
    assert config is not None
    assert config.http_allowed_hosts == ("dlw.example.org", "*.corp.example")
    assert config.http_max_body_bytes == 4096
    (tmp_path / "c.yaml").write_text("http: {allowed_hosts: ['bad host/x']}\n", encoding="utf-8")
    errors = [str(e) for e in load_config(tmp_path, {}).errors]
    assert any("http.allowed_hosts" in e and "host name" in e for e in errors), errors


# --- the read token --------------------------------------------------------------------------------


def test_the_read_token_guards_reads(runtime: StaticRuntime) -> None:
    client = client_for(runtime, HttpSettings(read_token=READ))
    for path in (
        "/api/commitments",
        "/api/commitments/syria-elections",
        "/api/notifications",
        "/",
        "/calendar.ics",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"Authorization": f"Bearer {READ}"}).status_code == 200, path
        assert client.get(path, headers=AUTH).status_code == 200, path  # the write token reads too
    for path in ("/healthz", "/readyz", "/metrics", "/api/openapi.json"):
        assert client.get(path).status_code == 200, path
    # calendar apps subscribe by a secret URL
    calendar = client.get(f"/calendar/{READ}.ics")
    assert calendar.status_code == 200 and calendar.text.startswith("BEGIN:VCALENDAR")
    assert client.get("/calendar/wrong.ics").status_code == 404
    # writes keep their own token
    assert client.post(ACK, json={}, headers={"Authorization": f"Bearer {READ}"}).status_code == 401


def test_without_a_read_token_reads_are_open_and_there_is_no_secret_url(client: TestClient) -> None:
    assert client.get("/api/commitments").status_code == 200
    assert client.get("/calendar/anything.ics").status_code == 404


# --- access log and Slack replays ----------------------------------------------------------------


def test_every_write_is_logged_with_who_made_it(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="deadlinewatch.access")
    assert client.post(ACK, json={"note": "seen"}, headers=AUTH).status_code == 201
    assert client.post(ACK, json={}).status_code == 401
    client.get("/api/commitments")
    lines = [r.getMessage() for r in caplog.records if r.name == "deadlinewatch.access"]
    assert lines == [
        f"POST {ACK} 201 by api-token from testclient",
        f"POST {ACK} 401 by anonymous from testclient",
    ]


def test_a_replayed_slack_request_records_nothing(
    client: TestClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="deadlinewatch.access")
    body, headers = _signed(_payload(ACTION_ACK))
    first = client.post("/slack/actions", content=body, headers=headers)
    assert first.json()["text"].startswith("syria-draft-constitution acknowledged")
    again = client.post("/slack/actions", content=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["text"] == "That button press was already recorded; nothing was recorded again."
    assert len(store.acks("syria-draft-constitution")) == 1
    # another press (another signature) is acted on
    other_body, other_headers = _signed(_payload(ACTION_SNOOZE_7D))
    assert (
        "already recorded"
        not in client.post("/slack/actions", content=other_body, headers=other_headers).text
    )
    assert len(store.snoozes("syria-draft-constitution")) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "deadlinewatch.access"]
    assert lines[0] == "POST /slack/actions 200 by slack:U123 (analyst.jo) from testclient"


# --- bad values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("status", {"status": "fulfilled", "at": "0001-01-01"}, "at"),
        ("status", {"status": "fulfilled", "at": "9999-12-31T23:59"}, "at"),
        ("status", {"status": "fulfilled", "note": "a\u0000b"}, "note"),
        ("snooze", {"until": "9999-12-31T23:59"}, "until"),
        ("snooze", {"for": "9999y"}, "for"),
        ("ack", {"note": "nul\u0000"}, "note"),
    ],
)
def test_extreme_dates_and_nul_are_422_naming_the_field(
    client: TestClient, store: Store, path: str, body: dict[str, str], field: str
) -> None:
    response = client.post(f"/api/commitments/syria-draft-constitution/{path}", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["field"] == field
    assert store.status_changes() == [] and store.acks() == [] and store.snoozes() == []
    assert client.get("/api/commitments").status_code == 200


@pytest.mark.parametrize("query", ["limit=0", "limit=100001", "limit=abc", "limit=99999999999999999999999"])
def test_bad_query_values_are_422_naming_the_field(client: TestClient, query: str) -> None:
    response = client.get(f"/api/notifications?{query}")
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "query.limit"


# --- readiness against a broken database -------------------------------------------------------------


def test_readyz_503_when_the_sqlite_file_is_deleted(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate(engine)
    client = client_for(make_runtime(Store(engine), tmp_path))
    assert client.get("/readyz").status_code == 200
    path.unlink()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert not path.exists()  # the check did not create an empty file


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says anything (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_readyz_503_when_the_database_never_answers(silent_server: int, tmp_path: Path) -> None:
    url = f"postgresql+psycopg://deadlinewatch:unused@127.0.0.1:{silent_server}/deadlinewatch"
    client = client_for(make_runtime(Store(create_db_engine(url)), tmp_path))
    results: list[int] = []

    def ready() -> None:
        results.append(client.get("/readyz").status_code)

    callers = [threading.Thread(target=ready) for _ in range(8)]
    for caller in callers:
        caller.start()
    # meanwhile the process stays responsive
    assert client.get("/healthz").status_code == 200
    for caller in callers:
        caller.join(timeout=60)
    assert results == [503] * 8
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "deadlinewatch_database_up 0.0" in metrics.text
