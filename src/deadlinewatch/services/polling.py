"""Polling status sources: fetch, find, record, and keep each source's health.

:class:`SourcePoller` polls one source at a time (``poll`` never raises: a hostile source only marks
itself failing). What it finds becomes:

- status changes, written with ``store.add_status_change`` (origin = the source id), followed by
  one ``on_status_change()`` call per poll that recorded any;
- ``evidence`` events through ``emit`` (subject = the commitment id);
- ``source_failing`` on the 3rd consecutive failure and ``source_recovered`` on the first success
  after it (subject = the source id, ``detail`` = the reason). The counter and the failing flag
  live in the store, so they survive restarts.

Choices (also in the README):

- The first successful poll of a feed records every item it holds as seen and emits nothing: a new
  source reports what happens from now on, not its archive. A ``file`` source is the operator's own
  record, so its rows apply from the first read.
- A failed poll keeps the previous validators (ETag / Last-Modified): otherwise the next poll would
  get a 304 for the very document that failed and "recover" without reading it.
- Feed items are marked seen before their evidence is emitted: a crash in between loses that
  evidence rather than repeating it forever.
- Several evidence events for one commitment in one poll get occurrence instants a microsecond
  apart, so their notification keys stay distinct.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import httpx

from deadlinewatch.config.schema import FeedSource, FileSource, HttpJsonSource, SourceConfig
from deadlinewatch.domain.events import EventData, Evidence, SourceFailing, SourceRecovered
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import EventKind, Status
from deadlinewatch.sources.base import Findings, ProposedChange, SourceError, approximate_seconds, shorten
from deadlinewatch.sources.feed import match_rules, parse_feed
from deadlinewatch.sources.fetch import DEFAULT_MAX_BYTES, FetchOutcome, Validators, fetch
from deadlinewatch.sources.file import fingerprint, parse_rows, read_file
from deadlinewatch.sources.http_json import evaluate_document, parse_json
from deadlinewatch.storage import Store
from deadlinewatch.storage.records import SourceState

__all__ = ["FAILING_AFTER", "Emit", "PollOutcome", "PollReport", "SourcePoller", "jitter_for"]

_T = TypeVar("_T")
log = logging.getLogger(__name__)

FAILING_AFTER = 3
BASELINE_KEY = "deadlinewatch:baseline"  # marked seen by a feed's first poll (no NUL: PostgreSQL text)
MAX_LAST_ERROR = 2_000

# (subject, occurred, event, detail); called on the database worker (see ``run_db``).
Emit = Callable[[str, datetime, EventData, str | None], None]


class PollOutcome(StrEnum):
    UPDATED = "updated"  # read and evaluated (possibly finding nothing new)
    NOT_MODIFIED = "not_modified"  # 304, or an unchanged file: nothing parsed
    FAILED = "failed"


@dataclass(frozen=True)
class PollReport:
    source_id: str
    outcome: PollOutcome
    reason: str | None = None
    status_changes: int = 0
    evidence: int = 0
    new_items: int = 0
    baseline: bool = False  # a feed's first successful poll: items recorded, nothing emitted
    problems: tuple[str, ...] = ()
    events: tuple[EventKind, ...] = field(default=())  # source_failing / source_recovered raised

    @property
    def ok(self) -> bool:
        return self.outcome is not PollOutcome.FAILED


@dataclass
class _Result:
    outcome: PollOutcome
    validators: Validators
    findings: Findings = field(default_factory=Findings)
    new_items: int = 0
    baseline: bool = False
    keep_last_error: bool = False


def jitter_for(source: SourceConfig) -> float:
    """Seconds of random delay to allow each run of ``source`` (APScheduler's ``jitter``): a tenth
    of its interval, at most five minutes, so sources with one ``every`` do not poll in step."""
    return min(approximate_seconds(source.every) / 10.0, 300.0)


class SourcePoller:
    def __init__(
        self,
        store: Store,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], datetime],
        current_status: Callable[[str], Status],
        commitment_ids: Callable[[], Collection[str]],
        emit: Emit,
        on_status_change: Callable[[], None],
        max_bytes: int = DEFAULT_MAX_BYTES,
        file_root: Path | None = None,
        run_db: Callable[[Callable[[], Any]], Awaitable[Any]] | None = None,
    ) -> None:
        """``commitment_ids()`` gives the watchlist's ids (read at each poll, so reloads count);
        ``file_root`` resolves relative ``file`` source paths (default: the working directory).
        Every database step (and ``emit``/``on_status_change``, which it calls) runs through
        ``run_db``, never on the event loop: the service passes its planning worker; the default
        is a fresh worker thread per step."""
        self._store = store
        self._client = client
        self._clock = clock
        self._current_status = current_status
        self._commitment_ids = commitment_ids
        self._emit = emit
        self._on_status_change = on_status_change
        self._max_bytes = max_bytes
        self._file_root = file_root
        self._locks: dict[str, asyncio.Lock] = {}
        self._run_db = run_db or _to_thread

    async def _db(self, step: Callable[[], _T]) -> _T:
        result: _T = await self._run_db(step)
        return result

    async def poll(self, source: SourceConfig) -> PollReport:
        """Poll ``source`` once and record what it says. Never raises (except cancellation)."""
        lock = self._locks.setdefault(source.id, asyncio.Lock())
        async with lock:
            try:
                return await self._poll(source)
            except Exception as exc:  # the store or a callback failed: report, never propagate
                log.exception("polling source %s failed unexpectedly", source.id)
                reason = f"internal error: {type(exc).__name__}: {shorten(str(exc))}"
                return PollReport(source.id, PollOutcome.FAILED, reason)

    async def _poll(self, source: SourceConfig) -> PollReport:
        now = self._clock()
        state = await self._db(lambda: self._store.source_state(source.id)) or SourceState(source.id)
        validators = Validators(state.etag, state.last_modified)
        try:
            result = await self._read(source, validators, now)
        except SourceError as exc:
            reason = exc.reason
            return await self._db(lambda: self._failed(source, state, validators, reason, now))
        applied, evidence = await self._db(lambda: self._apply(source, result.findings, now))
        report = PollReport(
            source.id,
            result.outcome,
            status_changes=applied,
            evidence=evidence,
            new_items=result.new_items,
            baseline=result.baseline,
            problems=result.findings.problems,
        )
        failure = result.findings.failure
        if failure is not None:
            failed = await self._db(lambda: self._failed(source, state, validators, failure, now))
            return replace(report, outcome=PollOutcome.FAILED, reason=failed.reason, events=failed.events)
        for problem in result.findings.problems:
            log.warning("source %s: %s", source.id, problem)
        last_error = state.last_error if result.keep_last_error else _joined(result.findings.problems)
        events: tuple[EventKind, ...] = ()
        if state.failing:
            events = (EventKind.SOURCE_RECOVERED,)
            log.info("source %s recovered", source.id)
        saved = SourceState(
            source.id,
            etag=result.validators.etag,
            last_modified=result.validators.last_modified,
            consecutive_failures=0,
            failing=False,
            last_error=last_error,
            updated_at=now,
        )

        def record() -> None:
            if state.failing:
                failures, last = state.consecutive_failures, state.last_error
                detail = f"recovered after {failures} failed polls; last: {last}"
                self._emit(source.id, now, SourceRecovered(state.last_error), detail)
            self._store.save_source_state(saved)

        await self._db(record)
        return replace(report, events=events)

    # --- reading -------------------------------------------------------------------------------

    async def _read(self, source: SourceConfig, validators: Validators, now: datetime) -> _Result:
        timeout = approximate_seconds(source.timeout)
        if isinstance(source, FileSource):
            try:
                async with asyncio.timeout(timeout):
                    return await self._read_file(source, validators, now)
            except TimeoutError:
                raise SourceError(f"reading the file took longer than {timeout:g} s") from None
        headers = source.headers if isinstance(source, HttpJsonSource) else None
        fetched = await fetch(
            self._client,
            source.url,
            headers=headers,
            validators=validators,
            timeout=timeout,
            max_bytes=self._max_bytes,
        )
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            return _Result(PollOutcome.NOT_MODIFIED, fetched.validators)
        if isinstance(source, FeedSource):
            items = await asyncio.to_thread(parse_feed, fetched.body, fetched.content_type)
            keys = [*(i.key for i in items), BASELINE_KEY]
            fresh = await self._db(lambda: self._store.mark_items_seen(source.id, keys, now))
            if BASELINE_KEY in fresh:
                return _Result(PollOutcome.UPDATED, fetched.validators, baseline=True)
            new = [item for item in items if item.key in fresh]
            evidence, changes = match_rules(source.id, source.rules, new, now)
            findings = Findings(changes=tuple(changes), evidence=tuple(evidence))
            return _Result(PollOutcome.UPDATED, fetched.validators, findings, new_items=len(new))
        document = await asyncio.to_thread(parse_json, fetched.body)
        findings = evaluate_document(source, document, self._commitment_ids(), self._current_status, now)
        return _Result(PollOutcome.UPDATED, fetched.validators, findings)

    async def _read_file(self, source: FileSource, validators: Validators, now: datetime) -> _Result:
        path = Path(source.path)
        if self._file_root is not None and not path.is_absolute():
            path = self._file_root / path
        stat = await asyncio.to_thread(fingerprint, path)
        if stat == validators.last_modified and validators.etag:
            return _Result(PollOutcome.NOT_MODIFIED, validators, keep_last_error=True)
        data, digest = await asyncio.to_thread(read_file, path, self._max_bytes)
        if digest == validators.etag:
            return _Result(PollOutcome.NOT_MODIFIED, Validators(digest, stat), keep_last_error=True)
        rows, problems = parse_rows(path, data, self._commitment_ids())
        row_keys = [row.key for row in rows]
        fresh = await self._db(lambda: self._store.mark_items_seen(source.id, row_keys, now))
        changes = [row for row in rows if row.key in fresh]
        findings = Findings(
            changes=tuple(ProposedChange(row.commitment_id, row.change(source.id, now)) for row in changes),
            problems=tuple(str(problem) for problem in problems),
        )
        return _Result(PollOutcome.UPDATED, Validators(digest, stat), findings, new_items=len(changes))

    # --- acting --------------------------------------------------------------------------------

    def _apply(self, source: SourceConfig, findings: Findings, now: datetime) -> tuple[int, int]:
        per_commitment: dict[str, int] = {}
        for item in findings.evidence:
            offset = per_commitment.get(item.commitment_id, 0)
            per_commitment[item.commitment_id] = offset + 1
            data = Evidence(
                source=source.id,
                title=item.title,
                link=item.link,
                published=format_utc(item.published) if item.published else None,
                matched=item.matched,
            )
            occurred = now + timedelta(microseconds=offset)
            self._emit(item.commitment_id, occurred, data, None)
        current: dict[str, Status] = {}
        applied = 0
        for proposed in findings.changes:
            cid = proposed.commitment_id
            before = current[cid] if cid in current else self._current_status(cid)
            if proposed.change.status == before:
                continue
            self._store.add_status_change(cid, proposed.change, now)
            current[cid] = proposed.change.status
            applied += 1
        if applied:
            self._on_status_change()
        return applied, len(findings.evidence)

    def _failed(
        self, source: SourceConfig, state: SourceState, validators: Validators, reason: str, now: datetime
    ) -> PollReport:
        failures = state.consecutive_failures + 1
        failing = state.failing or failures >= FAILING_AFTER
        log.warning("source %s failed (%d in a row): %s", source.id, failures, reason)
        events: tuple[EventKind, ...] = ()
        if failing and not state.failing:
            self._emit(source.id, now, SourceFailing(reason), reason)
            events = (EventKind.SOURCE_FAILING,)
        self._store.save_source_state(
            SourceState(
                source.id,
                etag=validators.etag,
                last_modified=validators.last_modified,
                consecutive_failures=failures,
                failing=failing,
                last_error=shorten(reason, MAX_LAST_ERROR),
                updated_at=now,
            )
        )
        return PollReport(source.id, PollOutcome.FAILED, reason, events=events)


def _joined(problems: tuple[str, ...]) -> str | None:
    if not problems:
        return None
    return shorten("; ".join(problems), MAX_LAST_ERROR)


async def _to_thread(step: Callable[[], _T]) -> _T:
    return await asyncio.to_thread(step)
