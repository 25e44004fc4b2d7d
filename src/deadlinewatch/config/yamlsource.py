"""YAML documents as plain data plus the place of every value, with ``${VAR}`` interpolation.

A document is read the quick way first (:mod:`config.yamlevents`: no node tree; places inside list
items found on demand); one that uses anything beyond plain YAML, or has a problem, is read the
exact way here (a node tree walked with the place of every value), which reports the problem.

The loader keeps dates and times as strings (the config layer parses them in the right zone),
treats only ``true``/``false`` as booleans (``no``, ``yes``, ``on``, ``off`` stay strings) and
``22:00`` as a string (no YAML 1.1 base-60 numbers). A syntax error is an issue with a line, never
an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deadlinewatch.config.entries import LIST_KEYS
from deadlinewatch.config.issues import DocPath, DocumentMarks, IssueLog, Place, render_path
from deadlinewatch.config.yamlevents import Unusual, read_events

_STR_TAG = "tag:yaml.org,2002:str"
_DROPPED = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
# Alias expansion can make a small file huge ("billion laughs"); no real config comes near this.
MAX_NODES = 5_000_000
MAX_ALIAS_EXPANSION = 100_000
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class MarkedLoader(yaml.SafeLoader):
    """A SafeLoader with our implicit types; :func:`parse_document` records node marks."""


MarkedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
MarkedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
MarkedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
MarkedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*\.[0-9_]*)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

_LOADER: type[Any] = MarkedLoader
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _FastMarkedLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """The same loader with libyaml's parser (much faster on large configs)."""

        yaml_implicit_resolvers = MarkedLoader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _LOADER = _FastMarkedLoader


@dataclass
class YamlDocument:
    data: Any
    marks: DocumentMarks


def parse_document(text: str, file: str, env: Mapping[str, str], log: IssueLog) -> YamlDocument | None:
    """Parse one file. Problems go to ``log``; ``None`` when the file cannot be read as YAML."""
    loader = _LOADER(text)
    try:
        data, marks = read_events(loader, file, text, env, LIST_KEYS, _item_marks, _document_marks, MAX_NODES)
    except Unusual:
        pass
    else:
        return YamlDocument(data, marks)
    finally:
        loader.dispose()
    return parse_exactly(text, file, env, log)


def _item_marks(text: str, file: str) -> DocumentMarks | None:
    document = parse_exactly(text, file, {}, IssueLog())
    return document.marks if document is not None else None


def _document_marks(text: str, file: str) -> DocumentMarks:
    document = parse_exactly(text, file, {}, IssueLog())
    return document.marks if document is not None else DocumentMarks(file)


def parse_exactly(text: str, file: str, env: Mapping[str, str], log: IssueLog) -> YamlDocument | None:
    """:func:`parse_document` with a node tree, recording the place of every value."""
    marks = DocumentMarks(file)
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            log.error(Place(file, line, column), "(yaml)", f"YAML syntax error: {problem or exc}")
            return None
        except yaml.YAMLError as exc:
            log.error(Place(file, 1, 1), "(yaml)", f"YAML error: {exc}")
            return None
        except RecursionError:
            log.error(Place(file, 1, 1), "(yaml)", "the document is nested too deeply")
            return None
        if node is None:
            return YamlDocument(None, marks)
        walker = _Walker(loader, marks, env, log)
        try:
            data = walker.value(node, ())
        except _TooLarge:
            log.error(Place(file, 1, 1), "(yaml)", "the document is too large (aliases expand too far)")
            return None
        except RecursionError:
            log.error(Place(file, 1, 1), "(yaml)", "the document is nested too deeply")
            return None
        return YamlDocument(data, marks)
    finally:
        loader.dispose()


def _comma_in_plain_value(mapping: MappingNode, value: Node, key: Node, key_value: Node) -> bool:
    """In a flow mapping, a plain multi-word key with no ``:`` and no value right after a plain
    string value: a comma inside an unquoted value."""
    return (
        bool(mapping.flow_style)
        and isinstance(value, ScalarNode)
        and value.tag == _STR_TAG
        and not value.style
        and isinstance(key, ScalarNode)
        and key.tag == _STR_TAG
        and not key.style
        and " " in key.value.strip()  # a phrase, never a misspelt key
        and isinstance(key_value, ScalarNode)
        and key_value.value == ""
        and not key_value.style
        and key_value.start_mark.index == key.end_mark.index
    )


class _TooLarge(Exception):
    pass


class _Walker:
    def __init__(self, loader: Any, marks: DocumentMarks, env: Mapping[str, str], log: IssueLog) -> None:
        self.loader = loader
        self.marks = marks
        self.env = env
        self.log = log
        self.count = 0
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.expanded = 0

    def place(self, node: Node) -> Place:
        return Place(self.marks.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def value(self, node: Node, path: DocPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        self.marks.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in self.active:
            self.log.error(self.place(node), render_path(path), "a YAML alias refers to itself")
            return None
        if id(node) in self.seen:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise _TooLarge
        else:
            self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        return None

    def scalar(self, node: ScalarNode, path: DocPath) -> Any:
        if node.tag == _STR_TAG:  # the common case, without the constructor's bookkeeping
            value: Any = node.value
            return self.interpolate(value, node, path) if "${" in value else value
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.log.error(self.place(node), render_path(path), f"YAML error: {str(exc).splitlines()[0]}")
            return None
        if node.tag == _STR_TAG and isinstance(value, str) and "${" in value:
            return self.interpolate(value, node, path)
        return value

    def interpolate(self, text: str, node: ScalarNode, path: DocPath) -> str:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env:
                return self.env[name]
            if default is not None:
                return default
            self.log.error(
                self.place(node),
                render_path(path),
                f"environment variable {name} is not set (write ${{{name}:-default}} to give a default)",
            )
            return ""

        return _VAR.sub(replace, text)

    def mapping(self, node: MappingNode, path: DocPath) -> dict[object, Any]:
        try:
            self.loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            self.log.error(self.place(node), render_path(path), f"YAML error: {str(exc).splitlines()[0]}")
            return {}
        result: dict[object, Any] = {}
        previous: tuple[object, Node] | None = None
        for key_node, value_node in node.value:
            if previous is not None and _comma_in_plain_value(node, previous[1], key_node, value_node):
                # `{title: Talks, whichever first, due: ...}`: YAML reads "whichever first" as a key
                # without a value; the author meant one title with a comma. Keep it whole, and say so.
                prev_key = previous[0]
                result[prev_key] = f"{result[prev_key]}, {key_node.value}"
                self.log.warning(
                    self.place(key_node),
                    render_path((*path, prev_key)),
                    f"an unquoted comma split this value; read as {str(result[prev_key])[:80]!r} "
                    "(put the value in quotes to silence this warning)",
                )
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            key_place = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                first = self.marks.keys[(*path, key)]
                self.log.error(
                    self.place(key_node),
                    render_path((*path, key)),
                    f"key {key!r} appears twice in this mapping (first at line {first[0]})",
                )
                continue
            self.marks.keys[(*path, key)] = key_place
            result[key] = self.value(value_node, (*path, key))
            previous = (key, value_node)
        return result

    def key(self, node: Node, path: DocPath) -> object:
        if not isinstance(node, ScalarNode):
            self.log.error(self.place(node), render_path(path), "a mapping key must be a plain value")
            return None
        if node.tag == _STR_TAG:
            return node.value
        try:
            key = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.log.error(self.place(node), render_path(path), f"YAML error: {str(exc).splitlines()[0]}")
            return None
        return key if key is not None else "null"
