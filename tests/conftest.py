"""Shared fixtures. Keep additions additive: each block is owned by the part of the suite it serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.slack_api import SlackApiServer
from support.smtp import CollectingHandler, RunningSmtp, self_signed_certificate, smtp_server

# --- delivery: local Slack Web API and SMTP servers ----------------------------------------------


@pytest.fixture
def slack_api() -> Iterator[SlackApiServer]:
    """A local Slack Web API on 127.0.0.1 accepting the token ``xoxb-test``."""
    with SlackApiServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[RunningSmtp]:
    """A plaintext aiosmtpd server on 127.0.0.1 collecting every message."""
    with smtp_server(CollectingHandler()) as running:
        yield running


@pytest.fixture
def tls_certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (``cert.pem``, ``key.pem``); skips when neither the
    ``cryptography`` package nor the ``openssl`` command is available."""
    made = self_signed_certificate(tmp_path)
    if made is None:
        pytest.skip("no way to make a test certificate: install 'cryptography' or the openssl command")
    return made
