"""End-to-end helpers for ``deadlinewatch run``: configs with deadlines a few seconds ahead, the
service as a real subprocess, and what arrived where.

- :func:`write_config` writes one YAML file into a config folder (instants with ``Z``).
- :class:`ServiceProcess` runs ``python -m deadlinewatch run`` with ``cwd = tmp_path`` and a clean
  environment (no proxies, no ambient Slack/SMTP/DEADLINEWATCH variables, ``PYTHONUNBUFFERED=1``);
  threads read stdout and stderr line by line and stamp each line with the wall clock when read.
- :class:`TimedSlackApi` / :class:`TimedSmtpHandler` stamp every request / message on arrival, so
  tests can report lateness (never assert it).
- :func:`console_arrivals` parses the console channel's lines back into notification keys.
- ``database_url`` (sqlite always; PostgreSQL in a fresh schema when
  ``DEADLINEWATCH_TEST_POSTGRES_URL`` is set) for the tests that run on both backends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import notification_key
from support.postgres import fresh_schema
from support.slack_api import SlackApiServer
from support.smtp import CollectingHandler, Received

SLACK_TOKEN = "xoxb-test"
_DROPPED_ENV = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "SLACK_BOT_TOKEN",
    "SLACK_API_URL",
    "SLACK_SIGNING_SECRET",
    "SMTP_HOST",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "DEADLINEWATCH_CONFIG",
    "DEADLINEWATCH_DATABASE_URL",
    "DEADLINEWATCH_API_TOKEN",
)


# --- time and config -----------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


def whole_second(moment: datetime) -> datetime:
    """``moment`` rounded up to the next whole second (instants in configs have no fraction)."""
    return moment.replace(microsecond=0) + (timedelta(seconds=1) if moment.microsecond else timedelta())


def iso(moment: datetime) -> str:
    """``2026-01-02T03:04:05Z``: the form the service prints and keys notifications with."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_config(folder: Path, document: dict[str, Any], name: str = "deadlinewatch.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    # Write then rename, so the file watcher never sees half a file.
    partial = folder / f".{name}.partial"
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def slack_channel(
    api: SlackApiServer, channel: str, *, token: str = SLACK_TOKEN, pace: str = "0s"
) -> dict[str, Any]:
    return {"type": "slack", "channel": channel, "token": token, "api_url": api.api_url, "pace": pace}


def smtp_profile(port: int) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "starttls": False, "from": "deadlinewatch@example.org"}


def commitment(id: str, due: datetime, *, title: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "title": title or f"Commitment {id}",
        "announced": "2020-01-01",
        "due": iso(due),
        **extra,
    }


# --- environment and CLI ---------------------------------------------------------------------------


def service_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    # Rows claimed by a killed process come back after the lease; keep the tests short.
    env["DEADLINEWATCH_LEASE_SECONDS"] = "10"
    env["NO_PROXY"] = "*"
    env.update(extra or {})
    return env


def cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deadlinewatch", *args],
        cwd=cwd,
        env=service_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def outbox(cwd: Path, config: Path, database: str, *, failed: bool = False) -> list[dict[str, Any]]:
    """``deadlinewatch outbox --all --format json`` (every row; only failed ones with ``failed``)."""
    args = [
        "outbox",
        "--config",
        str(config),
        "--database",
        database,
        "--format",
        "json",
        "--limit",
        "100000",
    ]
    args.append("--failed" if failed else "--all")
    result = cli(cwd, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    interval: float = 0.05,
    on_fail: Callable[[], str] | None = None,
) -> float:
    """Poll ``condition`` until true; returns the seconds waited. ``timeout`` is only a failure guard."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            detail = on_fail() if on_fail is not None else ""
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}\n{detail}")
        time.sleep(interval)


# --- the service process -----------------------------------------------------------------------------


@dataclass
class Line:
    at: datetime
    text: str


@dataclass
class ServiceProcess:
    """``deadlinewatch run`` as a subprocess; ``stdout``/``stderr`` fill as lines arrive."""

    process: subprocess.Popen[str]
    stdout: list[Line] = field(default_factory=list)
    stderr: list[Line] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        cwd: Path,
        config: Path,
        database: str,
        env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> ServiceProcess:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deadlinewatch",
                "run",
                "--config",
                str(config),
                "--database",
                database,
                *extra_args,
            ],
            cwd=cwd,
            env=service_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        running = cls(process)
        for stream, sink in ((process.stdout, running.stdout), (process.stderr, running.stderr)):
            thread = threading.Thread(target=_pump, args=(stream, sink), daemon=True)
            thread.start()
            running._threads.append(thread)
        return running

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stdout_lines(self) -> list[Line]:
        return list(self.stdout)

    def log_messages(self) -> list[dict[str, Any]]:
        """stderr parsed as JSON log lines (others kept as ``{"message": line}``)."""
        parsed: list[dict[str, Any]] = []
        for line in list(self.stderr):
            try:
                entry = json.loads(line.text)
            except ValueError:
                entry = {"message": line.text}
            parsed.append(entry if isinstance(entry, dict) else {"message": line.text})
        return parsed

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the service logged that it runs (its channels are built and planning is done)."""
        wait_until(
            lambda: (
                any("deadlinewatch running" in line.text for line in list(self.stderr)) or not self.alive()
            ),
            timeout,
            "the service to start",
            on_fail=self.describe,
        )
        assert self.alive(), f"the service exited at start\n{self.describe()}"

    def terminate(self, timeout: float = 15) -> float:
        """SIGTERM; returns the seconds until the process exited (fails after ``timeout``)."""
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the service did not exit within {timeout:g} s of SIGTERM\n{self.describe()}")
        elapsed = time.monotonic() - start
        self.join_output()
        return elapsed

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=30)
        self.join_output()

    def join_output(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)

    def describe(self, last: int = 40) -> str:
        err = "\n".join(line.text for line in list(self.stderr)[-last:])
        out = "\n".join(line.text for line in list(self.stdout)[-last:])
        return f"returncode={self.process.poll()}\n--- stderr (tail)\n{err}\n--- stdout (tail)\n{out}"


def _pump(stream: Any, sink: list[Line]) -> None:
    for text in iter(stream.readline, ""):
        sink.append(Line(utc_now(), text.rstrip("\n")))
    stream.close()


@pytest.fixture
def services() -> Iterator[list[ServiceProcess]]:
    """Every service a test starts goes in here; whatever is still running at the end is killed."""
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        if service.alive():
            service.kill()


# --- arrivals --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """One delivered message: its notification key, where it went, and when it arrived."""

    key: str
    channel: str
    at: datetime
    text: str = ""


_LABEL_EVENTS: tuple[tuple[str, EventKind], ...] = (
    ("Reminder", EventKind.REMINDER),  # "Reminder: …", or "Reminder (…; sent late)" when caught up
    ("Window open", EventKind.WINDOW_OPEN),
    ("Overdue", EventKind.OVERDUE),
    ("Escalation", EventKind.ESCALATION),
    ("Review #", EventKind.REVIEW),
    ("Status changed:", EventKind.STATUS_CHANGED),
    ("Deadline changed", EventKind.DEADLINE_CHANGED),
    ("Evidence:", EventKind.EVIDENCE),
    ("Digest:", EventKind.DIGEST),
    ("Source failing", EventKind.SOURCE_FAILING),
    ("Source recovered", EventKind.SOURCE_RECOVERED),
    ("Channel failing", EventKind.CHANNEL_FAILING),
    ("Config error", EventKind.CONFIG_ERROR),
)
_CONSOLE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \[(?P<sub>[^\]→]+) → (?P<channel>[^\]]+)\] (?P<rest>.*)$"
)
_SUBJECT = re.compile(r" \((?P<id>[A-Za-z0-9._:-]+)\) — ")


@dataclass(frozen=True)
class ConsoleLine:
    at: datetime  # when the line was read
    send_at: str
    subscription: str
    channel: str
    event: EventKind
    subject: str
    text: str

    @property
    def key(self) -> str:
        """The notification key, for lines whose ``send_at`` is the occurrence (no quiet hours)."""
        occurred = datetime.strptime(self.send_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return notification_key(self.subscription, self.channel, self.subject, self.event, occurred)


def parse_console(
    line: Line, operational_subject: Callable[[EventKind, str], str] | None = None
) -> ConsoleLine | None:
    """A console-channel line, or None for anything else on stdout. Commitment lines carry the id in
    parentheses; operational lines do not, so their subject comes from ``operational_subject``
    (default: ``""``, as for ``config_error``)."""
    match = _CONSOLE.match(line.text)
    if match is None:
        return None
    rest = match["rest"]
    event = next((kind for label, kind in _LABEL_EVENTS if rest.startswith(label)), None)
    if event is None:
        return None
    found = _SUBJECT.search(rest)
    if found is not None and event not in (EventKind.CHANNEL_FAILING, EventKind.CONFIG_ERROR):
        subject = found["id"]
    else:
        subject = operational_subject(event, rest) if operational_subject else ""
    return ConsoleLine(
        line.at, match["at"], match["sub"].strip(), match["channel"].strip(), event, subject, line.text
    )


def console_arrivals(service_lines: list[Line], **kwargs: Any) -> list[ConsoleLine]:
    parsed = (parse_console(line, **kwargs) for line in service_lines)
    return [p for p in parsed if p is not None]


class _TimedList(list[Any]):
    """A list that remembers when each item was appended."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[datetime] = []

    def append(self, item: Any) -> None:
        self.times.append(utc_now())
        super().append(item)


class TimedSlackApi(SlackApiServer):
    """The local Slack Web API, stamping every request on arrival."""

    def __init__(self, tokens: set[str] | None = None, channels: set[str] | None = None) -> None:
        super().__init__(tokens=tokens, channels=channels)
        self.state.requests = _TimedList()

    def arrivals(self, *, ok_only: bool = True) -> list[Arrival]:
        """Every ``chat.postMessage`` carrying a notification key (by default only the ones the
        stand-in accepted: a known token, no scripted failure)."""
        with self.state.lock:
            requests = list(self.state.requests)
            times = list(self.state.requests.times)  # type: ignore[attr-defined]
        found: list[Arrival] = []
        for request, at in zip(requests, times, strict=True):
            if request.path != "/api/chat.postMessage":
                continue
            payload = (request.body.get("metadata") or {}).get("event_payload") or {}
            key = payload.get("key")
            if key is None:
                continue
            found.append(Arrival(str(key), str(request.body.get("channel")), at, json.dumps(request.body)))
        return found


@dataclass
class TimedSmtpHandler(CollectingHandler):
    """aiosmtpd handler keeping every message with the time it arrived."""

    times: list[datetime] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.times.append(utc_now())
        return answer

    def arrivals(self) -> list[Arrival]:
        found: list[Arrival] = []
        for received, at in zip(list(self.messages), list(self.times), strict=False):
            found.append(Arrival(message_key(received), ",".join(received.rcpt_tos), at))
        return found


def message_key(received: Received) -> str:
    """The notification key from ``Message-ID: <KEY@deadlinewatch...>``."""
    message_id = str(received.message["Message-ID"] or "")
    return message_id.strip().lstrip("<").split("@", 1)[0]


def lateness_report(title: str, arrivals: list[tuple[str, datetime, datetime]]) -> list[float]:
    """Print each arrival's lateness (arrival − instant, seconds); returns them."""
    values = [(arrived - instant).total_seconds() for _, instant, arrived in arrivals]
    print(f"\n{title}: {len(values)} arrivals")
    for (label, instant, arrived), late in zip(arrivals, values, strict=True):
        print(f"  {label:<60} instant {iso(instant)} arrived {arrived.isoformat()} lateness {late:+.3f} s")
    if values:
        print(
            f"  lateness min {min(values):+.3f} s, max {max(values):+.3f} s,"
            f" mean {sum(values) / len(values):+.3f} s"
        )
    return values


# --- databases --------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deadlinewatch.db'}"
        return
    with fresh_schema("e2e") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'deadlinewatch.db'}"


@pytest.fixture
def slack() -> Iterator[TimedSlackApi]:
    with TimedSlackApi() as server:
        yield server  # type: ignore[misc]


# --- several replicas (tests/e2e/test_service_replicas.py) ----------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """PostgreSQL only (replicas need it): a fresh schema, dropped afterwards; skipped when
    ``DEADLINEWATCH_TEST_POSTGRES_URL`` is unset."""
    with fresh_schema("e2e") as url:
        yield url


def logged(service: ServiceProcess, fragment: str) -> bool:
    """Whether the service has logged a message containing ``fragment``."""
    return any(fragment in str(entry.get("message", "")) for entry in service.log_messages())
