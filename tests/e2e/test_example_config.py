"""The shipped example config (config/, SPEC §1's seed case) must always validate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"

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


def test_example_config_is_the_seed_case() -> None:
    """SPEC §1: the seven Kerry–Lavrov commitments, in Damascus time, each history entry sourced."""
    from deadlinewatch.config.loader import load_config
    from deadlinewatch.domain.model import OpenDue, OpenKind, RelativeDue

    env = {"PATH": os.environ.get("PATH", "")}
    result = load_config(CONFIG, env)
    assert result.config is not None and not result.errors, result.errors
    watchlist = result.config.watchlist

    agreement = watchlist.agreements["kerry-lavrov-2016"]
    assert agreement.timezone == "Asia/Damascus"
    assert set(agreement.references) == {"UNSCR 2254 (2015)", "Geneva Communiqué (2012)"}

    commitments = watchlist.commitments
    assert set(commitments) == {
        "syria-transition-framework",
        "syria-draft-constitution",
        "syria-geneva-talks",
        "syria-humanitarian-access",
        "syria-detainee-releases",
        "syria-cessation-of-hostilities",
        "syria-elections",
    }
    assert commitments["syria-geneva-talks"].due == OpenDue(OpenKind.ASAP)
    assert commitments["syria-detainee-releases"].due == OpenDue(OpenKind.ASAP)
    assert commitments["syria-humanitarian-access"].due == OpenDue(OpenKind.OPEN)
    assert commitments["syria-cessation-of-hostilities"].due == OpenDue(OpenKind.IMMEDIATE)
    elections = commitments["syria-elections"].due
    assert isinstance(elections, RelativeDue) and elections.after == "syria-draft-constitution"
    for commitment in commitments.values():
        assert watchlist.zone_of(commitment) == "Asia/Damascus"
        assert "syria" in commitment.tags
        assert commitment.history, f"{commitment.id} has no public record"
        for change in commitment.history:
            assert change.note and change.url and change.url.startswith("http"), (commitment.id, change)
