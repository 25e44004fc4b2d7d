"""`deadlinewatch validate` as a process: exit codes, one error per line, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures" / "configs"


def validate(config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    ours = ("SLACK_", "SMTP_", "DEADLINEWATCH_")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "deadlinewatch", "validate", "--config", str(config)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_valid_config_prints_one_summary_line_and_exits_0() -> None:
    run = validate(FIXTURES / "valid")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("\n") == 1
    assert run.stdout.startswith("config OK: 1 agreement, 21 commitments")
    assert "syria-slack" in run.stderr and "warning" in run.stderr
    assert "Traceback" not in run.stderr


def test_broken_config_prints_every_error_and_exits_1() -> None:
    config = FIXTURES / "broken"
    run = validate(config)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    file = config / "deadlinewatch.yaml"
    assert run.stdout.splitlines() == [
        f"{file}:1:11: timezone: unknown time zone 'Mars/Base' (use an IANA name such as Europe/London)",
        f"{file}:7:10: commitments.a.due: '2016-02-30' does not exist on the calendar "
        "(day is out of range for month)",
        f"{file}:11:16: commitments.b.agreement: unknown agreement 'nowhere'",
        f"{file}:13:33: subscriptions.s.notify[1]: unknown channel 'pager'",
    ]


def test_yaml_syntax_error_exits_1_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("commitments:\n  - {id: a, title: [x\n", encoding="utf-8")
    run = validate(tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stdout.startswith(f"{tmp_path / 'c.yaml'}:")
    assert "YAML syntax error" in run.stdout


def test_hostile_and_binary_input_exits_1_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "b.yaml").write_text("a: &x [*x]\nb: " + "[" * 5000 + "\n", encoding="utf-8")
    run = validate(tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert len(run.stdout.splitlines()) >= 2


def test_secrets_are_never_printed(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "channels:\n  s: {type: slack, channel: '#x', token: '${TOKEN}', pace: fast}\n", encoding="utf-8"
    )
    run = validate(tmp_path, TOKEN="xoxb-very-secret")
    assert run.returncode == 1
    assert "xoxb-very-secret" not in run.stdout + run.stderr
    assert "channels.s.pace" in run.stdout


def test_missing_config_exits_1(tmp_path: Path) -> None:
    run = validate(tmp_path / "absent")
    assert run.returncode == 1
    assert "no such file or folder" in run.stdout
