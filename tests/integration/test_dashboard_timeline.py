"""The dashboard's timeline range and zoom controls, open-ended commitments' next review, and the
"Next 7 days" panel, over a real store with a fixed clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deadlinewatch.config.loader import load_config
from deadlinewatch.storage import Store
from deadlinewatch.web.app import create_app
from deadlinewatch.web.runtime import StaticRuntime

NOW = datetime(2016, 9, 10, 12, 0, tzinfo=UTC)

CONFIG = """\
timezone: UTC
channels:
  console: {type: console}
policies:
  default: {remind_before: [1d]}
agreements:
  - id: accord
    title: Accord
    announced: 2016-09-01
    timezone: Europe/London
commitments:
  - {id: old, agreement: accord, title: Old promise, due: 2013-08, announced: 2013-01-01}
  - {id: soon, agreement: accord, title: Ceasefire, due: "2016-09-13T23:30"}
  - {id: talks, agreement: accord, title: Talks begin, due: asap}
  - {id: far, agreement: accord, title: Far target, due: 2030}
subscriptions:
  - name: desk
    notify: [console]
    quiet_hours: {start: "22:00", end: "07:00", timezone: Europe/London}
"""


@pytest.fixture
def client(store: Store, tmp_path: Path) -> TestClient:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "deadlinewatch.yaml").write_text(CONFIG, encoding="utf-8")
    result = load_config(folder, {})
    assert result.config is not None, result.errors
    app = create_app(StaticRuntime(store=store, loaded_config=result.config, clock=lambda: NOW))
    return TestClient(app, base_url="http://localhost")  # a host the app serves by default


def _row(page: str, commitment_id: str) -> str:
    match = re.search(rf'<g class="row" data-id="{commitment_id}">(.*?)</g>', page, re.S)
    assert match is not None, commitment_id
    return match.group(1)


def test_the_timeline_opens_around_today_with_far_windows_marked_at_the_edges(client: TestClient) -> None:
    page = client.get("/").text
    assert "Timeline: 12 Jun 2016 – 10 Sep 2017" in page  # 90 days back, 365 ahead
    assert 'class="bar status-not_started' in _row(page, "soon")
    assert "◀ Aug 2013" in _row(page, "old") and "<rect" not in _row(page, "old")
    assert "Jan 2031 ▶" in _row(page, "far")  # the year 2030 is due at its end
    assert '<line class="today"' in page
    for label in ("zoom in", "zoom out", "◀ earlier", "later ▶", "around today", "show all"):
        assert f">{label}</a>" in page
    assert 'href="?range=all"' in page
    zoom_in = re.search(r'href="\?from=([0-9-]+)&amp;to=([0-9-]+)" title="half the span', page)
    assert zoom_in is not None


def test_show_all_spans_every_window_and_a_chosen_range_is_kept(client: TestClient) -> None:
    everything = client.get("/?range=all").text
    for commitment_id in ("old", "soon", "far"):
        assert "<rect" in _row(everything, commitment_id)
    august = client.get("/?from=2013-07-01&to=2013-09-30").text
    assert "Timeline: 01 Jul 2013 – 01 Oct 2013" in august
    assert "<rect" in _row(august, "old") and "Sep 2016 ▶" in _row(august, "soon")
    assert '<line class="today"' not in august  # today is outside the range
    bad = client.get("/?from=2016-13-01").text
    assert "ignored from=2016-13-01" in bad and "Timeline: 12 Jun 2016 – 10 Sep 2017" in bad


def test_open_ended_commitments_show_their_next_review(client: TestClient) -> None:
    talks = _row(client.get("/").text, "talks")
    # announced 1 Sep 2016, review every 14 days (built-in for asap): next on 15 Sep.
    assert "as soon as possible — next review 15 Sep 2016 (London time)" in talks
    assert 'class="review"' in talks


def test_next_seven_days_lists_a_quiet_hour_hold(client: TestClient) -> None:
    page = client.get("/").text
    panel = page.split('<h2 id="agenda">Next 7 days</h2>', 1)[1].split("<h2>", 1)[0]
    # The 1d reminder of the 23:30 deadline falls at 23:30 London on the 12th: held to 07:00.
    assert "2016-09-13 07:00 BST (Europe/London)" in panel
    assert "quiet hours: due 2016-09-12 23:30 BST (Europe/London)" in panel
    assert "2016-09-13T06:00:00Z" in panel
    assert panel.index("1d before the due") < panel.index("overdue since 2016-09-13T22:30:00Z")
    assert "review #1" in panel and "repeat 158" in panel  # the weekly repeat of the 2013 deadline


def test_a_long_list_shows_the_most_urgent_and_the_filter_searches_every_commitment(
    store: Store, tmp_path: Path, client: TestClient
) -> None:
    from deadlinewatch.web.dashboard import render_dashboard, select_commitments

    folder = tmp_path / "config"
    result = load_config(folder, {})
    assert result.config is not None
    planner = StaticRuntime(store=store, loaded_config=result.config, clock=lambda: NOW).planner()
    assert planner is not None

    capped = select_commitments(planner, NOW, {}, limit=2)
    # overdue first (old), then the nearest due that is still open (soon); far and talks left out
    assert [s.id for s in capped.states] == ["old", "soon"]
    assert (capped.total, capped.matching, capped.overdue, capped.capped) == (4, 4, 1, True)
    page, _ = render_dashboard(planner, NOW, "n", limit=2)
    assert "Showing the 2 most urgent of 4 commitments" in page
    assert 'data-id="far"' not in page and 'data-id="old"' in page

    found = select_commitments(planner, NOW, {"q": "  TARGET  accord "}, limit=2)
    assert [s.id for s in found.states] == ["far"] and not found.capped  # words, any case, all of them
    assert [s.id for s in select_commitments(planner, NOW, {"overdue": "1"}).states] == ["old"]
    assert select_commitments(planner, NOW, {"status": "<script>"}).status == ""  # unknown: ignored

    # Through the page: the filter is a form that searches on the server, and keeps the range.
    response = client.get("/", params={"q": "ceasefire", "from": "2016-01-01", "to": "2017-01-01"})
    assert response.status_code == 200
    text = response.text
    assert 'data-id="soon"' in text and 'data-id="old"' not in text
    assert 'name="q" type="search" value="ceasefire"' in text
    assert '<input type="hidden" name="from" value="2016-01-01">' in text
    hostile = client.get("/", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in hostile and "&#34;&gt;&lt;script&gt;" in hostile
