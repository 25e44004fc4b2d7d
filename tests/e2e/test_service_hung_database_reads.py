"""``deadlinewatch run`` on PostgreSQL through a TCP proxy that stops forwarding (the database
accepts connections and never answers): every API read of the database answers 503 saying so
within the read timeout — alone, and 40 at once — while ``/healthz`` and reads served from memory
keep answering; once the proxy forwards again the same reads answer 200, without a restart.

The socket timeout of each request (10 s, the read timeout is 4 s) is the failure guard; the
times printed are for the report, not asserted."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conftest import ServiceProcess, commitment, utc_now, wait_until, write_config
from support.smtp import free_port
from support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

GUARD_SECONDS = 10.0
COMMITMENT = "hung-db-read"
READS = ("/api/commitments/" + COMMITMENT, "/api/notifications")
FROM_MEMORY = ("/api/commitments", "/calendar.ics")  # the read model and a rendered snapshot


class Answer:
    def __init__(self, status: int, body: bytes, retry_after: str | None, seconds: float) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.seconds = seconds

    def detail(self) -> str:
        return str(json.loads(self.body).get("detail", ""))


def get(port: int, path: str, timeout: float = GUARD_SECONDS) -> Answer:
    """GET ``path``; raises (``TimeoutError``) when no answer comes within ``timeout``."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, body, response.getheader("Retry-After"), time.monotonic() - started)
    finally:
        connection.close()


def answers(port: int, path: str, status: int) -> bool:
    try:
        return get(port, path).status == status
    except OSError:
        return False


def test_api_reads_on_a_hung_database_answer_503_in_time_and_recover(
    tmp_path: Path, services: list[ServiceProcess], postgres_url: str
) -> None:
    port = free_port()
    config = write_config(
        tmp_path / "config",
        {
            "timezone": "UTC",
            "http": {"listen": f"127.0.0.1:{port}"},
            "channels": {"console": {"type": "console"}},
            "commitments": [
                commitment(COMMITMENT, utc_now().replace(year=utc_now().year + 1)),
                commitment("another", utc_now().replace(year=utc_now().year + 1)),
            ],
            "subscriptions": [{"name": "desk", "notify": ["console"]}],
        },
    )
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        service = ServiceProcess.start(tmp_path, config, through)
        services.append(service)
        service.wait_ready(90)
        for path in (*READS, *FROM_MEMORY):
            wait_until(
                lambda p=path: answers(port, p, 200), 60, f"{path} to answer 200", on_fail=service.describe
            )

        proxy.pause()
        # one read at a time
        for path in READS:
            answer = get(port, path)
            assert answer.status == 503, (path, answer.status, answer.body[:300])
            assert "the database did not answer within" in answer.detail(), answer.body
            assert answer.retry_after is not None and int(answer.retry_after) > 0
            print(f"{path} on a hung database: 503 after {answer.seconds:.2f} s")

        # 40 at once: each answers, and /healthz and reads from memory answer meanwhile
        results: list[Answer | BaseException] = []
        lock = threading.Lock()

        def read(path: str) -> None:
            try:
                outcome: Answer | BaseException = get(port, path)
            except BaseException as exc:  # the guard fired: reported below
                outcome = exc
            with lock:
                results.append(outcome)

        callers = [threading.Thread(target=read, args=(READS[i % 2],)) for i in range(40)]
        for caller in callers:
            caller.start()
        health: list[float] = []
        memory: list[float] = []
        while any(caller.is_alive() for caller in callers):
            answer = get(port, "/healthz", timeout=5)
            assert answer.status == 200
            health.append(answer.seconds)
            for path in FROM_MEMORY:
                answer = get(port, path, timeout=5)
                assert answer.status == 200, (path, answer.body[:300])
                memory.append(answer.seconds)
            time.sleep(0.1)
        for caller in callers:
            caller.join(timeout=60)
        failures = [r for r in results if not isinstance(r, Answer)]
        assert not failures, failures[:3]
        answered = [r for r in results if isinstance(r, Answer)]
        assert len(answered) == 40
        assert {a.status for a in answered} == {503}, sorted({(a.status, a.body[:200]) for a in answered})
        slowest = max(a.seconds for a in answered)
        print(
            f"40 concurrent reads on a hung database: all 503, slowest after {slowest:.2f} s; "
            f"/healthz meanwhile: {len(health)} answers, max {max(health) * 1000:.0f} ms; "
            f"{', '.join(FROM_MEMORY)} (from memory) meanwhile: max {max(memory) * 1000:.0f} ms"
        )

        proxy.resume()
        resumed = time.monotonic()
        for path in READS:
            wait_until(
                lambda p=path: answers(port, p, 200),
                60,
                f"{path} to answer 200 again",
                on_fail=service.describe,
            )
        print(f"reads answer 200 again {time.monotonic() - resumed:.2f} s after the proxy resumed")
        assert service.alive()
        service.terminate()
    finally:
        proxy.resume()
        proxy.close()
