"""Leader election (SPEC §10): one replica plans and polls.

PostgreSQL (``DEADLINEWATCH_TEST_POSTGRES_URL``, a fresh schema per test): two :class:`Leadership`
objects on one database, each with its own engine like two replicas: exactly one leads; when the
leader's backend is terminated from a third connection (``pg_terminate_backend``, a real failure)
the other takes over, and the old one stays a follower; a clean close hands over too; deployments
in different schemas each have their own leader. SQLite: always the leader.

Intervals are the real ones (~2 s); waits are failure guards, never measured.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from deadlinewatch.services.leadership import Leadership, leader_lock_key
from deadlinewatch.storage import create_db_engine
from deadlinewatch.storage.database import MIGRATION_LOCK_KEY
from support.postgres import base_url_or_skip, schema_url

GUARD_SECONDS = 15.0


@pytest.fixture
def postgres_schemas() -> Iterator[Callable[[], str]]:
    """Makes fresh schemas (URLs with ``search_path``) on the test PostgreSQL; drops them after."""
    base = base_url_or_skip()
    admin = create_engine(base)
    made: list[str] = []

    def make() -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return schema_url(base, schema)

    try:
        yield make
    finally:
        with admin.begin() as connection:
            for schema in made:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engines() -> Iterator[Callable[[str], Engine]]:
    made: list[Engine] = []

    def make(url: str) -> Engine:
        engine = create_db_engine(url)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


async def _until(condition: Callable[[], bool], what: str, guard: float = GUARD_SECONDS) -> None:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > guard:
            pytest.fail(f"timed out after {guard:g} s waiting for {what}")
        await asyncio.sleep(0.05)


def _holder_pid(engine: Engine, key: int) -> int | None:
    """The backend holding the session advisory lock ``key`` (a bigint key shows in ``pg_locks``
    as classid = high 32 bits, objid = low 32 bits, objsubid = 1)."""
    with engine.connect() as connection:
        pid = connection.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid = :hi AND objid = :lo AND objsubid = 1"
            ),
            {"hi": key >> 32, "lo": key & 0xFFFF_FFFF},
        ).scalar()
    return int(pid) if pid is not None else None


def test_sqlite_is_always_the_leader(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'deadlinewatch.db'}")

    async def main() -> None:
        leadership = Leadership(engine)
        changes: list[bool] = []
        leadership.on_change(changes.append)
        assert leadership.is_leader
        await leadership.start()
        assert leadership.is_leader and leadership.elected.is_set()
        await asyncio.sleep(0.2)
        assert leadership.is_leader
        await leadership.close()
        assert changes == []  # no transitions on SQLite

    try:
        asyncio.run(main())
    finally:
        engine.dispose()


def test_lock_key_differs_from_the_migration_lock() -> None:
    for schema in ("public", "", "t_0123456789abcdef"):
        key = leader_lock_key(schema)
        assert key != MIGRATION_LOCK_KEY
        assert 0 < key < 2**63  # a PostgreSQL bigint


@pytest.mark.postgres
def test_exactly_one_leader_and_takeover_when_its_backend_is_terminated(
    postgres_schemas: Callable[[], str], engines: Callable[[str], Engine]
) -> None:
    url = postgres_schemas()
    admin = engines(url)

    async def main() -> None:
        first, second = Leadership(engines(url)), Leadership(engines(url))
        changes: dict[str, list[bool]] = {"first": [], "second": []}
        first.on_change(changes["first"].append)
        second.on_change(changes["second"].append)
        try:
            await first.start()
            await second.start()
            assert first.is_leader and not second.is_leader
            # Over a few election rounds, still exactly one.
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                assert [first.is_leader, second.is_leader].count(True) == 1
                await asyncio.sleep(0.1)
            assert first.is_leader
            key = first.lock_key
            assert key is not None and key == second.lock_key
            pid = await asyncio.to_thread(_holder_pid, admin, key)
            assert pid is not None, "the leader's lock is not visible in pg_locks"

            def terminate() -> None:
                with admin.connect() as connection:
                    assert connection.execute(
                        text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                    ).scalar()

            await asyncio.to_thread(terminate)
            await _until(lambda: second.is_leader, "the other replica to take over")
            await _until(lambda: not first.is_leader, "the old leader to notice its lost connection")
            # The old leader competes again on a new connection, and loses.
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                assert second.is_leader and not first.is_leader
                await asyncio.sleep(0.1)
            new_pid = await asyncio.to_thread(_holder_pid, admin, key)
            assert new_pid is not None and new_pid != pid
            assert changes == {"first": [True, False], "second": [True]}
        finally:
            await first.close()
            await second.close()

    asyncio.run(main())


@pytest.mark.postgres
def test_a_clean_close_hands_leadership_over(
    postgres_schemas: Callable[[], str], engines: Callable[[str], Engine]
) -> None:
    url = postgres_schemas()
    admin = engines(url)

    async def main() -> None:
        first, second = Leadership(engines(url)), Leadership(engines(url))
        try:
            await first.start()
            await second.start()
            assert first.is_leader and not second.is_leader
            key = first.lock_key
            assert key is not None
            await first.close()
            assert not first.is_leader
            await _until(lambda: second.is_leader, "the other replica to take over after a close")
            holder = await asyncio.to_thread(_holder_pid, admin, key)
            assert holder is not None
            # The closed one no longer competes.
            await asyncio.sleep(2.5)
            assert not first.is_leader and second.is_leader
        finally:
            await first.close()
            await second.close()
        assert await asyncio.to_thread(_holder_pid, admin, key) is None

    asyncio.run(main())


@pytest.mark.postgres
def test_each_schema_has_its_own_leader(
    postgres_schemas: Callable[[], str], engines: Callable[[str], Engine]
) -> None:
    async def main() -> None:
        one, other = Leadership(engines(postgres_schemas())), Leadership(engines(postgres_schemas()))
        try:
            await one.start()
            await other.start()
            assert one.is_leader and other.is_leader
            assert one.lock_key != other.lock_key
        finally:
            await one.close()
            await other.close()

    asyncio.run(main())
