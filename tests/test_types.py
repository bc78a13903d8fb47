"""UTCDateTime's fused SQLite bind: the same text SQLite's DATETIME would store after the
decorator's conversion to naive UTC, for any aware instant; naive ones refused."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from app.core.types import UTCDateTime

DIALECT = sqlite.dialect()
FUSED = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
COMPOSED = sqlite.DATETIME().bind_processor(DIALECT)
ZONES = st.sampled_from(
    [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
    + [timezone(timedelta(minutes=m)) for m in (-720, -1, 1, 345, 840)]
)


def stored_before(value: datetime) -> str:
    """What SQLAlchemy stored before the fused processor: naive UTC, then its format."""
    return COMPOSED(value.astimezone(UTC).replace(tzinfo=None))


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES))
def test_the_fused_bind_stores_what_the_two_steps_stored(value: datetime) -> None:
    assert FUSED is not None
    assert FUSED(value) == stored_before(value)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Berlin's 23-hour day, whole seconds
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),  # 25 hours
        datetime(999, 1, 1, tzinfo=UTC),  # a year of three digits is padded to four
        datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_edges(value: datetime) -> None:
    assert FUSED is not None
    assert FUSED(value) == stored_before(value)
    assert len(FUSED(value)) == 26  # always with microseconds


def test_naive_and_none() -> None:
    assert FUSED is not None
    assert FUSED(None) is None
    with pytest.raises(ValueError, match="naive"):
        FUSED(datetime(2026, 12, 4, 12, 0))


def test_postgresql_keeps_the_decorators_conversion() -> None:
    dialect = postgresql.psycopg.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    value = datetime(2026, 12, 4, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    converted = process(value) if process else UTCDateTime().process_bind_param(value, dialect)
    assert converted == value and converted.tzinfo == UTC
