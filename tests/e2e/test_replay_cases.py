"""Replay cases written from public records, with the expected lines worked out by hand from
SPEC §2-§5 (each expectation is derived in the comment above it, not copied from output)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

from deadlinewatch.cli import main


def replay_lines(tmp_path: Path, config: str, start: str, end: str) -> list[dict[str, object]]:
    path = tmp_path / "deadlinewatch.yaml"
    path.write_text(config, encoding="utf-8")
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["replay", "--config", str(path), "--from", start, "--to", end, "--format", "jsonl"])
    assert code == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def line(at: str, event: str, commitment: str, **fields: object) -> dict[str, object]:
    return {
        "at": at,
        "event": event,
        "commitment": commitment,
        "subscription": "desk",
        "channels": ["desk"],
        **fields,
    }


UNSCR_2254 = """
timezone: America/New_York
channels: {desk: {type: console}}
policies:
  default: {remind_before: [30d], repeat_overdue_every: 0d}
agreements:
  - id: unscr-2254
    title: UN Security Council resolution 2254 (2015)
    announced: 2015-12-18
    parties: [Syrian government, Syrian opposition]
commitments:
  - {id: governance, agreement: unscr-2254, title: Credible inclusive non-sectarian governance, due: {after: announced, within: 6mo}}
  - {id: elections, agreement: unscr-2254, title: Free and fair elections, due: {after: announced, within: 18mo}}
subscriptions:
  - {name: desk, notify: [desk]}
"""


def test_unscr_2254_six_and_eighteen_month_targets(tmp_path: Path) -> None:
    # Day 0 = 18 Dec 2015 (New York). 6mo -> the day 18 Jun 2016, closing 19 Jun 00:00 EDT = 04:00Z.
    # 18mo -> the day 18 Jun 2017, closing 19 Jun 2017 00:00 EDT = 04:00Z. Reminders 30 calendar
    # days before on the wall clock: 20 May 00:00 EDT = 04:00Z. No repeats (0d).
    got = replay_lines(tmp_path, UNSCR_2254, "2016-01-01", "2017-12-31")
    assert got == [
        line("2016-05-20T04:00:00Z", "reminder", "governance", due="2016-06-19T04:00:00Z", before="30d"),
        line("2016-06-19T04:00:00Z", "overdue", "governance", due="2016-06-19T04:00:00Z", repeat=0),
        line("2017-05-20T04:00:00Z", "reminder", "elections", due="2017-06-19T04:00:00Z", before="30d"),
        line("2017-06-19T04:00:00Z", "overdue", "elections", due="2017-06-19T04:00:00Z", repeat=0),
    ]


JCPOA = """
timezone: Europe/Vienna
channels: {desk: {type: console}}
policies:
  default: {remind_before: [7d], repeat_overdue_every: 0d}
agreements:
  - {id: jcpoa, title: Joint Comprehensive Plan of Action, announced: 2015-07-14, parties: [Iran, P5+1, EU]}
commitments:
  - id: unscr-2231
    agreement: jcpoa
    title: Security Council endorses the JCPOA
    due: 2015-07-20
    history: [{at: 2015-07-20, status: fulfilled, url: "https://www.un.org/press/en/2015/sc11974.doc.htm"}]
  - id: adoption-day
    agreement: jcpoa
    title: Adoption Day, 90 days after endorsement
    due: {after: unscr-2231, within: 90d}
    history: [{at: 2015-10-18, status: fulfilled}]
  - {id: transition-day, agreement: jcpoa, title: Transition Day, due: {after: adoption-day, within: 8y}}
  - {id: termination-day, agreement: jcpoa, title: Termination Day, due: {after: adoption-day, within: 10y}}
subscriptions:
  - {name: desk, notify: [desk]}
"""


def test_jcpoa_day_counts(tmp_path: Path) -> None:
    # Start 2015-07-14T00:00Z. unscr-2231 is due by end of 20 Jul (Vienna, CEST): 21 Jul 00:00 CEST
    # = 20 Jul 22:00Z; its 7d reminder, 14 Jul 00:00 CEST = 13 Jul 22:00Z, is just before the start
    # (and not before `announced`, 14 Jul 00:00 CEST): caught up at the start.
    # Fulfilled 20 Jul 00:00 CEST = 19 Jul 22:00Z: status_changed, and adoption-day becomes known:
    # day 0 = 20 Jul, +90 days = 18 Oct, closing 19 Oct 00:00 CEST = 18 Oct 22:00Z.
    # Its reminder: 7 days before 19 Oct 00:00 CEST is 12 Oct 00:00 CEST = 11 Oct 22:00Z. Fulfilled 18 Oct 00:00 CEST = 17 Oct 22:00Z,
    # which makes transition (+8y: 18 Oct 2023 -> 2023-10-18T22:00Z) and termination (+10y:
    # 2025-10-18T22:00Z) known. Its overdue at 18 Oct 22:00Z is suppressed (fulfilled).
    got = replay_lines(tmp_path, JCPOA, "2015-07-14", "2015-12-31")
    assert got == [
        line("2015-07-14T00:00:00Z", "reminder", "unscr-2231", due="2015-07-20T22:00:00Z", before="7d"),
        line(
            "2015-07-19T22:00:00Z",
            "deadline_changed",
            "adoption-day",
            before=None,
            after="2015-10-18T22:00:00Z",
        ),
        line(
            "2015-07-19T22:00:00Z", "status_changed", "unscr-2231", previous="not_started", status="fulfilled"
        ),
        line("2015-10-11T22:00:00Z", "reminder", "adoption-day", due="2015-10-18T22:00:00Z", before="7d"),
        line(
            "2015-10-17T22:00:00Z",
            "status_changed",
            "adoption-day",
            previous="not_started",
            status="fulfilled",
        ),
        line(
            "2015-10-17T22:00:00Z",
            "deadline_changed",
            "termination-day",
            before=None,
            after="2025-10-18T22:00:00Z",
        ),
        line(
            "2015-10-17T22:00:00Z",
            "deadline_changed",
            "transition-day",
            before=None,
            after="2023-10-18T22:00:00Z",
        ),
    ]


DST = """
timezone: Europe/London
channels: {desk: {type: console}}
policies:
  default: {remind_before: [7d, 36h], repeat_overdue_every: 0d}
agreements:
  - {id: talks, title: Talks, announced: 2021-01-04, parties: [A, B]}
commitments:
  - {id: london, agreement: talks, title: Report across the spring clock change, due: 2021-03-30}
  - {id: santiago, agreement: talks, title: Report across the autumn clock change, due: 2021-04-06, timezone: America/Santiago}
subscriptions:
  - {name: desk, notify: [desk]}
"""


def test_dst_change_inside_a_reminder_offset(tmp_path: Path) -> None:
    # London: due by end of 30 Mar 2021 = 31 Mar 00:00 BST = 30 Mar 23:00Z. Clocks went forward on
    # 28 Mar, inside the 7d offset: 7 calendar days before on the wall clock is 24 Mar 00:00 GMT =
    # 00:00Z (not 23:00Z). 36h is elapsed: 30 Mar 23:00Z - 36h = 29 Mar 11:00Z.
    # Santiago: due by end of 6 Apr = 7 Apr 00:00 -04 = 04:00Z. Clocks went back on 4 Apr (-03 to
    # -04): 7 days before on the wall clock is 31 Mar 00:00 -03 = 03:00Z; 36h elapsed = 5 Apr 16:00Z.
    got = replay_lines(tmp_path, DST, "2021-03-01", "2021-04-10")
    assert got == [
        line("2021-03-24T00:00:00Z", "reminder", "london", due="2021-03-30T23:00:00Z", before="7d"),
        line("2021-03-29T11:00:00Z", "reminder", "london", due="2021-03-30T23:00:00Z", before="36h"),
        line("2021-03-30T23:00:00Z", "overdue", "london", due="2021-03-30T23:00:00Z", repeat=0),
        line("2021-03-31T03:00:00Z", "reminder", "santiago", due="2021-04-07T04:00:00Z", before="7d"),
        line("2021-04-05T16:00:00Z", "reminder", "santiago", due="2021-04-07T04:00:00Z", before="36h"),
        line("2021-04-07T04:00:00Z", "overdue", "santiago", due="2021-04-07T04:00:00Z", repeat=0),
    ]
