"""Deterministic SQL functions that SQLite lacks, registered on every SQLite connection.

PostgreSQL does the same work natively (``timestamptz AT TIME ZONE :tz``).
"""

from datetime import UTC, datetime
from functools import lru_cache
from sqlite3 import Connection
from zoneinfo import ZoneInfo

LOCAL_DATE = "rapport_local_date"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(stored: str | None, tz_name: str | None) -> str | None:
    """``rapport_local_date(occurred_at, 'Europe/Berlin')`` → ``'2026-11-02'``.

    ``stored`` is the naive UTC text SQLite keeps for a UTCDateTime column
    (``'2026-11-02 10:00:00.000000'``); the answer is the ISO date on the wall calendar of
    ``tz_name`` at that instant. NULL in, NULL out.
    """
    if stored is None or tz_name is None:
        return None
    instant = datetime.fromisoformat(str(stored))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(_zone(tz_name)).date().isoformat()


def register(dbapi_connection: Connection) -> None:
    dbapi_connection.create_function(LOCAL_DATE, 2, local_date, deterministic=True)
