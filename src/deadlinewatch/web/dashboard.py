"""``GET /``: a self-contained page — a timeline of commitments by agreement (window bars on a
date axis as inline SVG, a today line, status colours, overdue flags, the next review of
open-ended commitments), what will be sent in the next 7 days, and a filterable table.

The timeline opens on the past 90 days to the next 365; ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` picks
another range (links on the page zoom and move it) and ``?range=all`` spans every window.

The page shows at most ``DASHBOARD_ROWS`` commitments (a page of 100,000 rows would be 80 MB that
no browser shows usefully, and rendering it would take the service's time for half a minute):
``?q=`` (words in the id, title, tags or agreement), ``?status=`` and ``?overdue=1`` narrow the
list on the server; when more match, the most urgent are shown (overdue first, then the nearest
due) and the page says how many were left out. The table's live filter works on what is shown.

Every string from the config or a source goes through Jinja2 autoescaping; the page loads nothing
from elsewhere. Its Content-Security-Policy allows only the page's own ``<style>`` and ``<script>``
elements, by a fresh nonce per response: no ``'unsafe-inline'`` is needed because the bars are
placed with SVG attributes, not ``style=`` attributes, and the script binds its handlers itself.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader

from deadlinewatch.domain.localtime import format_utc, to_local
from deadlinewatch.domain.model import Status
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import zone_words
from deadlinewatch.services.agenda import Agenda, build_agenda
from deadlinewatch.services.deadline_report import next_review
from deadlinewatch.services.report import CommitmentState
from deadlinewatch.web import readmodel

__all__ = [
    "DASHBOARD_ROWS",
    "Selection",
    "TimelineView",
    "content_security_policy",
    "render_dashboard",
    "select_commitments",
    "timeline_view",
]

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

WIDTH = 1200
LABEL_WIDTH = 340
PLOT_LEFT = 350
PLOT_RIGHT = 1185
AXIS_HEIGHT = 34
ROW_HEIGHT = 22
GROUP_HEIGHT = 28
PAST = timedelta(days=90)  # the timeline's default range around today
AHEAD = timedelta(days=365)
MIN_SPAN = timedelta(days=14)
AGENDA_DAYS = 7
AGENDA_ROWS = 50
DASHBOARD_ROWS = 1000  # commitments shown at most (the most urgent of those matching the filter)
_FILTER_TEXT_LIMIT = 200


@dataclass(frozen=True)
class Selection:
    """What the commitment filter (``q``, ``status``, ``overdue``) chose."""

    states: list[CommitmentState]  # shown: in config order, or the most urgent when capped
    total: int  # every commitment
    overdue: int  # every overdue commitment
    matching: int  # those the filter matches (``len(states)`` unless capped)
    query: str
    status: str
    overdue_only: bool

    @property
    def capped(self) -> bool:
        return self.matching > len(self.states)


def select_commitments(
    planner: Planner, now: datetime, params: Mapping[str, str], limit: int = DASHBOARD_ROWS
) -> Selection:
    """The commitments the page shows, from the read model (nothing is recomputed per render)."""
    model = readmodel.states_of(planner, now)
    query = (params.get("q") or "").strip()[:_FILTER_TEXT_LIMIT]
    words = query.lower().split()
    status = params.get("status") or ""
    if status not in {s.value for s in Status}:
        status = ""
    overdue_only = params.get("overdue") in ("1", "true", "on")
    agreements = planner.watchlist.agreements
    rows = model.rows()
    matching: list[readmodel.Row] = []
    overdue = 0
    for row in rows:
        overdue += row.overdue
        if (status and row.status.value != status) or (overdue_only and not row.overdue):
            continue
        if words:
            commitment = row.commitment
            agreement = agreements.get(commitment.agreement or "")
            haystack = " ".join(
                (
                    commitment.id,
                    commitment.title,
                    *planner.watchlist.tags_of(commitment),
                    commitment.agreement or "",
                    agreement.title if agreement is not None else "",
                )
            ).lower()
            if not all(word in haystack for word in words):
                continue
        matching.append(row)
    shown = matching
    if len(matching) > limit:
        far = datetime.max.replace(tzinfo=UTC)

        def urgency(row: readmodel.Row) -> tuple[bool, bool, datetime, int]:
            # overdue first (the longest overdue first), then open ones by nearest due, then the rest
            due = row.window.due if row.window is not None else far
            closed = row.status.is_terminal or row.window is None
            return (not row.overdue, closed, due if row.overdue or due >= now else far, row.position)

        shown = sorted(sorted(matching, key=urgency)[:limit], key=lambda r: r.position)
    return Selection(
        states=[model.state(row, now) for row in shown],
        total=len(rows),
        overdue=overdue,
        matching=len(matching),
        query=query,
        status=status,
        overdue_only=overdue_only,
    )


def content_security_policy(nonce: str) -> str:
    return (
        "default-src 'none'; "
        f"style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Row:
    state: CommitmentState
    y: float
    bar_x: float | None = None
    bar_width: float = 0.0
    due_x: float | None = None
    tooltip: str = ""
    note: str = ""  # text in place of a bar (open-ended, pending)
    off_left: str = ""  # the window lies before the range: "◀ Aug 2016"
    off_right: str = ""  # after it
    review_x: float | None = None  # an open-ended commitment's next review, when in range


@dataclass(frozen=True)
class TimelineView:
    """The span the timeline shows; ``everything`` spans every window (and today)."""

    lo: datetime
    hi: datetime
    everything: bool = False


@dataclass(frozen=True)
class Control:
    label: str
    href: str
    title: str


@dataclass(frozen=True)
class Group:
    title: str
    y: float
    rows: tuple[Row, ...]


class _Axis:
    def __init__(self, lo: datetime, hi: datetime, *, pad: bool = True) -> None:
        margin = max((hi - lo) * 0.03, timedelta(days=2)) if pad else timedelta(0)
        self.lo, self.hi = lo - margin, hi + margin

    def inside(self, instant: datetime) -> bool:
        return self.lo <= instant <= self.hi

    def clamp(self, instant: datetime) -> float:
        return self.x(min(max(instant, self.lo), self.hi))

    def x(self, instant: datetime) -> float:
        share = (instant - self.lo) / (self.hi - self.lo)
        return round(PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT), 1)

    def ticks(self) -> list[Tick]:
        days = (self.hi - self.lo).days
        if days <= 60:
            step = max(1, math.ceil(days / 10))
            start = self.lo.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            instants = [start + timedelta(days=i) for i in range(0, days + 1, step)]
            return [Tick(self.x(t), t.strftime("%d %b")) for t in instants if t <= self.hi]
        months = days // 30 + 1
        step = next(s for s in (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200) if months / s <= 12)
        index = self.lo.year * 12 + self.lo.month  # the month after lo's
        index += (-index) % step
        ticks: list[Tick] = []
        while True:
            year, month0 = divmod(index, 12)
            if year > 9999:
                break
            instant = datetime(year, month0 + 1, 1, tzinfo=UTC)
            if instant > self.hi:
                break
            label = str(year) if step >= 12 else instant.strftime("%b %Y")
            ticks.append(Tick(self.x(instant), label))
            index += step
        return ticks


def timeline_view(params: Mapping[str, str], now: datetime) -> tuple[TimelineView, str | None]:
    """The range asked for by ``?from=&to=`` or ``?range=all`` (default: the past 90 days to the
    next 365), and a note when a parameter could not be used (the default is shown then)."""
    default = TimelineView(now - PAST, now + AHEAD)
    if params.get("range") == "all":
        return TimelineView(now, now, everything=True), None
    start, end = params.get("from"), params.get("to")
    if not start and not end:
        return default, None
    try:
        lo = _day(start) if start else None
        hi = _day(end) + timedelta(days=1) if end else None
    except ValueError:
        return default, f"from={start or ''}&to={end or ''}: expected dates such as 2026-01-31"
    lo = lo or (hi - PAST - AHEAD if hi else now - PAST)
    hi = hi or lo + PAST + AHEAD
    if hi - lo < MIN_SPAN:
        return default, f"from={start or ''}&to={end or ''}: the range must span at least 14 days"
    return TimelineView(lo, hi), None


def _day(text: str) -> datetime:
    day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    if not 1900 <= day.year <= 9000:
        raise ValueError(text)
    return day


def _range_href(lo: datetime, hi: datetime) -> str:
    last_day = hi - timedelta(days=1)
    return "?" + urlencode({"from": f"{lo:%Y-%m-%d}", "to": f"{last_day:%Y-%m-%d}"})


def _controls(view: TimelineView, axis: _Axis) -> list[Control]:
    lo, hi = (axis.lo, axis.hi) if view.everything else (view.lo, view.hi)
    lo = lo.replace(hour=0, minute=0, second=0, microsecond=0)
    span = hi - lo
    middle = lo + span / 2
    narrow = max(span / 4, MIN_SPAN / 2)
    shift = span / 2
    return [
        Control("zoom in", _range_href(middle - narrow, middle + narrow), "half the span, same middle"),
        Control("zoom out", _range_href(middle - span, middle + span), "twice the span, same middle"),
        Control("◀ earlier", _range_href(lo - shift, hi - shift), "move back by half the span"),
        Control("later ▶", _range_href(lo + shift, hi + shift), "move forward by half the span"),
        Control("around today", "?", "the past 90 days to the next 365"),
        Control("show all", "?range=all", "every deadline window"),
    ]


def _month_label(instant: datetime) -> str:
    return instant.strftime("%b %Y")


def _layout(
    planner: Planner, states: list[CommitmentState], now: datetime, view: TimelineView
) -> tuple[list[Group], _Axis, int]:
    known = [(s, planner.deadlines[s.id].window_at(now)) for s in states]
    reviews = {s.id: next_review(planner, s.id, now) for s in states}
    if view.everything:
        instants = [now] + [i for _, w in known if w is not None for i in (w.opens, w.closes)]
        instants += [r for r in reviews.values() if r is not None]
        axis = _Axis(min(instants), max(instants))
    else:
        axis = _Axis(view.lo, view.hi, pad=False)
    watchlist = planner.watchlist
    by_agreement: dict[str | None, list[CommitmentState]] = {}
    for state in states:
        key = state.agreement if state.agreement in watchlist.agreements else None
        by_agreement.setdefault(key, []).append(state)
    order: list[str | None] = [a for a in watchlist.agreements if a in by_agreement]
    if None in by_agreement:
        order.append(None)
    windows = dict((s.id, w) for s, w in known)
    groups: list[Group] = []
    y = AXIS_HEIGHT
    for key in order:
        title = watchlist.agreements[key].title if key is not None else "Commitments without an agreement"
        group_y = y
        y += GROUP_HEIGHT
        rows: list[Row] = []
        for state in by_agreement[key]:
            rows.append(_row(state, windows[state.id], reviews[state.id], planner, axis, y))
            y += ROW_HEIGHT
        groups.append(Group(title, group_y, tuple(rows)))
    return groups, axis, y + 8


def _row(
    state: CommitmentState,
    window: Window | None,
    review: datetime | None,
    planner: Planner,
    axis: _Axis,
    y: float,
) -> Row:
    tip = " — ".join(p for p in (state.title, state.deadline, state.status, state.relative) if p)
    if window is None:
        note = state.deadline
        review_x = None
        if review is not None:
            zone = planner.deadlines[state.id].zone
            local = to_local(review, zone)
            note += f" — next review {local:%d %b %Y} ({zone_words(zone)})"
            tip += f" — next review {format_utc(review)}"
            review_x = axis.x(review) if axis.inside(review) else None
        return Row(state, y, tooltip=tip, note=note, review_x=review_x)
    if window.closes < axis.lo and window.opens < axis.lo:
        return Row(state, y, tooltip=tip, off_left=f"◀ {_month_label(window.due)}")
    if window.opens > axis.hi:
        return Row(state, y, tooltip=tip, off_right=f"{_month_label(window.due)} ▶")
    left, right = axis.clamp(window.opens), axis.clamp(window.closes)
    due_x = axis.x(window.due) if axis.inside(window.due) else None
    return Row(state, y, left, max(round(right - left, 1), 3.0), due_x, tip)


def render_dashboard(
    planner: Planner | None,
    now: datetime,
    nonce: str | None = None,
    *,
    params: Mapping[str, str] | None = None,
    waiting: Sequence[Notice] = (),
    limit: int = DASHBOARD_ROWS,
) -> tuple[str, str]:
    """The page and its nonce (for the Content-Security-Policy header). ``params`` are the query
    parameters (the timeline's range and the commitment filter); ``waiting`` the notices recorded
    but not sent yet (for the "Next 7 days" panel); ``limit`` the most commitments shown."""
    nonce = nonce or secrets.token_urlsafe(18)
    template = _ENV.get_template("dashboard.html")
    if planner is None:
        return template.render(nonce=nonce, loaded=False, now=format_utc(now)), nonce
    view, view_problem = timeline_view(params or {}, now)
    selection = select_commitments(planner, now, params or {}, limit)
    states = selection.states
    groups, axis, height = _layout(planner, states, now, view)
    agreements = planner.watchlist.agreements
    agenda: Agenda = build_agenda(planner.situation, now, AGENDA_DAYS, waiting=waiting, limit=AGENDA_ROWS)
    page = template.render(
        nonce=nonce,
        loaded=True,
        now=format_utc(now),
        groups=groups,
        ticks=axis.ticks(),
        today_x=axis.x(now) if axis.inside(now) else None,
        width=WIDTH,
        height=height,
        label_width=LABEL_WIDTH,
        plot_left=PLOT_LEFT,
        plot_right=PLOT_RIGHT,
        axis_height=AXIS_HEIGHT,
        range_text=f"{axis.lo:%d %b %Y} – {axis.hi:%d %b %Y}",
        range_all=view.everything,
        range_problem=view_problem,
        controls=_controls(view, axis),
        agenda=agenda,
        agenda_days=AGENDA_DAYS,
        states=states,
        selection=selection,
        keep_view={k: v for k, v in (params or {}).items() if k in ("from", "to", "range")},
        agreement_titles={k: a.title for k, a in agreements.items()},
        statuses=[s.value for s in Status],
        overdue_count=selection.overdue,
    )
    return page, nonce
