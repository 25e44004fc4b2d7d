"""`deadlinewatch extract` through the command line (in-process and as a process): the seed
article's fragment merged with a settings file passes `validate`; --phrase prints one due or
exits 1; wrong usage exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deadlinewatch.cli import main

SEED = Path(__file__).parent.parent / "fixtures" / "kerry-lavrov-2016.txt"
SETTINGS = """\
timezone: UTC
channels:
  console: {type: console}
subscriptions:
  - name: syria
    match: {tags: [syria]}
    notify: [console]
"""


def _environment() -> dict[str, str]:
    ours = ("SLACK_", "SMTP_", "DEADLINEWATCH_")
    return {k: v for k, v in os.environ.items() if not k.startswith(ours)}


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deadlinewatch", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=_environment(),
        timeout=120,
    )


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_seed_fragment_validates_merged_with_settings(tmp_path: Path, fmt: str) -> None:
    run = _cli(
        "extract", str(SEED), "--announced", "2016-03-24", "--agreement", "kerry-lavrov-2016",
        "--timezone", "Asia/Damascus", "--format", fmt,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    (config / "extracted.yaml").write_text(run.stdout, encoding="utf-8")
    checked = _cli("validate", "--config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("config OK: 1 agreement, 9 commitments")

    fragment = yaml.safe_load(run.stdout)
    dues = {c["title"]: c["due"] for c in fragment["commitments"]}
    assert str(dues["Draft constitution"]) == "2016-08"
    assert str(dues["Framework for a political transition"]) == "2016-08"
    assert dues["Begin releasing detainees"] == "asap"
    assert dues["Reinforce the cessation of hostilities"] == "immediate"
    elections = next(c for c in fragment["commitments"] if c["title"].startswith("Free elections"))
    constitution = next(c for c in fragment["commitments"] if c["title"] == "Draft constitution")
    assert elections["due"] == {"after": constitution["id"], "within": "18mo"}
    assert fragment["agreements"][0]["timezone"] == "Asia/Damascus"


def test_yaml_carries_the_source_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(SEED), "--announced", "2016-03-24"]) == 0
    out = capsys.readouterr().out
    text = SEED.read_text(encoding="utf-8")
    fragment = yaml.safe_load(out)
    assert fragment["agreements"][0]["id"] == "kerry-lavrov-2016"  # from the file name
    phrases = [c["source"]["phrase"] for c in fragment["commitments"]]
    assert "by August" in phrases
    for commitment in fragment["commitments"]:
        source = commitment["source"]
        assert text[source["start"] : source["end"]] == source["quote"] == commitment["description"]


def test_standard_input_and_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "statement.html"
    page.write_text(
        "<html><head><style>p{}</style></head><body><h1>Joint statement</h1>"
        "<p>The parties agreed that the cessation of hostilities will commence at 00:00 (Damascus time) "
        "on February 27, 2016.</p></body></html>",
        encoding="utf-8",
    )
    assert main(["extract", str(page), "--announced", "2016-02-22", "--format", "json"]) == 0
    fragment = json.loads(capsys.readouterr().out)
    assert fragment["agreements"][0]["title"] == "Joint statement"
    assert [c["due"] for c in fragment["commitments"]] == ["2016-02-27T00:00+02:00"]
    run = _cli(
        "extract", "-", "--announced", "2016-03-24", stdin="Both sides agreed to withdraw within 14 days.\n"
    )
    assert run.returncode == 0, run.stderr
    assert "due: {after: announced, within: 14d}" in run.stdout
    assert "agreement: extracted" in run.stdout


def test_phrase_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--phrase", "by August", "--announced", "2016-03-24"]) == 0
    assert capsys.readouterr().out == "2016-08\n"
    assert (
        main(["extract", "--phrase", "within six months", "--announced", "2016-03-24", "--format", "json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["due"] == {"after": "announced", "within": "6mo"}
    assert result["precision"] == "relative"
    assert result["reasoning"]


def test_phrase_not_understood_exits_1_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--phrase", "by mid-2016", "--announced", "2016-03-24"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "deadlinewatch extract: phrase not understood" in captured.err and "mid-2016" in captured.err


@pytest.mark.parametrize(
    "args",
    [
        ["extract", "--phrase", "by August"],  # no --announced
        ["extract", "--phrase", "by August", "--announced", "24 March 2016"],
        ["extract", "--phrase", "by August", "--announced", "2016-03-24", "--timezone", "Mars/Olympus"],
        ["extract", "--phrase", "by August", "--announced", "2016-03-24", "--format", "yaml"],
        ["extract", "--announced", "2016-03-24"],  # neither FILE nor --phrase
        ["extract", str(SEED), "--phrase", "by August", "--announced", "2016-03-24"],
        ["extract", str(SEED), "--announced", "2016-03-24", "--agreement", "bad id!"],
    ],
)
def test_wrong_usage_exits_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert "deadlinewatch extract:" in capsys.readouterr().err


def test_unreadable_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path / "missing.txt"), "--announced", "2016-03-24"]) == 1
    assert "missing.txt" in capsys.readouterr().err


def test_help_documents_every_option() -> None:
    run = _cli("extract", "--help")
    assert run.returncode == 0
    for option in ("--phrase", "--announced", "--agreement", "--timezone", "--format", "FILE|-"):
        assert option in run.stdout


def test_joining_a_config_that_has_the_agreement(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    example = Path(__file__).parent.parent.parent / "config"
    for name in ("deadlinewatch.yaml", "syria-2016.yaml"):
        (config / name).write_text((example / name).read_text(encoding="utf-8"), encoding="utf-8")
    run = _cli(
        "extract", str(SEED), "--announced", "2016-03-24", "--agreement", "kerry-lavrov-2016",
        "--timezone", "Asia/Damascus", "--config", str(config),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    fragment = yaml.safe_load(run.stdout)
    assert "agreements" not in fragment
    assert {str(c["announced"]) for c in fragment["commitments"]} == {"2016-03-24"}
    (config / "extracted.yaml").write_text(run.stdout, encoding="utf-8")
    checked = _cli("validate", "--config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
