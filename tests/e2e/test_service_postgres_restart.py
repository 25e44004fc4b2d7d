"""``deadlinewatch run`` on a PRIVATE PostgreSQL cluster (initdb into a temporary folder, its own
port on 127.0.0.1, trust auth) that is restarted while notifications are due: ``pg_ctl stop -m
fast`` right after the first notification arrives, about 5 s down, then ``pg_ctl start``
(SPEC §11, first promise: no notification lost across a PostgreSQL restart).

Every reminder and overdue (console channel, instants from ~6 s to ~29 s after start) is accounted
for: delivered exactly once, or, for a reminder due during the outage whose commitment's overdue
was also due by the time planning resumed, recorded in the ledger as superseded (SPEC §5 catch-up:
no stale reminder once an overdue is due; that overdue is delivered). Reminders due during the
outage whose overdue comes later must be delivered. No duplicates; ledger = arrivals. The lateness
of those due during the outage is printed, never asserted.

Never touches the system PostgreSQL: the cluster is ours, started and stopped through its own data
folder, and removed afterwards. Skipped when not root (initdb refuses root, so the binaries run as
the ``postgres`` OS user through ``runuser``), or without the binaries or that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import (
    ServiceProcess,
    commitment,
    console_arrivals,
    iso,
    lateness_report,
    outbox,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import notification_key

OS_USER = "postgres"
OUTAGE_SECONDS = 5.0
REMIND_BEFORE = 2  # seconds
FIRST_DUE = 8  # seconds after start: the first reminder is at 6 s
EVERY = 3  # seconds between dues
RELOAD_MARGIN = 4  # seconds the reload that brings the commitments has before "start"
COMMITMENTS = 8  # c0..c7: dues at 8, 11, ..., 29 s; reminders at 6, 9, ..., 27 s
# l0..l3: reminders well before their dues (at 8, 11, 14, 17 s; dues at 16, 19, 22, 25 s), so a
# reminder due during the outage is still worth sending once the database is back.
LONG_REMIND_BEFORE = 8
LONG_DUES = (16, 19, 22, 25)


@dataclass(frozen=True)
class Occurrence:
    label: str
    subject: str
    event: EventKind
    instant: datetime


def _major_version(initdb: str) -> int:
    name = Path(initdb).parent.parent.name  # /usr/lib/postgresql/<major>/bin/initdb
    return int(name) if name.isdigit() else 0


def _binaries_or_skip() -> Path:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root: the private cluster runs as the 'postgres' OS user through runuser")
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        pytest.skip(f"no '{OS_USER}' OS user to run initdb/pg_ctl as")
    if shutil.which("runuser") is None:
        pytest.skip("runuser is not installed")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    if not found:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (initdb, pg_ctl)")
    bin_dir = Path(found[-1]).parent
    if not (bin_dir / "pg_ctl").exists():
        pytest.skip(f"no pg_ctl next to {found[-1]}")
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateCluster:
    """A throwaway PostgreSQL cluster owned by the ``postgres`` OS user, in a folder of its own
    (not under pytest's ``tmp_path``, which only root can enter)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="deadlinewatch-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        user = pwd.getpwnam(OS_USER)
        os.chown(self.root, user.pw_uid, user.pw_gid)
        self.root.chmod(0o700)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["runuser", "-u", OS_USER, "--", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}\n{self.log_tail()}"
        return result

    def init(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    def start(self) -> float:
        """``pg_ctl start -w``; returns the seconds until it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port}"
            f" -c unix_socket_directories={self.root} -c fsync=off"
        )
        began = time.monotonic()
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
        )
        return time.monotonic() - began

    def stop(self, mode: str = "fast") -> float:
        began = time.monotonic()
        self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")
        return time.monotonic() - began

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def log_tail(self, last: int = 30) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "--- server log (tail)\n" + "\n".join(lines[-last:])

    def remove(self) -> None:
        """Stop (only our postmaster: pg_ctl acts on this data folder) and delete the folder."""
        if self.running():
            try:
                self.stop("immediate")
            except (AssertionError, subprocess.TimeoutExpired):
                pid_file = self.data / "postmaster.pid"
                if pid_file.exists():
                    pid = int(pid_file.read_text().split()[0])
                    os.kill(pid, 9)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.mark.slow
def test_postgres_restart_while_notifications_are_due_loses_nothing_and_repeats_nothing(
    tmp_path: Path, services: list[ServiceProcess]
) -> None:
    cluster = PrivateCluster(_binaries_or_skip())
    try:
        cluster.init()
        print(f"\nprivate cluster on 127.0.0.1:{cluster.port}, started in {cluster.start():.2f} s")

        config = tmp_path / "config"
        write_config(
            config,
            {
                "timezone": "UTC",
                "channels": {"console": {"type": "console"}},
                "policies": {
                    "default": {
                        "remind_before": [f"{REMIND_BEFORE}s"],
                        "grace": "0d",
                        "repeat_overdue_every": "0d",
                    },
                    "long": {"remind_before": [f"{LONG_REMIND_BEFORE}s"]},
                },
                "subscriptions": [{"name": "desk", "notify": ["console"]}],
            },
        )
        service = ServiceProcess.start(tmp_path, config, cluster.url)
        services.append(service)
        service.wait_ready()
        # The commitments arrive by a reload once the service runs, their instants counted from
        # then: a slow start on a loaded machine cannot push the first instant into the past.
        start = whole_second(utc_now()) + timedelta(seconds=RELOAD_MARGIN)
        dues = [start + timedelta(seconds=FIRST_DUE + EVERY * i) for i in range(COMMITMENTS)]
        long_dues = [start + timedelta(seconds=s) for s in LONG_DUES]
        write_config(
            config,
            {
                "commitments": [
                    *(commitment(f"c{i}", due) for i, due in enumerate(dues)),
                    *(commitment(f"l{i}", due, policy="long") for i, due in enumerate(long_dues)),
                ]
            },
            name="commitments.yaml",
        )
        expected: dict[str, Occurrence] = {}
        schedule = [(f"c{i}", due, REMIND_BEFORE) for i, due in enumerate(dues)]
        schedule += [(f"l{i}", due, LONG_REMIND_BEFORE) for i, due in enumerate(long_dues)]
        for subject, due, before in schedule:
            for event, instant in (
                (EventKind.REMINDER, due - timedelta(seconds=before)),
                (EventKind.OVERDUE, due),
            ):
                key = notification_key("desk", "console", subject, event, instant)
                expected[key] = Occurrence(
                    f"{subject} {event.value} @{iso(instant)}", subject, event, instant
                )
        overdue_at = {o.subject: o.instant for o in expected.values() if o.event is EventKind.OVERDUE}

        def arrived() -> Counter[str]:
            return Counter(c.key for c in console_arrivals(service.stdout_lines()))

        def missing() -> str:
            seen = arrived()
            names = sorted(o.label for key, o in expected.items() if key not in seen)
            return f"missing: {names}\n{service.describe()}\n{cluster.log_tail()}"

        wait_until(lambda: bool(arrived()), 30, "the first notification", on_fail=missing)
        outage_began = utc_now()
        stopped_in = cluster.stop("fast")
        time.sleep(OUTAGE_SECONDS)
        started_in = cluster.start()
        outage_ended = utc_now()
        print(
            f"cluster stopped (-m fast) at {outage_began.isoformat()} in {stopped_in:.2f} s,"
            f" started again in {started_in:.2f} s; down {(outage_ended - outage_began).total_seconds():.2f} s"
        )
        during = {k for k, o in expected.items() if outage_began <= o.instant <= outage_ended}
        assert during, "no instant fell inside the outage: the test would prove nothing"

        def resumed() -> datetime | None:
            """When the first notification after the outage was read: planning had resumed."""
            return next((line.at for line in service.stdout_lines() if line.at >= outage_ended), None)

        def may_be_superseded(key: str) -> bool:
            """SPEC §5 catch-up: no reminder once an overdue is due. A reminder due during the
            outage whose overdue was also due by the time planning resumed is recorded as
            superseded instead of being sent (its overdue goes out)."""
            occurrence, back = expected[key], resumed()
            return (
                back is not None
                and occurrence.event is EventKind.REMINDER
                and outage_began <= occurrence.instant <= back
                and overdue_at[occurrence.subject] <= back
            )

        def settled() -> bool:
            seen = arrived()
            return all(key in seen or may_be_superseded(key) for key in expected)

        waited = wait_until(
            settled,
            (dues[-1] - utc_now()).total_seconds() + 30,
            "every notification after the PostgreSQL restart",
            interval=0.1,
            on_fail=missing,
        )
        back = resumed()
        assert back is not None
        print(
            f"all notifications settled {waited:.1f} s after the cluster was back;"
            f" first delivery after the outage {(back - outage_ended).total_seconds():.2f} s after"
            f" the cluster accepted connections again"
        )
        # A quiet moment for any late duplicate, then a clean stop.
        time.sleep(2.0)
        service.terminate()

        console = console_arrivals(service.stdout_lines())
        counts = Counter(c.key for c in console)
        duplicates = {expected[k].label if k in expected else k: n for k, n in counts.items() if n > 1}
        assert not duplicates, f"delivered more than once across the PostgreSQL restart: {duplicates}"
        assert set(counts) <= set(expected), f"unexpected notifications: {set(counts) - set(expected)}"

        ledger = {str(row["key"]): row for row in outbox(tmp_path, config, cluster.url)}
        states = Counter(str(row["state"]) for row in ledger.values())
        print(f"ledger states {dict(states)}")
        assert any(expected[k].event is EventKind.REMINDER for k in during & set(counts)), (
            "no reminder due during the outage was delivered: the test would not show that they survive"
        )
        assert set(ledger) == set(expected), "the ledger does not tell the whole story"
        not_sent = set(expected) - set(counts)
        for key in sorted(not_sent, key=lambda k: expected[k].instant):
            row = ledger[key]
            print(f"  not sent: {expected[key].label}: {row['state']} ({row['error']})")
            assert may_be_superseded(key) and row["state"] == "superseded", (expected[key].label, row)
        sent = {key for key, row in ledger.items() if row["state"] == "sent"}
        assert sent == set(counts), "arrived and marked sent differ"
        assert set(states) <= {"sent", "superseded"}, states

        first_at: dict[str, datetime] = {}
        for line in console:
            first_at.setdefault(line.key, line.at)
        by_instant = sorted(expected, key=lambda k: expected[k].instant)
        lateness_report(
            "due during the outage (delivered)",
            [
                (expected[k].label, expected[k].instant, first_at[k])
                for k in by_instant
                if k in during and k in sent
            ],
        )
        lateness_report(
            "all delivered",
            [(expected[k].label, expected[k].instant, first_at[k]) for k in by_instant if k in sent],
        )
    finally:
        cluster.remove()
