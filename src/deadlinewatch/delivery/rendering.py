"""Pure rendering of an :class:`Outgoing` for people: a console line and a Slack message.

Every string that comes from config or a source is untrusted. For Slack it is flattened to one
line and escaped for mrkdwn (``&``, ``<``, ``>`` only), so ``<!channel>``, ``<@U123>`` or
``<https://evil.example|click>`` arrive as inert text; the only ``<…>`` in a rendered message are
links built here from ``http``/``https`` URLs. Every text is cut to Slack's limits (50 blocks, 3,000
characters per text object, 150 per header) with a visible marker, never failing on length and
never cutting an escape in half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from deadlinewatch.delivery.base import DigestEntry, Link, Outgoing
from deadlinewatch.domain.events import (
    DeadlineChanged,
    Digest,
    Escalation,
    Evidence,
    Overdue,
    Reminder,
    Review,
    StatusChanged,
    WindowOpen,
)
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.wording import duration_words
from deadlinewatch.durations import parse_duration

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK = 3000
MAX_LINK_LABEL = 200
MAX_URL = 2000
ACTION_ACK = "deadlinewatch.ack"
ACTION_SNOOZE_7D = "deadlinewatch.snooze_7d"
ACTION_FULFILLED = "deadlinewatch.fulfilled"
ACTION_UNACK = "deadlinewatch.unack"
ACTION_UNSNOOZE = "deadlinewatch.unsnooze"
ACTIONS_BLOCK_ID = "deadlinewatch.actions"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_OPERATIONAL_LABELS = {
    EventKind.SOURCE_FAILING: "Source failing",
    EventKind.SOURCE_RECOVERED: "Source recovered",
    EventKind.CHANNEL_FAILING: "Channel failing",
    EventKind.CONFIG_ERROR: "Config error",
}


def mrkdwn_escape(text: str) -> str:
    """Escape Slack's three control characters; nothing else (Slack wants exactly these)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: object) -> str:
    """``text`` as one line: control characters (newlines, tabs, ANSI escapes) become a space."""
    return _CONTROL.sub(" ", str(text)).strip()


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute ``http``/``https`` URL with a host and no whitespace or control
    characters (and not absurdly long), else ``None``."""
    if len(url) > MAX_URL or _CONTROL.search(url) or any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def safe_links(links: tuple[Link, ...]) -> list[Link]:
    """The links worth rendering: safe URLs, labels on one line (the URL when there is none)."""
    kept: list[Link] = []
    for link in links:
        url = safe_url(link.url)
        if url is not None:
            label = one_line(link.label)[:MAX_LINK_LABEL] or url[:MAX_LINK_LABEL]
            kept.append(Link(url, label))
    return kept


def slack_link(link: Link) -> str:
    """``<url|label>`` for a link from :func:`safe_links`: ``|`` and angle brackets in the URL are
    percent-encoded, then ``&`` escaped; the label is mrkdwn-escaped."""
    url = link.url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{mrkdwn_escape(url)}|{mrkdwn_escape(link.label)}>"


def fit(text: str, limit: int, marker: str = "…") -> str:
    """``text`` (already escaped) cut to ``limit`` characters ending in ``marker``, without leaving a
    half escape (``&am``) behind."""
    if len(text) <= limit:
        return text
    if len(marker) >= limit:
        marker = "…"
    cut = text[: limit - len(marker)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + marker


def truncation_marker(message: Outgoing) -> str:
    """``… (truncated, see deadlinewatch show ID)`` (mrkdwn-escaped), or ``… (truncated)``."""
    if message.commitment is None:
        return "… (truncated)"
    return f"… (truncated, see deadlinewatch show {mrkdwn_escape(one_line(message.commitment.id)[:100])})"


def _reminder_words(before: str) -> str:
    try:
        return f"{duration_words(parse_duration(before))} left"
    except (TypeError, ValueError, OverflowError):
        return f"{one_line(before)} before the deadline"


LATE_AFTER = timedelta(minutes=2)


def late(message: Outgoing) -> bool:
    """Whether the message leaves well after its occurrence (caught up after downtime or at a
    first start, or held by quiet hours): its wording must say so."""
    return message.send_at - message.occurred > LATE_AFTER


def status_words(status: str) -> str:
    """A status as words (``not_started`` → ``not started``)."""
    return one_line(status).replace("_", " ")


def event_label(message: Outgoing) -> str:
    """The event in a few plain (unescaped) words: ``Reminder: 7 days left``, ``Overdue (repeat
    3)``, ``Status changed: not started → missed``, ``Review #4``, ``Evidence: <item title>``..."""
    match message.data:
        case Reminder(before=before) if late(message):
            # Caught up (or held by quiet hours): "30 days left" would contradict the deadline line.
            due_at = format_utc(message.occurred)
            return f"Reminder ({one_line(before)} before the deadline, due {due_at}; sent late)"
        case Reminder(before=before):
            return f"Reminder: {_reminder_words(before)}"
        case Overdue(repeat=repeat) if late(message):
            since = format_utc(message.occurred)
            if repeat:
                return f"Overdue (catch-up: repeat {repeat} fell due {since}; sent late)"
            return f"Overdue (catch-up: fell due {since}; sent late)"
        case WindowOpen():
            return "Window open"
        case Overdue(repeat=repeat):
            return f"Overdue (repeat {repeat})" if repeat else "Overdue"
        case Escalation():
            return "Escalation"
        case Review(n=n) if late(message):
            return f"Review #{n} (fell due {format_utc(message.occurred)}; sent late)"
        case Review(n=n):
            return f"Review #{n}"
        case StatusChanged(previous=previous, status=status):
            return f"Status changed: {status_words(previous or '(none)')} → {status_words(status)}"
        case DeadlineChanged():
            return "Deadline changed"
        case Evidence(title=title):
            return f"Evidence: {one_line(title or 'new item')}"
        case Digest(overdue=overdue_ids, closing=closing_ids):
            digest = message.digest
            overdue = len(digest.overdue) if digest else len(overdue_ids)
            closing = len(digest.closing) if digest else len(closing_ids)
            return f"Digest: {overdue} overdue, {closing} closing"
    return _OPERATIONAL_LABELS.get(message.event, message.event.value)


def headline(message: Outgoing) -> str:
    """``label — subject`` in plain words (unescaped, one line)."""
    label = event_label(message)
    if message.commitment is not None:
        return f"{label} — {one_line(message.commitment.title)}"
    if message.operational is not None:
        return f"{label} — {one_line(message.operational.subject)}"
    return label


def _instant_words(value: str | None) -> str:
    return "unknown" if value is None else one_line(value)


def change_by_words(change: StatusChanged) -> str | None:
    """``Recorded by alice (manual), verified`` for a status change, or None when nothing is known."""
    parts: list[str] = []
    who = one_line(change.actor)[:120] if change.actor else None
    origin = one_line(change.origin)[:120] if change.origin else None
    if who and origin:
        parts.append(f"Recorded by {who} ({origin})")
    elif who:
        parts.append(f"Recorded by {who}")
    elif origin:
        parts.append(f"Origin: {origin}")
    if change.at:
        parts.append(f"at {one_line(change.at)}")
    parts.append("verified independently" if change.verified else "not independently verified")
    return ", ".join(parts) if parts else None


def detail_lines(message: Outgoing) -> list[str]:
    """Event-specific lines (plain, unescaped): a status change's note and who recorded it, a
    deadline's move, an operational problem."""
    lines: list[str] = []
    match message.data:
        case StatusChanged(note=note) as change:
            if note:
                lines.append(f"Note: {one_line(note)}")
            by = change_by_words(change)
            if by:
                lines.append(by)
        case DeadlineChanged(before=before, after=after):
            lines.append(f"Due moved from {_instant_words(before)} to {_instant_words(after)}")
        case Review():
            lines.append("Open-ended commitment: time to review where it stands.")
        case _:
            pass
    if message.operational is not None:
        # A config error lists one problem a line: keep the lines, flatten each.
        detail = [one_line(line) for line in message.operational.detail.splitlines()]
        lines.extend(line for line in detail[:200] if line)
    return lines


def message_links(message: Outgoing) -> list[Link]:
    """Safe links of the message: the event's own (evidence item, status change source) first."""
    links: list[Link] = []
    match message.data:
        case Evidence(link=link, title=title) if link:
            links.append(Link(link, one_line(title or "evidence")))
        case StatusChanged(url=url) if url:
            links.append(Link(url, "source of the change"))
        case _:
            pass
    if message.commitment is not None:
        links.extend(message.commitment.links)
    return safe_links(tuple(links))


def deadline_line(message: Outgoing) -> str | None:
    """``due by end of August 2016, Damascus time — 3 days overdue`` (plain)."""
    view = message.commitment
    if view is None:
        return None
    words = f"due {one_line(view.deadline_words)}"
    return f"{words} — {one_line(view.relative_words)}" if view.relative_words else words


def render_text_line(message: Outgoing) -> str:
    """One readable console line (no control characters, whatever the input)."""
    parts = [
        format_utc(message.send_at),
        f"[{one_line(message.subscription)} → {one_line(message.channel)}]",
        headline(message),
    ]
    view = message.commitment
    if view is not None:
        parts.append(f"({one_line(view.id)})")
        parts.append(f"— {deadline_line(message)} — status {status_words(view.status)}")
    digest = message.digest
    if digest is not None:
        for name, entries in (("overdue", digest.overdue), ("closing", digest.closing)):
            if entries:
                parts.append(f"— {name}: {', '.join(one_line(e.id) for e in entries)}")
    parts.extend(f"— {line}" for line in detail_lines(message))
    return " ".join(parts)


@dataclass(frozen=True)
class SlackMessage:
    """``text`` is the notification fallback (mrkdwn, escaped); ``blocks`` the Block Kit body."""

    text: str
    blocks: list[dict[str, Any]]


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _links_text(links: list[Link]) -> str | None:
    """As many whole ``<url|label>`` links as fit in one text object (never a cut link)."""
    text = ""
    for link in links:
        piece = slack_link(link)
        candidate = f"{text} · {piece}" if text else piece
        if len(candidate) > MAX_TEXT:
            break
        text = candidate
    return text or None


def _entry_line(entry: DigestEntry) -> str:
    return (
        f"• *{mrkdwn_escape(one_line(entry.title))}* (`{mrkdwn_escape(one_line(entry.id))}`)"
        f" — {mrkdwn_escape(one_line(entry.deadline_words))}"
    )


def _digest_sections(message: Outgoing, room: int) -> list[dict[str, Any]]:
    """The digest lists packed into at most ``room`` sections of whole lines."""
    digest = message.digest
    if digest is None or room <= 0:
        return []
    horizon = f" within {mrkdwn_escape(one_line(digest.horizon_words))}" if digest.horizon_words else ""
    lines: list[str] = []
    for title, entries in (("*Overdue*", digest.overdue), (f"*Closing{horizon}*", digest.closing)):
        if entries:
            lines.append(title)
            lines.extend(fit(_entry_line(e), MAX_TEXT) for e in entries)
    chunks: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= MAX_TEXT:
            current = candidate
            continue
        chunks.append(current)
        current = line
        if len(chunks) >= room - 1:
            current = fit(f"{line}\n… and {len(lines) - index - 1} more lines (truncated)", MAX_TEXT)
            break
    if current:
        chunks.append(current)
    return [_section(chunk) for chunk in chunks[:room]]


def _actions_block(commitment_id: str) -> dict[str, Any] | None:
    if len(commitment_id) > MAX_BUTTON_VALUE:
        return None

    def button(action_id: str, text: str, style: str | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": text[:MAX_BUTTON_TEXT]},
            "value": commitment_id,
        }
        if style:
            element["style"] = style
        return element

    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": [
            button(ACTION_ACK, "Acknowledge"),
            button(ACTION_SNOOZE_7D, "Snooze 7 days"),
            button(ACTION_FULFILLED, "Mark fulfilled", "primary"),
            button(ACTION_UNACK, "Undo acknowledge"),
            button(ACTION_UNSNOOZE, "Unsnooze"),
        ],
    }


def render_slack(message: Outgoing) -> SlackMessage:
    """The Block Kit message: header, the commitment (title, agreement, parties, deadline in words,
    status), event details, links, a footer, and the buttons when ``message.actions``."""
    marker = truncation_marker(message)
    title = headline(message)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(title, MAX_HEADER), "emoji": False}}
    ]
    view = message.commitment
    if view is not None:
        lines = [f"*{mrkdwn_escape(one_line(view.title))}* (`{mrkdwn_escape(one_line(view.id))}`)"]
        if view.agreement_title:
            lines.append(f"*Agreement:* {mrkdwn_escape(one_line(view.agreement_title))}")
        if view.parties:
            lines.append(f"*Parties:* {mrkdwn_escape(', '.join(one_line(p) for p in view.parties))}")
        lines.append(f"*Deadline:* {mrkdwn_escape(deadline_line(message) or '')}")
        lines.append(f"*Status:* {mrkdwn_escape(status_words(view.status))}")
        blocks.append(_section(fit("\n".join(lines), MAX_TEXT, marker)))
    details = detail_lines(message)
    if details:
        blocks.append(_section(fit("\n".join(mrkdwn_escape(line) for line in details), MAX_TEXT, marker)))
    links = _links_text(message_links(message))
    if links:
        blocks.append({"type": "context", "elements": [_mrkdwn(links)]})
    footer = f"deadlinewatch · subscription {mrkdwn_escape(one_line(message.subscription))}"
    if view is not None:
        footer += f" · `deadlinewatch show {mrkdwn_escape(one_line(view.id))}`"
    tail: list[dict[str, Any]] = [{"type": "context", "elements": [_mrkdwn(fit(footer, MAX_TEXT))]}]
    if message.actions and view is not None:
        actions = _actions_block(view.id)
        if actions is not None:
            tail.append(actions)
    blocks.extend(_digest_sections(message, MAX_BLOCKS - len(blocks) - len(tail)))
    blocks.extend(tail)
    fallback_parts = [mrkdwn_escape(title)]
    if view is not None:
        fallback_parts.append(mrkdwn_escape(deadline_line(message) or ""))
    return SlackMessage(
        text=fit(" — ".join(fallback_parts), MAX_FALLBACK, marker), blocks=blocks[:MAX_BLOCKS]
    )
