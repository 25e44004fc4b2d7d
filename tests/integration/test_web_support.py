"""Shared pieces of the web tests: a config with a hostile title, a fixed clock, a client."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from deadlinewatch.config.loader import LoadedConfig, load_config
from deadlinewatch.storage import Store
from deadlinewatch.web.app import create_app
from deadlinewatch.web.runtime import StaticRuntime
from deadlinewatch.web.settings import HttpSettings

NOW = datetime(2016, 9, 10, 12, 0, tzinfo=UTC)
TOKEN = "s3cret-api-token-for-tests"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
HOSTILE = "Draft <script>alert(1)</script> <!channel> & co; a, b\\c"

CONFIG = """\
timezone: UTC
channels:
  console: {type: console}
agreements:
  - id: kerry-lavrov-2016
    title: "US–Russia understanding <b>on</b> Syria"
    announced: 2016-03-24
    timezone: Asia/Damascus
    source: https://example.org/article
commitments:
  - id: syria-transition-framework
    agreement: kerry-lavrov-2016
    title: Framework for political transition
    due: 2016-08
    tags: [syria, political-process]
    history:
      - {at: 2016-08-01, status: missed, note: "target acknowledged as missed", url: "https://example.org/x"}
  - id: syria-draft-constitution
    agreement: kerry-lavrov-2016
    title: "Draft <script>alert(1)</script> <!channel> & co; a, b\\\\c\\nline two"
    due: 2016-08
    tags: [syria, constitution]
  - id: syria-detainee-releases
    agreement: kerry-lavrov-2016
    title: Release of detainees
    due: asap
  - id: syria-elections
    agreement: kerry-lavrov-2016
    title: Free elections under the new constitution
    due: {after: syria-draft-constitution, within: 18mo}
  - id: weapons-withdrawal
    title: Heavy weapons withdrawn
    announced: 2016-09-01
    due: {after: announced, within: 14d}
    tags: [ceasefire]
subscriptions:
  - name: desk
    notify: [console]
"""


def load_test_config(tmp_path: Path) -> LoadedConfig:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "deadlinewatch.yaml").write_text(CONFIG, encoding="utf-8")
    result = load_config(folder, {})
    assert result.config is not None, result.errors
    return result.config


def make_runtime(store: Store, tmp_path: Path, **overrides: object) -> StaticRuntime:
    values: dict[str, object] = {
        "store": store,
        "loaded_config": load_test_config(tmp_path),
        "clock": lambda: NOW,
        "token": TOKEN,
        "signing_secret": SIGNING_SECRET,
    }
    values.update(overrides)
    return StaticRuntime(**values)  # type: ignore[arg-type]


def client_for(runtime: StaticRuntime, settings: HttpSettings | None = None) -> TestClient:
    # localhost: the app answers only to the hosts it is told (by default the local names)
    return TestClient(create_app(runtime, settings), base_url="http://localhost")
