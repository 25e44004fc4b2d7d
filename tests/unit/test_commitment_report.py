"""The report of ``deadlinewatch show`` and the agenda, built from plain domain objects (no IO)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from deadlinewatch.domain.acks import Ack, Snooze
from deadlinewatch.domain.dueforms import parse_due, parse_local_datetime
from deadlinewatch.domain.model import (
    Agreement,
    Commitment,
    Digest,
    EventKind,
    PolicySpec,
    QuietHours,
    Status,
    StatusChange,
    Subscription,
)
from deadlinewatch.domain.planning import Situation
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.durations import parse_duration as d
from deadlinewatch.services.agenda import build_agenda
from deadlinewatch.services.commitment_report import PolicyLevel, build_commitment_report, written_due

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def watchlist(
    *commitments: Commitment,
    subscriptions: tuple[Subscription, ...] = (Subscription("desk", ("out",)),),
    policies: dict[str, PolicySpec] | None = None,
    agreement_policy: str | None = None,
) -> Watchlist:
    return Watchlist(
        timezone="UTC",
        policies=policies
        if policies is not None
        else {"default": PolicySpec(remind_before=(d("7d"), d("1d")), repeat_overdue_every=d("7d"))},
        agreements={
            "a": Agreement(
                "a",
                "Accord",
                parse_local_datetime("2026-01-01"),
                ("P",),
                timezone="Asia/Damascus",
                policy=agreement_policy,
            )
        },
        commitments={c.id: c for c in commitments},
        subscriptions=subscriptions,
    )


def commitment(cid: str, due: object, *history: StatusChange, policy: str | None = None) -> Commitment:
    return Commitment(cid, f"Commitment {cid}", parse_due(due), agreement="a", history=history, policy=policy)


def test_written_due_gives_back_every_form_as_written() -> None:
    for text in (
        "2016-08",
        "2016-08-31",
        "2016-W07",
        "late 2016-01",
        "2016-Q3",
        "2016",
        "asap",
        "2016-02-26T12:00",
    ):
        assert written_due(parse_due(text)) == text
    assert written_due(parse_due({"after": "x", "within": "18mo"})) == "{after: x, within: 18mo}"
    assert (
        written_due(parse_due({"earliest_of": ["2016-08", "2016-Q4"]})) == "{earliest_of: [2016-08, 2016-Q4]}"
    )


_YEARS = st.integers(1900, 2200)
_CALENDAR_TEXTS = st.one_of(
    st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2200, 12, 31).date()).map(str),
    st.tuples(_YEARS, st.integers(1, 52)).map(lambda t: f"{t[0]}-W{t[1]:02d}"),
    st.tuples(st.sampled_from(["early", "mid", "late"]), _YEARS, st.integers(1, 12)).map(
        lambda t: f"{t[0]} {t[1]}-{t[2]:02d}"
    ),
    st.tuples(_YEARS, st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    st.tuples(_YEARS, st.integers(1, 4)).map(lambda t: f"{t[0]}-Q{t[1]}"),
    _YEARS.map(str),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    ),
)


@given(_CALENDAR_TEXTS)
def test_written_due_reads_back_as_the_same_due(text: str) -> None:
    assert parse_due(written_due(parse_due(text))) == parse_due(text)


def test_a_month_deadline_is_read_in_the_commitments_zone_with_utc_beside() -> None:
    report = build_commitment_report(Situation(watchlist(commitment("c", "2026-04"))), "c", NOW)
    deadline = report.deadline
    assert (deadline.written, deadline.precision, deadline.form, deadline.zone) == (
        "2026-04",
        "month",
        "calendar",
        "Asia/Damascus",
    )
    assert deadline.opens is not None and deadline.due is not None
    # 1 April 00:00 in Damascus (UTC+3 all year since 2022) is 31 March 21:00Z.
    assert deadline.opens.utc == "2026-03-31T21:00:00Z"
    assert deadline.opens.local_iso == "2026-04-01T00:00:00+03:00"
    assert deadline.due.text().endswith("= 2026-04-30T21:00:00Z")
    assert deadline.known and not deadline.overdue and deadline.relative == "closes in 51 days"


def test_status_history_keeps_origin_notes_and_marks_entries_that_changed_nothing() -> None:
    history = (
        StatusChange(
            datetime(2026, 2, 1, tzinfo=UTC), Status.IN_PROGRESS, note="started", url="https://x.org"
        ),
        StatusChange(datetime(2026, 2, 5, tzinfo=UTC), Status.IN_PROGRESS, note="still"),
    )
    manual = StatusChange(
        datetime(2026, 3, 1, tzinfo=UTC), Status.FULFILLED, origin="manual", verified=True, recorded_at=NOW
    )
    situation = Situation(watchlist(commitment("c", "2026-04", *history)), status_changes={"c": [manual]})
    report = build_commitment_report(situation, "c", NOW)
    assert report.status == "fulfilled"
    assert [(e.previous, e.status, e.origin, e.effective) for e in report.history] == [
        ("not_started", "in_progress", "config", True),
        (None, "in_progress", "config", False),
        ("in_progress", "fulfilled", "manual", True),
    ]
    assert report.history[0].note == "started" and report.history[0].url == "https://x.org"
    assert report.history[2].verified and report.history[2].recorded_at is not None


def test_acks_and_snoozes_say_whether_they_are_in_force() -> None:
    situation = Situation(
        watchlist(commitment("c", "2026-01")),
        status_changes={"c": [StatusChange(NOW - timedelta(days=2), Status.IN_PROGRESS)]},
        acks=(
            Ack("c", NOW - timedelta(days=5), "seen"),
            Ack("c", NOW - timedelta(days=1), actor="ana"),
            Ack("c", NOW - timedelta(hours=20), until=NOW - timedelta(hours=2)),
        ),
        snoozes=(
            Snooze("c", NOW - timedelta(days=9), NOW - timedelta(days=8)),
            Snooze("c", NOW - timedelta(hours=1), NOW + timedelta(days=3), "travel"),
        ),
    )
    report = build_commitment_report(situation, "c", NOW)
    assert [(a.note, a.actor, a.active) for a in report.acks] == [
        ("seen", None, False),  # lifted by the status change two days ago
        (None, "ana", True),
        (None, None, False),  # withdrawn (unack) two hours ago
    ]
    assert report.acks[2].withdrawn is not None and report.acks[2].withdrawn.utc == "2026-03-10T10:00:00Z"
    assert [(s.note, s.active) for s in report.snoozes] == [(None, False), ("travel", True)]


def test_the_policy_of_each_subscription_names_the_level_it_came_from() -> None:
    policies = {
        "default": PolicySpec(grace=d("2d")),
        "urgent": PolicySpec(remind_before=(d("3d"),)),
        "slow": PolicySpec(repeat_overdue_every=d("30d")),
        "accord": PolicySpec(escalate_after=d("10d"), escalate_after_set=True),
    }
    subscriptions = (Subscription("own", ("out",), policy="urgent"), Subscription("plain", ("out",)))
    situation = Situation(
        watchlist(
            commitment("c", "2026-04", policy="slow"),
            commitment("e", "2026-04"),
            subscriptions=subscriptions,
            policies=policies,
            agreement_policy="accord",
        )
    )
    levels = {s.name: (s.policy, s.level) for s in build_commitment_report(situation, "c", NOW).subscriptions}
    assert levels == {"own": ("urgent", PolicyLevel.SUBSCRIPTION), "plain": ("slow", PolicyLevel.COMMITMENT)}
    plain_e = next(s for s in build_commitment_report(situation, "e", NOW).subscriptions if s.name == "plain")
    assert (plain_e.policy, plain_e.level) == ("accord", PolicyLevel.AGREEMENT)
    keys = {k.name: (k.value, k.source) for k in plain_e.keys}
    assert keys["escalate_after"] == ("10d", "policy accord")
    assert keys["grace"] == ("2d", "the config's default")
    assert keys["remind_before"] == ("30d, 7d, 1d", "built-in")
    none_set = Situation(watchlist(commitment("c", "2026-04"), policies={}))
    (only,) = build_commitment_report(none_set, "c", NOW).subscriptions
    assert only.level is PolicyLevel.BUILT_IN


def test_next_events_follow_the_subscriptions_policy_and_quiet_hours() -> None:
    # Due end of 20 March, Damascus (21:00Z on the 20th): the 7d reminder at 13 March 21:00Z is
    # 21:00 in London (GMT), before quiet hours; the 1d one at 19 March 21:00Z too. With quiet hours
    # from 20:00 both are held to 07:00 London.
    quiet = QuietHours(time(20, 0), time(7, 0), "Europe/London")
    situation = Situation(
        watchlist(
            commitment("c", "2026-03-20"),
            subscriptions=(Subscription("desk", ("out",), quiet_hours=quiet), Subscription("raw", ("out",))),
        )
    )
    report = build_commitment_report(situation, "c", NOW, next_count=2)
    by_name = {s.name: s for s in report.subscriptions}
    raw = [(e.event, e.send_at.utc, e.held_from) for e in by_name["raw"].next_events]
    assert raw == [
        (EventKind.REMINDER, "2026-03-13T21:00:00Z", None),
        (EventKind.REMINDER, "2026-03-19T21:00:00Z", None),
    ]
    held = by_name["desk"].next_events[0]
    assert held.send_at.utc == "2026-03-14T07:00:00Z" and held.send_at.zone == "Europe/London"
    assert held.held_from is not None and held.held_from.utc == "2026-03-13T21:00:00Z"


def test_a_relative_deadline_reports_its_anchor_and_whether_it_is_known() -> None:
    elections = commitment("elections", {"after": "constitution", "within": "18mo"})
    pending = build_commitment_report(
        Situation(watchlist(commitment("constitution", "2026-08"), elections)), "elections", NOW
    )
    anchor = pending.deadline.anchor
    assert anchor is not None and anchor.after == "constitution" and not anchor.known
    assert anchor.after_status == "not_started" and anchor.day0 is None
    assert pending.deadline.precision == "pending" and not pending.deadline.known
    assert pending.deadline.words == "pending: 18 months after Commitment constitution is fulfilled"
    assert all(not s.next_events for s in pending.subscriptions)

    fulfilled = StatusChange(datetime(2026, 3, 1, 9, tzinfo=UTC), Status.FULFILLED)
    known = build_commitment_report(
        Situation(watchlist(commitment("constitution", "2026-08", fulfilled), elections)), "elections", NOW
    )
    anchor = known.deadline.anchor
    assert anchor is not None and anchor.known and anchor.day0 is not None
    assert known.deadline.precision == "day"
    assert known.deadline.due is not None and known.deadline.due.utc == "2027-09-01T21:00:00Z"
    assert [v.known_from is not None for v in known.deadline.versions] == [True]


def test_a_derived_deadline_lists_its_members() -> None:
    c = commitment("c", {"earliest_of": ["2026-08", {"after": "x", "within": "30d"}]})
    report = build_commitment_report(Situation(watchlist(commitment("x", "2027"), c)), "c", NOW)
    anchor = report.deadline.anchor
    assert anchor is not None and anchor.known
    assert [(m.written, m.known) for m in anchor.members] == [
        ("2026-08", True),
        ("{after: x, within: 30d}", False),
    ]


def test_the_agenda_lists_what_leaves_in_order_with_holds_and_digests() -> None:
    quiet = QuietHours(time(20, 0), time(7, 0), "Europe/London")
    digest = Digest("0 8 * * MON", "America/New_York", d("30d"))
    subscriptions = (
        Subscription("desk", ("slack", "mail"), quiet_hours=quiet, digest=digest),
        Subscription("raw", ("out",)),
    )
    situation = Situation(watchlist(commitment("c", "2026-03-20"), subscriptions=subscriptions))
    agenda = build_agenda(situation, NOW, 7)
    lines = [(e.send_at.utc, e.subscription, e.event) for e in agenda.entries]
    assert lines == [
        ("2026-03-13T21:00:00Z", "raw", EventKind.REMINDER),
        ("2026-03-14T07:00:00Z", "desk", EventKind.REMINDER),
        ("2026-03-16T12:00:00Z", "desk", EventKind.DIGEST),
    ]
    assert agenda.entries[1].held_from is not None
    assert agenda.entries[2].send_at.zone == "Europe/London"  # quiet hours' zone wins over the digest's
    only_raw = build_agenda(situation, NOW, 7, subscription="raw")
    assert [e.subscription for e in only_raw.entries] == ["raw"]
    limited = build_agenda(situation, NOW, 7, limit=2)
    assert limited.entries == agenda.entries[:2] and limited.more
    assert not build_agenda(situation, NOW, 7, limit=3).more
