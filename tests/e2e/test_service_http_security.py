"""``deadlinewatch run`` as a process against hostile HTTP: a 200 MB body (streamed without a
length, and declared up front) is refused with 413 long before it is read and the process does not
grow; a Host header it does not serve is 400; probes by IP address still work."""

from __future__ import annotations

import http.client
import select
import socket
from pathlib import Path

from conftest import ServiceProcess, commitment, utc_now, wait_until, write_config
from support.smtp import free_port

BODY_BYTES = 200 * 1024 * 1024
CHUNK = 1024 * 1024


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _stream_until_answered(port: int, path: str, extra: str = "") -> tuple[bytes, int]:
    """POST a chunked body of up to 200 MB, reading while sending; returns (response head, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sent = 0
    answer = b""
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\n{extra}Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n"
        while sent < BODY_BYTES:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server closed the connection after answering
                break
            sent += CHUNK
        sock.settimeout(30)
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
    return answer, sent


def test_a_huge_body_is_refused_at_once_and_memory_stays_flat(
    tmp_path: Path, services: list[ServiceProcess]
) -> None:
    port = free_port()
    config = write_config(
        tmp_path / "config",
        {
            "timezone": "UTC",
            "http": {"listen": f"127.0.0.1:{port}"},
            "channels": {"console": {"type": "console"}},
            "commitments": [commitment("far-away", utc_now().replace(year=utc_now().year + 1))],
            "subscriptions": [{"name": "desk", "notify": ["console"]}],
        },
    )
    service = ServiceProcess.start(
        tmp_path,
        config,
        f"sqlite:///{tmp_path / 'dlw.db'}",
        {"SLACK_SIGNING_SECRET": "e2e-signing-secret", "DEADLINEWATCH_API_TOKEN": "e2e-api-token"},
    )
    services.append(service)
    service.wait_ready()

    def healthy() -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    wait_until(healthy, 60, "/healthz", on_fail=service.describe)
    before = _rss_kib(service.pid)

    for path, extra in (
        ("/slack/actions", ""),
        ("/api/commitments/far-away/status", "Authorization: Bearer e2e-api-token\r\n"),
    ):
        head, sent = _stream_until_answered(port, path, extra)
        assert head.startswith(b"HTTP/1.1 413"), (path, head[:200], service.describe())
        assert sent < BODY_BYTES, f"{path}: the whole body was sent before an answer came"
        print(f"{path}: 413 after {sent / CHUNK:.0f} MiB sent")

    # a declared length over the limit is refused without reading anything
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/slack/actions")
    connection.putheader("Content-Length", str(BODY_BYTES))
    connection.endheaders()
    assert connection.getresponse().status == 413

    after = _rss_kib(service.pid)
    print(f"RSS before {before} KiB, after {after} KiB")
    assert after - before < 50 * 1024, (before, after)

    # a Host header this service does not serve is refused; probes by address are not
    rebinding = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rebinding.request("GET", "/api/commitments", headers={"Host": "attacker.example"})
    refused = rebinding.getresponse()
    assert refused.status == 400
    assert b"http.allowed_hosts" in refused.read()
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    probe.request("GET", "/readyz", headers={"Host": "10.0.0.7:8080"})
    assert probe.getresponse().status == 200
    local = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    local.request("GET", "/api/commitments", headers={"Host": f"localhost:{port}"})
    assert local.getresponse().status == 200
    assert service.alive()
    service.terminate()
