"""Config reporting: a file that cannot be parsed comes first and does not cascade into errors in
the other files; a config from which nothing can ever be sent is flagged."""

from __future__ import annotations

import textwrap
from pathlib import Path

from deadlinewatch.config.loader import load_config


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def test_a_yaml_syntax_error_is_reported_first_and_causes_no_unknown_id_errors(tmp_path: Path) -> None:
    # a.yaml sorts first and refers to what z.yaml defines; z.yaml is broken.
    write(
        tmp_path,
        "a.yaml",
        """
        timezone: UTC
        subscriptions:
          - {name: desk, notify: [console], policy: strict, match: {commitments: [c1, c2, c3]}}
        """,
    )
    write(
        tmp_path,
        "z.yaml",
        """
        channels:
          console: {type: console}
        policies:
          strict: {grace: 0d
        commitments:
          - {id: c1, title: One, due: 2030}
        """,
    )
    result = load_config(tmp_path, {})
    assert result.config is None
    assert [e.field for e in result.errors] == ["(yaml)"], [str(e) for e in result.errors]
    assert result.errors[0].file.endswith("z.yaml")
    assert "YAML syntax error" in result.errors[0].message
    assert not any("unknown" in str(e) for e in result.errors)
    note = [w for w in result.warnings if w.field == "(config)"]
    assert note and "z.yaml could not be read" in note[0].message


def test_schema_errors_of_the_other_files_are_still_reported_after_the_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "timezone: Mars/Olympus\n")
    write(tmp_path, "b.yaml", "commitments: [\n")
    result = load_config(tmp_path, {})
    assert [e.file.rsplit("/", 1)[-1] for e in result.errors] == ["b.yaml", "a.yaml"]


def test_delivery_problem_names_why_nothing_can_be_sent(tmp_path: Path) -> None:
    write(tmp_path / "empty", "c.yaml", "timezone: UTC\n")
    empty = load_config(tmp_path / "empty", {}).config
    assert empty is not None
    assert empty.delivery_problem() is not None and "no subscriptions" in (empty.delivery_problem() or "")

    write(
        tmp_path / "unready",
        "c.yaml",
        """
        channels:
          slack: {type: slack, channel: "#x"}
        subscriptions:
          - {name: desk, notify: [slack]}
        """,
    )
    unready = load_config(tmp_path / "unready", {}).config
    assert unready is not None
    assert "no subscription notifies a configured channel" in (unready.delivery_problem() or "")
    ready = load_config(tmp_path / "unready", {"SLACK_BOT_TOKEN": "xoxb-1"}).config
    assert ready is not None and ready.delivery_problem() is None
