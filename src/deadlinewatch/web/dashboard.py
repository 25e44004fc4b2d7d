"""``GET /``: a self-contained page — a timeline of commitments by agreement (window bars on a
date axis as inline SVG, a today line, status colours, overdue flags) and a filterable table.

Every string from the config or a source goes through Jinja2 autoescaping; the page loads nothing
from elsewhere. Its Content-Security-Policy allows only the page's own ``<style>`` and ``<script>``
elements, by a fresh nonce per response: no ``'unsafe-inline'`` is needed because the bars are
placed with SVG attributes, not ``style=`` attributes, and the script binds its handlers itself.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Status
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.windows import Window
from deadlinewatch.services.report import CommitmentState
from deadlinewatch.web.readmodel import CommitmentStates

__all__ = ["content_security_policy", "render_dashboard"]

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


@dataclass(frozen=True)
class Group:
    title: str
    y: float
    rows: tuple[Row, ...]


class _Axis:
    def __init__(self, lo: datetime, hi: datetime) -> None:
        pad = max((hi - lo) * 0.03, timedelta(days=2))
        self.lo, self.hi = lo - pad, hi + pad

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


def _layout(
    planner: Planner, states: list[CommitmentState], row_windows: Sequence[Window | None], now: datetime
) -> tuple[list[Group], _Axis, int]:
    known = list(zip(states, row_windows, strict=True))
    instants = [now] + [i for _, w in known if w is not None for i in (w.opens, w.closes)]
    axis = _Axis(min(instants), max(instants))
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
            window = windows[state.id]
            tip = " — ".join(p for p in (state.title, state.deadline, state.status, state.relative) if p)
            if window is None:
                rows.append(Row(state, y, tooltip=tip))
            else:
                left, right = axis.x(window.opens), axis.x(window.closes)
                rows.append(Row(state, y, left, max(round(right - left, 1), 3.0), axis.x(window.due), tip))
            y += ROW_HEIGHT
        groups.append(Group(title, group_y, tuple(rows)))
    return groups, axis, y + 8


def render_dashboard(
    model: CommitmentStates | None, now: datetime, nonce: str | None = None
) -> tuple[str, str]:
    """The page and its nonce (for the Content-Security-Policy header), from the read model
    (advanced to ``now`` by the caller); ``None``: no config loaded yet."""
    nonce = nonce or secrets.token_urlsafe(18)
    template = _ENV.get_template("dashboard.html")
    if model is None:
        return template.render(nonce=nonce, loaded=False, now=format_utc(now)), nonce
    planner = model.planner
    rows = model.rows()
    states = [model.state(row, now) for row in rows]
    groups, axis, height = _layout(planner, states, [row.window for row in rows], now)
    agreements = planner.watchlist.agreements
    page = template.render(
        nonce=nonce,
        loaded=True,
        now=format_utc(now),
        groups=groups,
        ticks=axis.ticks(),
        today_x=axis.x(now),
        width=WIDTH,
        height=height,
        label_width=LABEL_WIDTH,
        plot_left=PLOT_LEFT,
        plot_right=PLOT_RIGHT,
        axis_height=AXIS_HEIGHT,
        states=states,
        agreement_titles={k: a.title for k, a in agreements.items()},
        statuses=[s.value for s in Status],
        overdue_count=model.overdue_count,
    )
    return page, nonce
