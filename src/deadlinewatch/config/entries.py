"""Config items gathered from every file, each with the document it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deadlinewatch.config.issues import DocPath, DocumentMarks, Place, render_path

SCALAR_KEYS = ("timezone", "database", "http")
MAP_KEYS = ("policies", "channels", "smtp")
LIST_KEYS = ("agreements", "commitments", "sources", "subscriptions")
TOP_LEVEL_KEYS = SCALAR_KEYS + MAP_KEYS + LIST_KEYS
ID_KEY = {"agreements": "id", "commitments": "id", "sources": "id", "subscriptions": "name"}


@dataclass(slots=True)
class Entry:
    """One item (a commitment, a channel, the ``timezone``…): its raw data (until it is validated),
    where it was written, and its validated model once validation succeeded (for a commitment, its
    domain :class:`~deadlinewatch.domain.model.Commitment`)."""

    raw: Any
    marks: DocumentMarks
    path: DocPath  # inside its document, e.g. ("commitments", 3)
    label: tuple[object, ...]  # for messages, e.g. ("commitments", "syria-elections")
    model: Any = None
    # The id or name of a list item (or the name of a map entry), when it has a usable one.
    ident: str | None = field(init=False)

    def __post_init__(self) -> None:
        label = self.label
        self.ident = label[1] if len(label) == 2 and isinstance(label[1], str) else None

    def place(self, *sub: object, key: bool = False) -> Place:
        return self.marks.place((*self.path, *sub), key=key)

    def field(self, *sub: object) -> str:
        return render_path((*self.label, *sub))


@dataclass
class Collected:
    files: list[Path] = field(default_factory=list)
    scalars: dict[str, Entry] = field(default_factory=dict)
    maps: dict[str, dict[str, Entry]] = field(default_factory=lambda: {key: {} for key in MAP_KEYS})
    lists: dict[str, list[Entry]] = field(default_factory=lambda: {key: [] for key in LIST_KEYS})

    _ids: dict[str, set[str]] = field(default_factory=dict)

    def ids(self, section: str) -> set[str]:
        """Every id written in a list section (valid or not, so one bad item does not cascade).
        Call only once collecting is done (the answer is cached)."""
        if section not in self._ids:
            self._ids[section] = {entry.ident for entry in self.lists[section] if entry.ident is not None}
        return self._ids[section]

    def valid(self, section: str) -> list[Entry]:
        return [entry for entry in self.lists[section] if entry.model is not None]

    def by_id(self, section: str) -> dict[str, Entry]:
        result: dict[str, Entry] = {}
        for entry in self.lists[section]:
            if entry.ident is not None and entry.model is not None:
                result.setdefault(entry.ident, entry)
        return result
