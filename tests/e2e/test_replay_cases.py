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


# --- Issue 13: the five divergences from SPEC found on random configs, each pinned exactly. ---


def config(
    timezone: str, policy: str, commitments: str, subscription: str = "{name: desk, notify: [desk]}"
) -> str:
    return (
        f"timezone: {timezone}\nchannels: {{desk: {{type: console}}}}\n"
        f"policies:\n  default: {policy}\ncommitments:\n{commitments}\nsubscriptions:\n  - {subscription}\n"
    )


def test_zone_rules_come_from_the_pinned_tzdata(tmp_path: Path) -> None:
    # Casablanca under the pinned tzdata is UTC+0 in January 2027 (this host's older zone files say
    # UTC+1). Due by end of 15 Jan = 16 Jan 00:00 local = 00:00Z; 1d before = 15 Jan 00:00Z.
    text = config(
        "Africa/Casablanca",
        "{remind_before: [1d], repeat_overdue_every: 0d}",
        "  - {id: c, title: C, due: 2027-01-15}",
    )
    assert replay_lines(tmp_path, text, "2027-01-01", "2027-01-31") == [
        line("2027-01-15T00:00:00Z", "reminder", "c", due="2027-01-16T00:00:00Z", before="1d"),
        line("2027-01-16T00:00:00Z", "overdue", "c", due="2027-01-16T00:00:00Z", repeat=0),
    ]


def test_grace_with_hours_then_repeats_on_the_wall_clock_of_repeat_0(tmp_path: Path) -> None:
    # Due 26 Mar 2016 22:00 GMT = 22:00Z. Reminders (default 30d, 7d, 1d) on the wall clock: 30d =
    # 25 Feb 22:00Z, before the start, caught up at the start; 7d = 19 Mar 22:00Z; 1d = 25 Mar
    # 22:00Z. Repeat 0 = due + 6h = 27 Mar 04:00Z (05:00 BST: clocks went forward at 01:00Z).
    # Repeat 1 and the escalation: seven wall-clock days after repeat 0 = 3 Apr 05:00 BST = 04:00Z.
    text = config(
        "Europe/London",
        "{grace: 6h, repeat_overdue_every: 7d, escalate_after: 7d}",
        '  - {id: c, title: C, due: "2016-03-26T22:00"}',
    )
    due = "2016-03-26T22:00:00Z"
    assert replay_lines(tmp_path, text, "2016-03-01", "2016-04-05") == [
        line("2016-03-01T00:00:00Z", "reminder", "c", due=due, before="30d"),
        line("2016-03-19T22:00:00Z", "reminder", "c", due=due, before="7d"),
        line("2016-03-25T22:00:00Z", "reminder", "c", due=due, before="1d"),
        line("2016-03-27T04:00:00Z", "overdue", "c", due=due, repeat=0),
        line("2016-04-03T04:00:00Z", "overdue", "c", due=due, repeat=1),
        line("2016-04-03T04:00:00Z", "escalation", "c", due=due),
    ]


def test_monthly_reviews_from_a_month_end_announced(tmp_path: Path) -> None:
    # announced 31 Jan 2016 + n months, clamped each time from announced: 29 Feb, 31 Mar, 30 Apr,
    # 31 May, 30 Jun (never 29 Mar, 29 Apr, ... counted from the clamped first review).
    text = config("UTC", "{review_every: 1mo}", "  - {id: c, title: C, due: asap, announced: 2016-01-31}")
    assert replay_lines(tmp_path, text, "2016-01-01", "2016-06-30") == [
        line(f"2016-{day}T00:00:00Z", "review", "c", n=n)
        for n, day in enumerate(["02-29", "03-31", "04-30", "05-31", "06-30"], start=1)
    ]


def test_instants_in_the_repeated_hour_of_a_fall_back(tmp_path: Path) -> None:
    # London fell back at 30 Oct 2016 01:00Z: 01:30Z is the second 01:30 (GMT). c is due at that
    # instant: 2h before is elapsed (29 Oct 23:30Z), 1d before is 29 Oct 01:30 BST = 00:30Z; repeat 1
    # is seven wall-clock days later, 6 Nov 01:30 GMT = 01:30Z. x is fulfilled at that instant, so
    # y (within 90h of it) is due at 01:30Z + 90h = 2 Nov 19:30Z; its reminders 1 Nov 19:30Z (1d)
    # and 2 Nov 17:30Z (2h); its repeat 1 (9 Nov) is after the range.
    text = config(
        "Europe/London",
        "{remind_before: [1d, 2h], repeat_overdue_every: 7d}",
        '  - {id: c, title: C, due: "2016-10-30T01:30Z"}\n'
        '  - {id: x, title: X, due: 2016-12-31, history: [{at: "2016-10-30T01:30Z", status: fulfilled}]}\n'
        "  - {id: y, title: Y, due: {after: x, within: 90h}}",
    )
    c_due, y_due = "2016-10-30T01:30:00Z", "2016-11-02T19:30:00Z"
    assert replay_lines(tmp_path, text, "2016-10-20", "2016-11-06") == [
        line("2016-10-29T00:30:00Z", "reminder", "c", due=c_due, before="1d"),
        line("2016-10-29T23:30:00Z", "reminder", "c", due=c_due, before="2h"),
        line("2016-10-30T01:30:00Z", "overdue", "c", due=c_due, repeat=0),
        line("2016-10-30T01:30:00Z", "status_changed", "x", previous="not_started", status="fulfilled"),
        line("2016-10-30T01:30:00Z", "deadline_changed", "y", before=None, after=y_due),
        line("2016-11-01T19:30:00Z", "reminder", "y", due=y_due, before="1d"),
        line("2016-11-02T17:30:00Z", "reminder", "y", due=y_due, before="2h"),
        line("2016-11-02T19:30:00Z", "overdue", "y", due=y_due, repeat=0),
        line("2016-11-06T01:30:00Z", "overdue", "c", due=c_due, repeat=1),
    ]


DIGEST_DESK = (
    '{name: desk, notify: [desk], events: [digest], quiet_hours: {start: "08:00", end: "12:00", timezone: UTC}, '
    'digest: {cron: "0 9 * * MON", timezone: UTC, horizon: 7d}}'
)


def digest(at: str, overdue: list[str], closing: list[str]) -> dict[str, object]:
    return {
        "at": at,
        "event": "digest",
        "subscription": "desk",
        "channels": ["desk"],
        "overdue": overdue,
        "closing": closing,
    }


def test_a_digest_held_by_quiet_hours_is_filled_at_release(tmp_path: Path) -> None:
    # Monday 4 Jan 2016 09:00Z falls in quiet hours 08:00-12:00: held until 12:00Z. c (due 10:00Z)
    # was closing at 09:00 but is overdue at 12:00, when the digest leaves.
    text = config("UTC", "{}", '  - {id: c, title: C, due: "2016-01-04T10:00"}', DIGEST_DESK)
    assert replay_lines(tmp_path, text, "2016-01-01", "2016-01-10") == [
        digest("2016-01-04T12:00:00Z", ["c"], []),
    ]


def test_a_held_digest_is_judged_empty_or_not_at_release(tmp_path: Path) -> None:
    # fulfilled at 11:00Z, before the 12:00Z release: nothing to list then, so no digest at all
    # (at 09:00 it was closing). late is announced at 10:00Z: not in the list at 09:00, in it at
    # 12:00 (due 8 Jan, inside the 7d horizon); on its own it makes a digest that 09:00 would not.
    fulfilled = config(
        "UTC",
        "{}",
        '  - {id: c, title: C, due: "2016-01-04T10:00", history: [{at: "2016-01-04T11:00", status: fulfilled}]}',
        DIGEST_DESK,
    )
    assert replay_lines(tmp_path, fulfilled, "2016-01-01", "2016-01-10") == []
    announced_late = config(
        "UTC", "{}", '  - {id: late, title: L, due: 2016-01-08, announced: "2016-01-04T10:00"}', DIGEST_DESK
    )
    assert replay_lines(tmp_path, announced_late, "2016-01-01", "2016-01-10") == [
        digest("2016-01-04T12:00:00Z", [], ["late"]),
    ]


def test_quiet_hours_and_digest_without_a_zone_use_the_top_level_timezone(tmp_path: Path) -> None:
    # Top-level zone Asia/Tokyo (UTC+9, no DST). The digest's cron is Monday 09:00 Tokyo = Sunday
    # 10 Jan 2016 00:00Z; quiet hours 08:00-12:00 Tokyo hold it until 12:00 Tokyo = 03:00Z. c (due
    # by end of 12 Jan Tokyo = 12 Jan 15:00Z) is within the 7d horizon then.
    text = config(
        "Asia/Tokyo",
        "{}",
        "  - {id: c, title: C, due: 2016-01-12}",
        '{name: desk, notify: [desk], events: [digest], quiet_hours: {start: "08:00", end: "12:00"}, '
        'digest: {cron: "0 9 * * MON", horizon: 7d}}',
    )
    assert replay_lines(tmp_path, text, "2016-01-05", "2016-01-11") == [
        digest("2016-01-11T03:00:00Z", [], ["c"])
    ]


def test_a_catch_up_reports_the_status_at_the_start(tmp_path: Path) -> None:
    # Due by end of 10 Jan 2016 (UTC) = 11 Jan 00:00Z; fulfilled 10 Jan 12:00, reopened 25 Jan.
    # Started 1 Feb: it is overdue now, so it gets its latest repeat (11 Jan + 3 × 7d = 1 Feb 00:00Z,
    # at the start) and its escalation (21 Jan, when it was terminal), both at the start.
    text = config(
        "UTC",
        "{remind_before: [1d], repeat_overdue_every: 7d, escalate_after: 10d}",
        "  - id: c\n    title: C\n    due: 2016-01-10\n"
        '    history: [{at: "2016-01-10T12:00", status: fulfilled}, {at: 2016-01-25, status: in_progress}]',
    )
    due = "2016-01-11T00:00:00Z"
    assert replay_lines(tmp_path, text, "2016-02-01", "2016-02-03") == [
        line("2016-02-01T00:00:00Z", "overdue", "c", due=due, repeat=3),
        line("2016-02-01T00:00:00Z", "escalation", "c", due=due),
    ]


def test_dues_at_the_ends_of_the_calendar_do_not_crash(tmp_path: Path) -> None:
    # Kiritimati is UTC+14: 9999-12-31T23:00 + 6h grace is a local time in year 10000, past the
    # calendar: no overdue, no escalation. 0001-01-01T00:00 (LMT, -10:29:20) has no reminders (they
    # fall before year 1) and is long overdue at the start: its latest repeat and its escalation.
    # Repeat 0 = 0001-01-01T16:29:20Z; the start is 735,963 days later, 16:29:20 short of day
    # 735,963: the latest repeat is floor(735,962.31 / 7) = 105,137.
    text = config(
        "Pacific/Kiritimati",
        "{grace: 6h, escalate_after: PT30H}",
        '  - {id: late, title: L, due: "9999-12-31T23:00"}\n  - {id: early, title: E, due: "0001-01-01T00:00"}',
    )
    due = "0001-01-01T10:29:20Z"
    assert replay_lines(tmp_path, text, "2016-01-01", "2016-01-02") == [
        line("2016-01-01T00:00:00Z", "overdue", "early", due=due, repeat=105137),
        line("2016-01-01T00:00:00Z", "escalation", "early", due=due),
    ]
