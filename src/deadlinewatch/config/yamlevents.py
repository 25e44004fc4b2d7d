"""The quick way to read a YAML document: plain data built straight from libyaml's events.

:func:`yamlsource.parse_document` composes a node tree and walks it to record the place of every
value. At 100,000 commitments that tree and those places take about 800 MB and several seconds,
for places that are almost never asked for. This module builds the same data from the parser's
events, without a tree, and records places only where they are cheap and needed: everything
outside the items of the list sections (``commitments:``, ``agreements:``…), and for each item its
start, its end and (commitments) where its ``due`` is written. The place of anything inside an
item is found when asked (:class:`ItemMarks`), by parsing that item's text again.

It reads only the plain subset of YAML real configs are written in. Anything else — anchors,
aliases, explicit tags, merge keys, non-string keys, a repeated key, an unset ``${VAR}``, a comma
that may have split an unquoted value, a syntax error, deep nesting — makes it give up
(:class:`Unusual`), and the caller reads the file the exact way, which reports it as before.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from deadlinewatch.config.issues import DocPath, DocumentMarks

STR_TAG = "tag:yaml.org,2002:str"
_CONSTRUCTED = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Nesting beyond this is read the exact way (which reports documents nested too deeply).
MAX_DEPTH = 64

# Parses one item's text on its own and returns its marks (root = the item), or None.
ItemParser = Callable[[str, str], DocumentMarks | None]
# Parses the whole text the exact way and returns its marks.
DocumentParser = Callable[[str, str], DocumentMarks]


class Unusual(Exception):
    """The document needs the exact reader."""


class ItemMarks:
    """Places inside the items of a document's list sections, found on demand.

    For each item it keeps four small integers (start line/column, start and end offsets) and, for
    commitments, where ``due`` starts. A deeper place is found by parsing the item's text alone,
    padded so its lines and columns are those of the file (checked: if the item does not start
    where it did, the whole file is parsed the exact way instead)."""

    def __init__(self, file: str, text: str, parse_item: ItemParser, parse_document: DocumentParser) -> None:
        self.file = file
        self._text = text
        self._parse_item = parse_item
        self._parse_document = parse_document
        self._spans: dict[str, array[int]] = {}  # section -> line, column, start, end per item
        self._due: dict[str, array[int]] = {}  # section -> line, column (0, 0: none) per item
        self._inner: dict[tuple[str, int], DocumentMarks] = {}
        self._whole: DocumentMarks | None = None

    def add(self, section: str, line: int, column: int, start: int, end: int, due: tuple[int, int]) -> None:
        spans = self._spans.get(section)
        if spans is None:
            spans = self._spans[section] = array("q")
            self._due[section] = array("q")
        spans.extend((line, column, start, end))
        self._due[section].extend(due)

    def place(self, path: DocPath, *, key: bool) -> tuple[int, int] | None:
        """Line and column (1-based) of ``path`` if it is an item or inside one, else None."""
        if len(path) < 2:
            return None
        section, index = path[0], path[1]
        if not isinstance(section, str) or not isinstance(index, int) or isinstance(index, bool):
            return None
        spans = self._spans.get(section)
        if spans is None:
            return None
        if not 0 <= index < len(spans) // 4:
            return None
        if len(path) == 2:
            return spans[4 * index], spans[4 * index + 1]
        if len(path) == 3 and path[2] == "due" and not key and self._due[section][2 * index]:
            return self._due[section][2 * index], self._due[section][2 * index + 1]
        if self._whole is None:
            inner = self._inner_marks(section, index)
            if inner is not None:
                found = inner.place(path[2:], key=key)
                return found.line, found.column
            self._whole = self._parse_document(self._text, self.file)
        found = self._whole.place(path, key=key)
        return found.line, found.column

    def _inner_marks(self, section: str, index: int) -> DocumentMarks | None:
        inner = self._inner.get((section, index))
        if inner is None:
            line, column, start, end = self._spans[section][4 * index : 4 * index + 4]
            text = "\n" * (line - 1) + " " * (column - 1) + self._text[start:end]
            inner = self._parse_item(text, self.file)
            if inner is None or inner.values.get(()) != (line, column):
                return None
            self._inner[(section, index)] = inner
        return inner


def read_events(
    loader: Any,
    file: str,
    text: str,
    env: Mapping[str, str],
    list_sections: tuple[str, ...],
    parse_item: ItemParser,
    parse_document: DocumentParser,
    max_values: int,
) -> tuple[Any, DocumentMarks]:
    """The document's data and marks; raises :class:`Unusual` when it needs the exact reader."""
    marks = DocumentMarks(file)
    items = ItemMarks(file, text, parse_item, parse_document)
    marks.items = items
    reader = _Reader(loader, marks, items, env, list_sections, max_values)
    try:
        return reader.document(), marks
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise Unusual from exc


class _Reader:
    def __init__(
        self,
        loader: Any,
        marks: DocumentMarks,
        items: ItemMarks,
        env: Mapping[str, str],
        list_sections: tuple[str, ...],
        max_values: int,
    ) -> None:
        self.loader = loader
        self.max_values = max_values
        self.next = loader.get_event
        self.marks = marks
        self.items = items
        self.env = env
        self.list_sections = list_sections
        self.depth = 0
        self.strings: set[str] = set()  # plain scalars known to be strings
        resolvers = loader.yaml_implicit_resolvers
        if None in resolvers:
            raise Unusual  # resolvers for any first character: not the loader this is written for
        # A plain scalar whose first character no resolver claims is a string (the common case).
        self.first_chars = frozenset(first for first in resolvers if first)
        # Plain mapping keys known to be strings, each kept once: 100,000 items share their keys.
        self.keys: dict[str, str] = {}
        self.due = (0, 0)
        self.end = 0  # where the last mapping or sequence closed
        self.count = 0  # values read, as the exact reader counts them

    def document(self) -> Any:
        if type(self.next()) is not StreamStartEvent:
            raise Unusual
        event = self.next()
        if type(event) is StreamEndEvent:
            return None
        if type(event) is not DocumentStartEvent:
            raise Unusual
        data = self.value(self.next(), ())
        if type(self.next()) is not DocumentEndEvent or type(self.next()) is not StreamEndEvent:
            raise Unusual  # more than one document: the exact reader says so
        if self.count >= self.max_values:
            raise Unusual  # the exact reader says the document is too large
        return data

    def value(self, event: Any, path: DocPath | None) -> Any:
        """One value; ``path`` is where it is (its place is recorded) or None (not recorded)."""
        kind = type(event)
        if path is not None:
            self.marks.values[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if kind is ScalarEvent:
            return self.scalar(event)
        if event.anchor is not None or event.tag is not None:
            raise Unusual
        if kind is MappingStartEvent:
            return self.mapping(event, path)
        if kind is SequenceStartEvent:
            if path is not None and len(path) == 1 and path[0] in self.list_sections:
                return self.items_of(str(path[0]))
            return self.sequence(path)
        raise Unusual  # an alias

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise Unusual
        value: str = event.value
        if event.implicit[0] and not self.plain_string(value):
            return self.construct(self.loader.resolve(ScalarNode, value, event.implicit), event)
        return self.interpolate(value) if "${" in value else value

    def plain_string(self, value: str) -> bool:
        """Whether a plain (unquoted) scalar is a string."""
        if value and value[0] not in self.first_chars:
            return True
        if value in self.strings:
            return True
        if self.loader.resolve(ScalarNode, value, (True, False)) != STR_TAG:
            return False
        if len(self.strings) < 10_000:
            self.strings.add(value)
        return True

    def construct(self, tag: str, event: Any) -> Any:
        if tag not in _CONSTRUCTED:
            raise Unusual
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return self.loader.construct_object(node, deep=True)

    def interpolate(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env:
                return self.env[name]
            if default is not None:
                return default
            raise Unusual  # the exact reader reports the unset variable

        return _VAR.sub(replace, text)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unusual

    def mapping(self, start: Any, path: DocPath | None) -> dict[object, Any]:
        self.enter()
        result: dict[object, Any] = {}
        flow = start.flow_style
        due_here = path is None and self.depth == self._item_depth
        next_event, scalar, plain_string = self.next, self.scalar, self.plain_string
        first_chars, known_keys = self.first_chars, self.keys
        count = 0
        while True:
            event = next_event()
            kind = type(event)
            if kind is MappingEndEvent:
                self.end = event.end_mark.index
                break
            if kind is not ScalarEvent or event.anchor is not None or event.tag is not None:
                raise Unusual
            key: str = event.value
            if event.implicit[0]:
                known = known_keys.get(key)
                if known is not None:
                    key = known
                elif not plain_string(key):
                    raise Unusual  # null, numbers, booleans and merge keys as keys
                elif len(known_keys) < 1_000:
                    known_keys[key] = key
                if flow and " " in key and " " in key.strip():
                    raise Unusual  # maybe an unquoted comma in the previous value
            if key in result:
                raise Unusual
            value_event = next_event()
            count += 1
            if path is not None:
                key_path = (*path, key)
                self.marks.keys[key_path] = (event.start_mark.line + 1, event.start_mark.column + 1)
                result[key] = self.value(value_event, key_path)
                continue
            if due_here and key == "due":
                self.due = (value_event.start_mark.line + 1, value_event.start_mark.column + 1)
            if type(value_event) is ScalarEvent:
                text = value_event.value
                if (
                    value_event.anchor is None
                    and value_event.tag is None
                    and text
                    and (text[0] not in first_chars or not value_event.implicit[0])
                    and "${" not in text
                ):
                    result[key] = text  # a string as written: the common case, inline
                else:
                    result[key] = scalar(value_event)
            else:
                result[key] = self.value(value_event, None)
        self.count += count
        self.depth -= 1
        return result

    def sequence(self, path: DocPath | None) -> list[Any]:
        self.enter()
        result: list[Any] = []
        next_event, scalar = self.next, self.scalar
        while True:
            event = next_event()
            kind = type(event)
            if kind is SequenceEndEvent:
                self.end = event.end_mark.index
                break
            if path is None and kind is ScalarEvent:
                result.append(scalar(event))
            else:
                result.append(self.value(event, None if path is None else (*path, len(result))))
        self.count += len(result)
        self.depth -= 1
        return result

    _item_depth = 3  # the document's mapping, the section's sequence, the item

    def items_of(self, section: str) -> list[Any]:
        """The items of a list section: data, and only their spans (and commitments' ``due``)."""
        self.enter()
        result: list[Any] = []
        want_due = section == "commitments"
        while True:
            event = self.next()
            kind = type(event)
            if kind is SequenceEndEvent:
                break
            self.count += 1
            self.due = (0, 0)
            start = event.start_mark
            if kind is ScalarEvent:
                result.append(self.scalar(event))
                end = event.end_mark.index
            else:
                result.append(self.value(event, None))
                end = self.end
            due = self.due if want_due else (0, 0)
            self.items.add(section, start.line + 1, start.column + 1, start.index, end, due)
        self.depth -= 1
        return result
