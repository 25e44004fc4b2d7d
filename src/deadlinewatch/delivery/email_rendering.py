"""Pure rendering of an :class:`Outgoing` as an email: subject, text body, HTML body.

Templates live in ``delivery/templates/``. The HTML template is autoescaped (every template is,
except ``*.txt``, which is plain text and must show ``<`` as ``<``); links are only ever built from
``http``/``https`` URLs (:func:`~deadlinewatch.delivery.rendering.safe_links`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from deadlinewatch.delivery.base import CommitmentView, DigestEntry, Outgoing
from deadlinewatch.delivery.rendering import (
    deadline_line,
    detail_lines,
    headline,
    message_links,
    one_line,
    status_words,
)

MAX_SUBJECT = 200
SUBJECT_PREFIX = "[deadlinewatch] "
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith(".txt")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _flat_commitment(view: CommitmentView | None) -> CommitmentView | None:
    if view is None:
        return None
    return replace(
        view,
        id=one_line(view.id),
        title=one_line(view.title),
        status=status_words(view.status),
        agreement_title=one_line(view.agreement_title) if view.agreement_title else None,
    )


def _flat_entries(entries: tuple[DigestEntry, ...]) -> list[DigestEntry]:
    return [DigestEntry(one_line(e.id), one_line(e.title), one_line(e.deadline_words)) for e in entries]


def email_subject(message: Outgoing) -> str:
    """``[deadlinewatch] Overdue — Framework for political transition``: one line, at most
    :data:`MAX_SUBJECT` characters (no header injection whatever the title)."""
    subject = SUBJECT_PREFIX + headline(message)
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


def render_email(message: Outgoing) -> EmailContent:
    digest = message.digest
    digest_lists: list[tuple[str, list[DigestEntry]]] = []
    if digest is not None:
        horizon = f" within {one_line(digest.horizon_words)}" if digest.horizon_words else ""
        for name, entries in (("Overdue", digest.overdue), (f"Closing{horizon}", digest.closing)):
            if entries:
                digest_lists.append((name, _flat_entries(entries)))
    view = message.commitment
    context = {
        "headline": headline(message),
        "commitment": _flat_commitment(view),
        "parties": ", ".join(one_line(p) for p in view.parties) if view is not None else "",
        "deadline": deadline_line(message) or "",
        "details": detail_lines(message),
        "digest": digest is not None,
        "digest_lists": digest_lists,
        "links": message_links(message),
        "subscription": one_line(message.subscription),
        "key": message.key,
    }
    env = _environment()
    return EmailContent(
        subject=email_subject(message),
        text=env.get_template("notification.txt").render(context),
        html=env.get_template("notification.html").render(context),
    )
