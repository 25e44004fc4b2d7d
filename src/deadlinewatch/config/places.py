"""Where each item of a loaded config was written, kept for the life of the process.

``show ID`` prints ``FILE:LINE`` of a commitment and of its ``due``. At 100,000 commitments a
``Place`` per item and per ``due`` costs tens of MB; this index
keeps three integers per item in arrays, and the ids it already shares with the domain objects.
"""

from __future__ import annotations

from array import array


class WrittenPlaces:
    """Items by section and id (or name), with their file, line and (commitments) ``due`` line."""

    def __init__(self) -> None:
        self._files: list[str] = []
        self._file_numbers: dict[str, int] = {}
        self._rows: dict[str, dict[str, int]] = {}
        self._file = array("I")
        self._line = array("I")
        self._due_line = array("I")  # 0: not recorded

    def add(self, section: str, ident: str, file: str, line: int, due_line: int = 0) -> None:
        """Record an item (``due_line`` 0: none recorded); the first one for a section and id wins."""
        rows = self._rows.get(section)
        if rows is None:
            rows = self._rows[section] = {}
        elif ident in rows:
            return
        number = self._file_numbers.get(file)
        if number is None:
            number = self._file_numbers[file] = len(self._files)
            self._files.append(file)
        rows[ident] = len(self._line)
        self._file.append(number)
        self._line.append(line)
        self._due_line.append(due_line)

    def locate(self, section: str, ident: str, sub: tuple[str, ...] = ()) -> str | None:
        """``FILE:LINE`` of the item, or of its ``due`` when ``sub`` is ``("due",)`` and it was
        recorded; ``None`` for an unknown item."""
        row = self._rows.get(section, {}).get(ident)
        if row is None:
            return None
        line = self._line[row]
        if sub == ("due",) and self._due_line[row]:
            line = self._due_line[row]
        return f"{self._files[self._file[row]]}:{line}"
