"""UTCDateTime on every backend: aware in, aware UTC out, naive refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from deadlinewatch.storage import Store, create_db_engine
from deadlinewatch.storage.types import UTCDateTime

metadata = MetaData()
instants = Table(
    "utc_probe", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime, nullable=True)
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    damascus = timezone(timedelta(hours=3))
    written = [
        datetime(2016, 8, 31, 23, 59, 59, 123456, tzinfo=damascus),
        datetime(2016, 3, 24, 12, 0, tzinfo=UTC),
        datetime(2016, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ]
    with engine.begin() as connection:
        connection.execute(insert(instants), [{"id": i, "at": at} for i, at in enumerate(written)])
    with engine.connect() as connection:
        read = list(connection.execute(select(instants.c.at).order_by(instants.c.id)).scalars())
    assert read == written
    assert all(at.tzinfo is not None and at.utcoffset() == timedelta(0) for at in read)
    assert read[0].hour == 20 and read[0].microsecond == 123456


def test_sql_comparison_and_ordering_are_by_instant(engine: Engine) -> None:
    plus3 = timezone(timedelta(hours=3))
    early_local = datetime(2016, 8, 1, 2, 0, tzinfo=plus3)  # 2016-07-31T23:00Z
    late_utc = datetime(2016, 8, 1, 0, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(instants), [{"id": 1, "at": late_utc}, {"id": 2, "at": early_local}])
    with engine.connect() as connection:
        ordered = list(connection.execute(select(instants.c.id).order_by(instants.c.at)).scalars())
        before = connection.execute(
            select(instants.c.id).where(instants.c.at < datetime(2016, 8, 1, 2, 30, tzinfo=plus3))
        ).scalar_one()
    assert ordered == [2, 1]
    assert before == 2


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError) as caught, engine.begin() as connection:
        connection.execute(insert(instants), {"id": 1, "at": datetime(2016, 8, 1, 6, 0)})
    assert isinstance(caught.value.orig, ValueError)
    assert "naive" in str(caught.value.orig)


def test_none_stays_none(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(instants), {"id": 1, "at": None})
    with engine.connect() as connection:
        assert connection.execute(select(instants.c.at)).scalar() is None


def test_store_validates_before_writing(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.add_ack("syria-detainees", datetime(2016, 4, 1, 9, 0))
    assert store.acks() == []
