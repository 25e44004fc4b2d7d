"""SQLite on a small filesystem that fills up while ``deadlinewatch run`` delivers (SPEC §11: no
notification lost, none twice; recovery without a restart).

The database lives on a private tmpfs (2 ``mount -t tmpfs`` per test, so this needs root; skipped
with the reason otherwise). A burst to the local Slack stand-in (answering slowly, so it takes a few seconds)
is due first; after its first messages arrive, a ballast file fills the filesystem to the last byte.
While it is full:

- the service logs a clear error naming the full disk and ``/readyz`` answers 503;
- the messages of the burst it had already claimed still go out, but none is marked ``sent`` in the
  ledger that did not arrive (the ledger is read while the disk is full);
- a second group of commitments falls due (its reminder, then its overdue): nothing can be recorded.

Then the ballast is deleted, without restarting anything: ``/readyz`` is 200 again, the burst's rows
are all recorded ``sent``, the second group arrives per the catch-up rules (its overdue; the reminder
that fell due meanwhile is superseded, as an overdue is due), a third group's reminder that fell due
meanwhile (its overdue still ahead) arrives, and nothing arrived twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import (
    ServiceProcess,
    TimedSlackApi,
    commitment,
    logged,
    outbox,
    slack_channel,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from support.smtp import free_port

BURST = 30
LATE = 5
MID = 3
DISK_FULL = "the database's disk is full"


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 16 MiB tmpfs mounted on a fresh temporary folder, unmounted afterwards."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs for the database")
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    folder = Path(tempfile.mkdtemp(prefix="deadlinewatch-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)
        if os.path.ismount(folder):
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
        folder.rmdir()


def fill(path: Path) -> int:
    """Write ``path`` until the filesystem has not one byte left; returns the bytes written."""
    written = 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * size
            while True:
                try:
                    count = os.write(descriptor, block)
                except OSError:
                    break
                written += count
                if count < size:
                    break
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return written


def readyz(port: int) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, {}


@pytest.mark.slow
def test_sqlite_disk_full_loses_nothing_and_recovers_without_a_restart(
    tmp_path: Path, small_disk: Path, slack: TimedSlackApi, services: list[ServiceProcess]
) -> None:
    database = f"sqlite:///{small_disk / 'deadlinewatch.db'}"
    port = free_port()
    start = whole_second(utc_now())
    burst_due = start + timedelta(seconds=8)
    late_due = start + timedelta(seconds=20)
    mid_due = start + timedelta(seconds=60)  # its reminder (at +16 s) falls while the disk is full
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "http": {"listen": f"127.0.0.1:{port}"},
            "channels": {"slack": slack_channel(slack, "#desk")},
            "policies": {
                "default": {"remind_before": [], "grace": "0d", "repeat_overdue_every": "0d"},
                "late": {"remind_before": ["4s"], "grace": "0d", "repeat_overdue_every": "0d"},
                "mid": {"remind_before": ["44s"], "grace": "0d", "repeat_overdue_every": "0d"},
            },
            "commitments": [commitment(f"burst-{i:02d}", burst_due) for i in range(BURST)]
            + [commitment(f"late-{i}", late_due, policy="late") for i in range(LATE)]
            + [commitment(f"mid-{i}", mid_due, policy="mid") for i in range(MID)],
            "subscriptions": [{"name": "desk", "notify": ["slack"]}],
        },
    )
    slack.state.delay = 0.2  # the burst takes ~6 s: the disk fills in the middle of it
    service = ServiceProcess.start(tmp_path, config, database)
    services.append(service)
    service.wait_ready()
    wait_until(lambda: readyz(port)[0] == 200, 30, "/readyz to answer 200", on_fail=service.describe)

    def arrived() -> Counter[str]:
        return Counter(a.key for a in slack.arrivals())

    wait_until(lambda: sum(arrived().values()) >= 3, 60, "the first messages of the burst", interval=0.02)
    ballast = small_disk / "ballast"
    filled = fill(ballast)
    full_at = utc_now()
    print(f"\nfilled the disk with {filled / 2**20:.1f} MiB at {full_at.isoformat()}")
    assert utc_now() < late_due - timedelta(seconds=6), "too slow: the disk filled after the late reminders"

    wait_until(
        lambda: logged(service, DISK_FULL), 60, "the disk-full error in the log", on_fail=service.describe
    )
    wait_until(lambda: readyz(port)[0] == 503, 30, "/readyz to answer 503", on_fail=service.describe)
    status, body = readyz(port)
    print(f"/readyz while full: {status} {body}")
    assert DISK_FULL in str(body.get("detail")), body
    wait_until(
        lambda: utc_now() > late_due + timedelta(seconds=2),
        60,
        "the late commitments to fall due while the disk is full",
    )
    rows = outbox(tmp_path, config, database)
    states = Counter(str(r["state"]) for r in rows)
    seen = arrived()
    print(f"while full: {sum(seen.values())} arrivals, ledger {dict(states)}")
    assert {str(r["key"]) for r in rows if r["state"] == "sent"} <= set(seen), "marked sent, never arrived"
    assert not [r for r in rows if str(r["subject"]).startswith(("late-", "mid-"))], (
        "recorded on a full disk?"
    )
    assert set(seen.values()) <= {1}, "a duplicate while the disk was full"

    ballast.unlink()
    freed_at = utc_now()
    waited = wait_until(
        lambda: readyz(port)[0] == 200, 60, "/readyz to answer 200 again", on_fail=service.describe
    )
    print(f"/readyz 200 again {waited:.1f} s after the space came back")

    def settled() -> bool:
        ledger = outbox(tmp_path, config, database)
        late = [r for r in ledger if str(r["subject"]).startswith("late-")]
        mid = [r for r in ledger if str(r["subject"]).startswith("mid-")]
        return (
            len(late) == 2 * LATE
            and len(mid) >= MID
            and all(r["state"] in ("sent", "superseded") for r in ledger)
        )

    wait_until(settled, 90, "every notification to be recorded", interval=0.5, on_fail=service.describe)
    recovered = (utc_now() - freed_at).total_seconds()
    rows = outbox(tmp_path, config, database)
    service.terminate()
    seen = arrived()
    by_state = Counter((str(r["event"]), str(r["state"])) for r in rows)
    print(
        f"recovered (everything recorded) {recovered:.1f} s after the space came back; ledger {dict(by_state)}"
    )
    sent = {str(r["key"]) for r in rows if r["state"] == "sent"}
    assert sent == set(seen), "the ledger's sent rows and the arrivals differ"
    assert set(seen.values()) == {1}, {k: n for k, n in seen.items() if n > 1}
    mid = Counter((str(r["event"]), str(r["state"])) for r in rows if str(r["subject"]).startswith("mid-"))
    assert mid == Counter({("reminder", "sent"): MID}), "a reminder that fell due while the disk was full"
    assert by_state == Counter(
        {("overdue", "sent"): BURST + LATE, ("reminder", "superseded"): LATE, ("reminder", "sent"): MID}
    ), by_state


_FULL_TRIGGER = """
CREATE FUNCTION deadlinewatch_test_disk_full() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file "base/16384/16385": No space left on device'
    USING ERRCODE = '53100', HINT = 'Check free disk space.';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER disk_full_notification BEFORE INSERT OR UPDATE ON notification
  FOR EACH ROW EXECUTE FUNCTION deadlinewatch_test_disk_full();
CREATE TRIGGER disk_full_engine_state BEFORE INSERT OR UPDATE ON engine_state
  FOR EACH ROW EXECUTE FUNCTION deadlinewatch_test_disk_full();
"""
_SPACE_BACK = """
DROP TRIGGER disk_full_notification ON notification;
DROP TRIGGER disk_full_engine_state ON engine_state;
DROP FUNCTION deadlinewatch_test_disk_full();
"""


def _execute(database: str, sql: str) -> None:
    engine = create_engine(database)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_disk_full_errors_turn_readyz_503_and_recover_without_a_restart(
    tmp_path: Path, postgres_url: str, slack: TimedSlackApi, services: list[ServiceProcess]
) -> None:
    """PostgreSQL answering SQLSTATE 53100 ("could not extend file ... No space left on device"),
    simulated by triggers that raise it on every write of the ledger and the engine state, while a
    config reload brings commitments due: the reload is retried (it used to stop the service), the
    log names the full disk, ``/readyz`` is 503; once the triggers are dropped everything due
    arrives once, without a restart."""
    port = free_port()
    start = whole_second(utc_now())
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "http": {"listen": f"127.0.0.1:{port}"},
            "channels": {"slack": slack_channel(slack, "#desk")},
            "policies": {"default": {"remind_before": [], "grace": "0d", "repeat_overdue_every": "0d"}},
            "commitments": [commitment(f"c-{i}", start + timedelta(hours=1)) for i in range(LATE)],
            "subscriptions": [{"name": "desk", "notify": ["slack"]}],
        },
    )
    service = ServiceProcess.start(tmp_path, config, postgres_url)
    services.append(service)
    service.wait_ready()
    wait_until(lambda: readyz(port)[0] == 200, 30, "/readyz to answer 200", on_fail=service.describe)
    _execute(postgres_url, _FULL_TRIGGER)
    # Due now: the planner (woken by the reload) must record them and cannot.
    due = whole_second(utc_now()) + timedelta(seconds=2)
    write_config(
        config,
        {
            "timezone": "UTC",
            "http": {"listen": f"127.0.0.1:{port}"},
            "channels": {"slack": slack_channel(slack, "#desk")},
            "policies": {"default": {"remind_before": [], "grace": "0d", "repeat_overdue_every": "0d"}},
            "commitments": [commitment(f"c-{i}", due) for i in range(LATE)],
            "subscriptions": [{"name": "desk", "notify": ["slack"]}],
        },
    )
    wait_until(
        lambda: logged(service, DISK_FULL), 60, "the disk-full error in the log", on_fail=service.describe
    )
    wait_until(lambda: readyz(port)[0] == 503, 30, "/readyz to answer 503", on_fail=service.describe)
    assert DISK_FULL in str(readyz(port)[1].get("detail"))
    assert not slack.arrivals()

    _execute(postgres_url, _SPACE_BACK)
    wait_until(lambda: readyz(port)[0] == 200, 60, "/readyz to answer 200 again", on_fail=service.describe)
    wait_until(
        lambda: len({a.key for a in slack.arrivals()}) >= LATE,
        60,
        "the notifications due while writes failed",
        on_fail=service.describe,
    )
    wait_until(
        lambda: all(r["state"] == "sent" for r in outbox(tmp_path, config, postgres_url)),
        60,
        "the rows to be marked sent",
        interval=0.5,
    )
    rows = outbox(tmp_path, config, postgres_url)
    service.terminate()
    counts = Counter(a.key for a in slack.arrivals())
    assert set(counts.values()) == {1}, counts
    # The reload moved each due: a deadline_changed, then the overdue, per commitment.
    assert Counter(str(r["event"]) for r in rows) == Counter({"deadline_changed": LATE, "overdue": LATE})
    assert set(counts) == {str(r["key"]) for r in rows}
