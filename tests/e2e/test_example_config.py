"""The shipped example config (config/, SPEC §1's seed case) must always validate."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("deadlinewatch.config.loader") is None,
    reason="the config loader (deadlinewatch.config.loader) is not written yet",
)

# Credentials the example must not need: it has to validate (with warnings) without any of them.
_CREDENTIALS = ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD")


def _validate(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _CREDENTIALS and k != "DEADLINEWATCH_CONFIG"}
    env.pop("DEADLINEWATCH_DATABASE_URL", None)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "deadlinewatch", "validate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_example_config_validates() -> None:
    result = _validate("--config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, f"a valid config prints a one-line summary, got: {result.stdout!r}"


def test_example_config_is_the_default_folder() -> None:
    # --config defaults to ./config when DEADLINEWATCH_CONFIG is not set.
    result = _validate()
    assert result.returncode == 0, result.stdout + result.stderr


def test_example_config_warns_about_unset_credentials_without_leaking_them() -> None:
    result = _validate("--config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip(), "unset Slack/SMTP credentials should be reported as warnings"

    secret = "xoxb-0000-example-secret-token"
    with_token = _validate(
        "--config", str(CONFIG), env_extra={"SLACK_BOT_TOKEN": secret, "SMTP_PASSWORD": secret}
    )
    assert with_token.returncode == 0, with_token.stdout + with_token.stderr
    assert secret not in with_token.stdout + with_token.stderr
