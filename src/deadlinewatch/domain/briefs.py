"""What a message says about its subject besides the event itself, fixed when the notification is
decided and stored with it (so a message shows the commitment as it was then, whatever the config
says by the time it leaves): one frozen type per kind of subject, tagged by ``kind`` in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class LinkBrief:
    url: str
    label: str


@dataclass(frozen=True)
class CommitmentBrief:
    """``due``/``overdue_from`` are UTC text, None while a relative deadline is pending."""

    id: str
    title: str
    status: str
    deadline_words: str
    agreement_title: str | None = None
    parties: tuple[str, ...] = ()
    links: tuple[LinkBrief, ...] = ()
    due: str | None = None
    overdue_from: str | None = None
    kind: Literal["commitment"] = "commitment"


@dataclass(frozen=True)
class DigestEntryBrief:
    id: str
    title: str
    deadline_words: str


@dataclass(frozen=True)
class DigestBrief:
    overdue: tuple[DigestEntryBrief, ...] = ()
    closing: tuple[DigestEntryBrief, ...] = ()
    horizon_words: str | None = None
    kind: Literal["digest"] = "digest"


@dataclass(frozen=True)
class OperationalBrief:
    """A source, a channel or the config: ``subject`` names it for people (never empty)."""

    subject: str
    detail: str
    kind: Literal["operational"] = "operational"


Brief = CommitmentBrief | DigestBrief | OperationalBrief
