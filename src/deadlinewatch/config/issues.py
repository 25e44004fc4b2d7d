"""Validation findings with the place they point at, and the marks that map paths to places."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# A path into one YAML document: mapping keys and sequence indexes.
DocPath = tuple[object, ...]


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One error or warning. ``str(issue)`` is ``FILE:LINE:COL: FIELD.PATH: message``."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Place:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ItemPlaces(Protocol):
    """Places of list items and of what is inside them, found on demand (``config.yamlevents``)."""

    def place(self, path: DocPath, *, key: bool) -> tuple[int, int] | None:
        """Line and column of ``path`` if it is an item or inside one, else None."""


@dataclass
class DocumentMarks:
    """Where every value (and every mapping key) of one document starts, 1-based.

    With ``items`` set, the places of list items and of their contents are not in ``values`` and
    ``keys`` but are asked of ``items``."""

    file: str
    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    items: ItemPlaces | None = None

    def place(self, path: DocPath, *, key: bool = False) -> Place:
        """The place of ``path``'s value (its key with ``key=True``). For a path that is not in the
        document (a missing key), the nearest written ancestor: its key if it has one, else its value."""
        if self.items is not None:
            found = self.items.place(path, key=key)
            if found is not None:
                return Place(self.file, *found)
        if key and path in self.keys:
            return Place(self.file, *self.keys[path])
        if path in self.values:
            return Place(self.file, *self.values[path])
        for end in range(len(path) - 1, -1, -1):
            prefix = path[:end]
            if prefix in self.keys:
                return Place(self.file, *self.keys[prefix])
            if prefix in self.values:
                return Place(self.file, *self.values[prefix])
        return Place(self.file, 1, 1)

    def line(self, path: DocPath) -> int:
        """The line of ``path``'s value: ``place(path).line``, quicker for list items."""
        if self.items is not None:
            found = self.items.place(path, key=False)
            if found is not None:
                return found[0]
        return self.place(path).line


def render_path(parts: tuple[object, ...]) -> str:
    """``("commitments", "x", "history", 0, "at")`` → ``commitments.x.history[0].at``."""
    text = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


@dataclass
class IssueLog:
    """Collects errors and warnings while loading."""

    errors: list[ConfigIssue] = field(default_factory=list)
    warnings: list[ConfigIssue] = field(default_factory=list)

    def error(self, place: Place, field_path: str, message: str) -> None:
        self.errors.append(ConfigIssue(place.file, place.line, place.column, field_path, message))

    def warning(self, place: Place, field_path: str, message: str) -> None:
        self.warnings.append(ConfigIssue(place.file, place.line, place.column, field_path, message))
