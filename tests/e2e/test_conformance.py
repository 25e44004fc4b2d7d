"""The shared conformance cases (tests/conformance/, copied from shared/conformance/): the CLI's
``replay --format jsonl`` must print exactly the expected lines, in order."""

from __future__ import annotations

import io
import json
import shlex
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from deadlinewatch.cli import main

CASES = sorted(p for p in (Path(__file__).parent.parent / "conformance").iterdir() if p.is_dir())


def run_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    argv = shlex.split((case / "command").read_text().strip())
    assert argv[0] == "deadlinewatch"
    monkeypatch.chdir(case)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(argv[1:]) == 0
    return out.getvalue()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_replay_prints_the_expected_lines(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = [json.loads(line) for line in run_case(case, monkeypatch).splitlines()]
    expected = [json.loads(line) for line in (case / "expected.jsonl").read_text().splitlines() if line]
    for index, (want, have) in enumerate(zip(expected, got, strict=False), start=1):
        assert have == want, f"line {index} differs"
    assert len(got) == len(expected)


@pytest.mark.parametrize("case", CASES[:2], ids=[c.name for c in CASES[:2]])
def test_replay_is_byte_identical_twice(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_case(case, monkeypatch) == run_case(case, monkeypatch)


def test_conformance_cases_are_present() -> None:
    assert len(CASES) >= 4
