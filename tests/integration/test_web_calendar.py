"""``/calendar.ics`` and ``export-ics``, parsed back with ``icalendar``: all-day events for windows
of a day or coarser, transparent events, sequences that follow moved dues, per-deployment UIDs,
reminders as alarms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar, Event
from test_web_support import CONFIG, NOW, client_for, load_test_config, make_runtime

from deadlinewatch.config.loader import load_config
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.storage import Store
from deadlinewatch.web.calendar import (
    CalendarIdentity,
    calendar_identity,
    escape_text,
    record_versions,
    render_ics,
)
from deadlinewatch.web.runtime import StaticRuntime


@pytest.fixture
def runtime(store: Store, tmp_path: Path) -> StaticRuntime:
    return make_runtime(store, tmp_path)


@pytest.fixture
def client(runtime: StaticRuntime) -> TestClient:
    return client_for(runtime)


def _events(text: str) -> dict[str, Event]:
    calendar = Calendar.from_ical(text)
    return {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def test_the_calendar_parses_and_coarse_windows_are_all_day(client: TestClient, store: Store) -> None:
    deployment = store.ensure_deployment_id()
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = response.text
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    calendar = Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in raw and "X-PUBLISHED-TTL:PT1H" in raw
    events = _events(raw)
    # open (asap) and pending (relative to an unfulfilled commitment) deadlines have no window
    assert sorted(events) == ["syria-draft-constitution", "syria-transition-framework", "weapons-withdrawal"]
    for cid, event in events.items():
        assert str(event["UID"]) == f"{cid}@{deployment}.deadlinewatch"
        assert str(event["TRANSP"]) == "TRANSPARENT"
        assert int(event["SEQUENCE"]) == 0
    draft = events["syria-draft-constitution"]
    # "August 2016, Damascus time": the whole month as dates, not 21:00Z bars
    assert draft["DTSTART"].dt == date(2016, 8, 1) and not isinstance(draft["DTSTART"].dt, datetime)
    assert draft["DTEND"].dt == date(2016, 9, 1)
    assert draft["DTSTART"].params["VALUE"] == "DATE"
    assert str(draft["SUMMARY"]) == "Draft <script>alert(1)</script> <!channel> & co; a, b\\c\nline two"
    assert "by end of August 2016, Damascus time" in str(draft["DESCRIPTION"])
    assert draft["DTSTAMP"].dt == NOW
    alarms = draft.walk("VALARM")
    assert [a["TRIGGER"].dt for a in alarms] == [timedelta(days=-30), timedelta(days=-7), timedelta(days=-1)]
    assert all(a["TRIGGER"].params["RELATED"] == "END" for a in alarms)
    # 14 days after announced 2016-09-01 (UTC): the day 15 September
    weapons = events["weapons-withdrawal"]
    assert (weapons["DTSTART"].dt, weapons["DTEND"].dt) == (date(2016, 9, 15), date(2016, 9, 16))


def test_a_moved_due_bumps_the_sequence(store: Store, tmp_path: Path) -> None:
    planner = Planner(Situation(load_test_config(tmp_path).watchlist))
    assert record_versions(store, planner, NOW) == 0
    moved_config = tmp_path / "moved"
    moved_config.mkdir()
    (moved_config / "c.yaml").write_text(
        CONFIG.replace(
            "due: 2016-08\n    tags: [syria, constitution]", "due: 2016-10\n    tags: [syria, constitution]"
        ),
        encoding="utf-8",
    )
    loaded = load_config(moved_config, {}).config
    assert loaded is not None
    moved = Planner(Situation(loaded.watchlist))
    # not recorded yet: the calendar already shows the move
    events = _events(render_ics(moved, NOW, calendar_identity(store)))
    assert int(events["syria-draft-constitution"]["SEQUENCE"]) == 1
    assert int(events["syria-transition-framework"]["SEQUENCE"]) == 0
    assert record_versions(store, moved, NOW) == 1
    events = _events(render_ics(moved, NOW, calendar_identity(store)))
    assert int(events["syria-draft-constitution"]["SEQUENCE"]) == 1
    assert events["syria-draft-constitution"]["DTSTART"].dt == date(2016, 10, 1)
    # moved back: the sequence keeps growing
    assert record_versions(store, planner, NOW) == 1
    assert (
        int(
            _events(render_ics(planner, NOW, calendar_identity(store)))["syria-draft-constitution"][
                "SEQUENCE"
            ]
        )
        == 2
    )


def test_alarms_and_instants_across_a_dst_change(tmp_path: Path) -> None:
    folder = tmp_path / "dst"
    folder.mkdir()
    (folder / "c.yaml").write_text(
        "timezone: Europe/London\n"
        "policies:\n  default: {remind_before: [1mo, 7d, 12h]}\n"
        "commitments:\n"
        "  - {id: ceasefire, title: Ceasefire, due: 2016-10-31}\n"  # DST ends 30 Oct 2016
        "  - {id: talks, title: Talks, due: '2016-10-15T09:00Z'}\n"
        "  - {id: summit, title: Summit, due: 2016-W44}\n",
        encoding="utf-8",
    )
    config = load_config(folder, {}).config
    assert config is not None
    events = _events(
        render_ics(
            Planner(Situation(config.watchlist)), datetime(2016, 9, 1, tzinfo=UTC), CalendarIdentity("d1")
        )
    )
    ceasefire = events["ceasefire"]
    assert (ceasefire["DTSTART"].dt, ceasefire["DTEND"].dt) == (date(2016, 10, 31), date(2016, 11, 1))
    triggers = [a["TRIGGER"].dt for a in ceasefire.walk("VALARM")]
    # a month has no iCalendar duration: the absolute instant; days on an all-day event: relative;
    # 12 h before local midnight across no DST change but on a date event: the absolute instant
    assert triggers == [
        datetime(2016, 9, 30, 23, 0, tzinfo=UTC),
        timedelta(days=-7),
        datetime(2016, 10, 31, 12, 0, tzinfo=UTC),
    ]
    talks = events["talks"]
    assert talks["DTSTART"].dt == datetime(2016, 10, 15, 9, 0, tzinfo=UTC)
    assert "DTEND" not in talks  # an instant: zero length
    assert [a["TRIGGER"].dt for a in talks.walk("VALARM")][1:] == [timedelta(days=-7), timedelta(hours=-12)]
    summit = events["summit"]  # ISO week 44: Monday 31 October to Monday 7 November
    assert (summit["DTSTART"].dt, summit["DTEND"].dt) == (date(2016, 10, 31), date(2016, 11, 7))


def test_escape_text_and_repeatable_output(tmp_path: Path) -> None:
    assert escape_text("a\\b;c,d\r\ne\nf\rg\x07h\ti") == "a\\\\b\\;c\\,d\\ne\\nf\\ngh i"
    planner = Planner(Situation(load_test_config(tmp_path).watchlist))
    assert render_ics(planner, NOW) == render_ics(planner, NOW)
    assert "\x07" not in render_ics(planner, NOW)
