"""Load a config folder (every ``*.yaml``/``*.yml`` below it, sorted) or a single file.

Every problem is reported, not only the first: each becomes a :class:`ConfigIssue`
(``FILE:LINE:COL: FIELD.PATH: message``). FIELD.PATH names list items by id
(``commitments.syria-elections.due``), or by position in their file (``commitments[2]``) when they
have no usable id. Files and folders whose names start with ``.`` are skipped (editor swap files,
Kubernetes ``..data`` links).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from deadlinewatch.config import schema
from deadlinewatch.config.build import LoadedConfig, build_config, convert_commitment
from deadlinewatch.config.checks import check_all
from deadlinewatch.config.entries import (
    ID_KEY,
    LIST_KEYS,
    MAP_KEYS,
    SCALAR_KEYS,
    TOP_LEVEL_KEYS,
    Collected,
    Entry,
)
from deadlinewatch.config.issues import ConfigIssue, DocumentMarks, IssueLog, Place
from deadlinewatch.config.yamlsource import parse_document

__all__ = ["ConfigIssue", "LoadResult", "LoadedConfig", "load_config"]

_SUFFIXES = (".yaml", ".yml")
_LIST_MODELS: dict[str, type[BaseModel]] = {
    "agreements": schema.AgreementModel,
    "commitments": schema.CommitmentModel,
    "subscriptions": schema.SubscriptionModel,
}
_MAP_MODELS: dict[str, type[BaseModel]] = {"policies": schema.PolicyModel, "smtp": schema.SmtpProfile}
_SCALAR_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "timezone": TypeAdapter(schema.TimezoneValue),
    "database": TypeAdapter(schema.DatabaseValue),
    "http": TypeAdapter(schema.HttpModel),
}


def _vocabulary() -> list[str]:
    names: set[str] = set(TOP_LEVEL_KEYS)
    stack: list[type[BaseModel]] = [schema.FileModel]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.update(info.alias or name for name, info in cls.model_fields.items())
    return sorted(names)


_VOCABULARY = _vocabulary()


@dataclass(frozen=True)
class LoadResult:
    config: LoadedConfig | None  # None when there are errors
    errors: tuple[ConfigIssue, ...]  # files that cannot be read or parsed first, then by file, line, column
    warnings: tuple[ConfigIssue, ...]


def load_config(path: Path, env: Mapping[str, str]) -> LoadResult:
    """Read, validate and convert the config at ``path``; never raises for a bad config."""
    # Loading allocates millions of small objects and none of them form cycles; the cyclic
    # collector's repeated full scans would make a 100k-commitment config take minutes.
    return _load(path, env)


def _load(path: Path, env: Mapping[str, str]) -> LoadResult:
    log = IssueLog()
    collected = Collected()
    unreadable: list[ConfigIssue] = []  # files that could not be read or parsed as YAML
    for file in _config_files(path, log):
        collected.files.append(file)
        before = len(log.errors)
        if not _read(file, env, collected, log):
            unreadable.extend(log.errors[before:])
    _validate(collected, log)
    if unreadable:
        # What the unread files hold is unknown: references into them would all be reported as
        # "unknown ...". Report the files first and skip the checks across items.
        files = ", ".join(sorted({issue.file for issue in unreadable}))
        log.warning(
            Place(str(path), 1, 1),
            "(config)",
            f"checks across files (unknown ids, channels, policies) were skipped because {files} could "
            "not be read; fix it and validate again",
        )
    else:
        check_all(collected, env, log)
    first = set(unreadable)
    errors = tuple(sorted(first)) + tuple(sorted(e for e in log.errors if e not in first))
    warnings = tuple(sorted(log.warnings))
    if errors:
        return LoadResult(None, errors, warnings)
    return LoadResult(build_config(collected, env), errors, warnings)


def _read(file: Path, env: Mapping[str, str], collected: Collected, log: IssueLog) -> bool:
    """Collect one file's items; False when it cannot be read or parsed. The parsed document is not
    kept: its items are (each until it is validated), so that memory goes as validation goes."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.error(Place(str(file), 1, 1), "(file)", f"cannot read the file: {exc}")
        return False
    document = parse_document(text, str(file), env, log)
    if document is None:
        return False
    _collect(document.data, document.marks, collected, log)
    return True


def _config_files(path: Path, log: IssueLog) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        log.error(Place(str(path), 1, 1), "(config)", "no such file or folder")
        return []
    files = sorted(
        (
            file
            for file in path.rglob("*")
            if file.suffix in _SUFFIXES
            and not any(part.startswith(".") for part in file.relative_to(path).parts)
            and file.is_file()
        ),
        key=lambda file: file.relative_to(path).as_posix(),
    )
    if not files:
        log.error(Place(str(path), 1, 1), "(config)", "no *.yaml or *.yml files in this folder")
    return files


def _suggest(key: object) -> str:
    close = difflib.get_close_matches(str(key), _VOCABULARY, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _collect(data: object, marks: DocumentMarks, collected: Collected, log: IssueLog) -> None:
    if data is None:
        return
    if not isinstance(data, dict):
        log.error(
            marks.place(()),
            "(document)",
            "a config file is a mapping of top-level keys (timezone, commitments…)",
        )
        return
    for key, value in data.items():
        if key in SCALAR_KEYS:
            entry = Entry(value, marks, (key,), (key,))
            first = collected.scalars.get(key)
            if first is not None:
                log.error(entry.place(key=True), key, f"{key} is also set at {first.place(key=True)}")
            else:
                collected.scalars[key] = entry
        elif key in MAP_KEYS:
            _collect_map(key, value, marks, collected, log)
        elif key in LIST_KEYS:
            _collect_list(key, value, marks, collected, log)
        else:
            log.error(
                marks.place((key,), key=True), str(key), f"unknown top-level key {key!r}{_suggest(key)}"
            )


def _collect_map(
    section: str, value: object, marks: DocumentMarks, collected: Collected, log: IssueLog
) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        log.error(marks.place((section,)), section, f"{section} must be a mapping of names to settings")
        return
    items = collected.maps[section]
    for name, raw in value.items():
        entry = Entry(raw, marks, (section, name), (section, name))
        if not isinstance(name, str) or not schema.ID_PATTERN.match(name):
            log.error(entry.place(key=True), entry.field(), f"{str(name)[:40]!r} is not a valid name")
            continue
        first = items.get(name)
        if first is not None:
            log.error(
                entry.place(key=True),
                entry.field(),
                f"{section} {name!r} is also defined at {first.place(key=True)}",
            )
            continue
        items[name] = entry


def _collect_list(
    section: str, value: object, marks: DocumentMarks, collected: Collected, log: IssueLog
) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        log.error(marks.place((section,)), section, f"{section} must be a list")
        return
    id_key = ID_KEY[section]
    seen = {entry.ident: entry for entry in collected.lists[section] if entry.ident}
    for index, raw in enumerate(value):
        ident = raw.get(id_key) if isinstance(raw, dict) else None
        usable = isinstance(ident, str) and schema.ID_PATTERN.match(ident) is not None
        label: tuple[object, ...] = (section, ident) if usable else (section, index)
        entry = Entry(raw, marks, (section, index), label)
        if usable and ident in seen:
            kind = "name" if id_key == "name" else "id"
            log.error(
                entry.place(id_key),
                entry.field(id_key),
                f"duplicate {section[:-1]} {kind} {ident!r}: also defined at {seen[ident].place(id_key)}",
            )
            continue
        if usable:
            seen[str(ident)] = entry
        collected.lists[section].append(entry)


def _validate(collected: Collected, log: IssueLog) -> None:
    for key, entry in collected.scalars.items():
        entry.model = _run(entry, lambda raw, key=key: _SCALAR_ADAPTERS[key].validate_python(raw), log)
    for section, model_cls in _MAP_MODELS.items():
        for entry in collected.maps[section].values():
            entry.model = _run(entry, model_cls.model_validate, log)
    for entry in collected.maps["channels"].values():
        entry.model = _typed(entry, schema.CHANNEL_TYPES, "channel", log)
    for section, model_cls in _LIST_MODELS.items():
        if section == "commitments":
            _validate_commitments(collected, log)
            continue
        for entry in collected.lists[section]:
            entry.model = _run(entry, model_cls.model_validate, log)
    for entry in collected.lists["sources"]:
        entry.model = _typed(entry, schema.SOURCE_TYPES, "source", log)


def _validate_commitments(collected: Collected, log: IssueLog) -> None:
    """Validate each commitment and convert it at once (the timezone and the agreements, which give
    its zone, are validated before)."""
    timezone_entry = collected.scalars.get("timezone")
    timezone = (timezone_entry.model if timezone_entry is not None else None) or "UTC"
    agreements = {ident: entry.model for ident, entry in collected.by_id("agreements").items()}
    for entry in collected.lists["commitments"]:
        model = _run(entry, schema.CommitmentModel.model_validate, log)
        entry.model = None if model is None else convert_commitment(model, agreements, timezone)


def _typed(entry: Entry, types: Mapping[str, type[BaseModel]], kind: str, log: IssueLog) -> Any:
    """Validate a channel or source against the model its ``type`` names."""
    if not isinstance(entry.raw, dict):
        log.error(entry.place(), entry.field(), f"a {kind} is a mapping with a 'type'")
        return None
    type_name = entry.raw.get("type")
    model_cls = types.get(type_name) if isinstance(type_name, str) else None
    if model_cls is None:
        choices = ", ".join(types)
        if type_name is None:
            log.error(entry.place(), entry.field("type"), f"missing required key 'type' (one of: {choices})")
        else:
            log.error(
                entry.place("type"),
                entry.field("type"),
                f"unknown {kind} type {str(type_name)[:40]!r} (one of: {choices})",
            )
        return None
    return _run(entry, model_cls.model_validate, log)


def _run(entry: Entry, validate: Any, log: IssueLog) -> Any:
    """Validate an entry; once valid its raw data is dropped (nothing reads it after validation)."""
    try:
        model = validate(entry.raw)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            loc = tuple(error["loc"])
            kind = error["type"]
            if kind == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}{_suggest(loc[-1])}"
                place = entry.place(*loc, key=True)
            elif kind == "missing":
                message = f"missing required key {loc[-1]!r}"
                place = entry.place(*loc)
            else:
                message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
                place = entry.place(*loc)
            log.error(place, entry.field(*loc), message)
        return None
    entry.raw = None
    return model
