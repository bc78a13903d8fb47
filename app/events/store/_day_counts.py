"""Per-day counters of events, kept in step with the event table by the store's writes.

Dense windows (a year of a busy account) must not be re-counted event by event on every
request. Each row holds one user's counts for one UTC day on one platform; an insight over
[start, end] sums the whole UTC days inside the window from here and counts only the two
partial edge days from the events themselves, so the answer stays exact while the work
is bounded by ~days × platforms rows plus at most two days of events.

Rows are keyed by UTC day, not the user's local day, so a change of time zone never
invalidates them. Writers upsert deltas in key order (no deadlocks between writers).

`version` gets a fresh random 40-bit number whenever a row changes (also on a delete, and
in a transaction that is later rolled back, which restores the old number). The sum of
`version` over a span of days is therefore a fingerprint of those days' events: it changes,
except with probability 2⁻⁴⁰, whenever any of them changes, in any process. The window
cache (_window_cache.py) is checked against it.

The counters themselves are defined once, in _counters.py.
"""

import secrets
import uuid
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    PrimaryKeyConstraint,
    cast,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Field, Session, SQLModel

from app.core import bulk
from app.events.models import EVENT_TABLE
from app.events.store._counters import COUNTERS, Key, sums


class EventDayCount(SQLModel, table=True):
    __tablename__ = "event_day_count"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "day", "platform", name="pk_event_day_count"),
    )

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    day: date
    platform: str = Field(max_length=16)
    follows_out: int = 0
    follows_in: int = 0
    unfollows_out: int = 0
    broadcasts_out: int = 0
    interactions_out: int = 0
    contacts_non_sales_out: int = 0
    contacts_sales_out: int = 0
    inbound_non_follow: int = 0
    version: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


DAY_TABLE = SQLModel.metadata.tables["event_day_count"]
D = DAY_TABLE.c
assert all(name in D for name in COUNTERS), "a counter without a column"


def new_version() -> int:
    """From os.urandom, so forked workers never draw the same sequence."""
    return secrets.randbits(40)


def apply(session: Session, changes: Mapping[Key, Mapping[str, int]]) -> None:
    if not changes:
        return
    rows = [
        {"user_id": k[0], "day": k[1], "platform": k[2], **changes[k], "version": new_version()}
        for k in sorted(changes, key=str)
    ]
    if session.get_bind().dialect.name == "postgresql":  # one statement for all the rows
        session.execute(_upsert(postgresql.dialect.name), bulk.as_arrays(rows, _COLUMNS))
    else:
        session.execute(_upsert(sqlite.dialect.name), rows)  # compiled once, executed for every row


_COLUMNS = ("user_id", "day", "platform", *COUNTERS, "version")


@cache
def _upsert(dialect: str) -> Insert:
    """Add the deltas to existing rows (and take the new version), or insert the rows."""
    stmt: postgresql.Insert | sqlite.Insert = (
        bulk.unnest_insert(DAY_TABLE, _COLUMNS)
        if dialect == "postgresql"
        else sqlite.insert(DAY_TABLE)
    )
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "day", "platform"],
        set_={
            **{name: D[name] + stmt.excluded[name] for name in COUNTERS},
            "version": stmt.excluded["version"],
        },
    )


def rebuild(connection: Connection) -> None:
    """Recompute all counters from the events (after a bulk load that bypassed the API)."""
    events = EVENT_TABLE.c
    day: Any = (
        func.date(events.occurred_at)
        if connection.dialect.name == "sqlite"
        else cast(func.timezone("UTC", events.occurred_at), Date)
    )
    select_ = select(events.user_id, day, events.platform, *sums(events, COUNTERS)).group_by(
        events.user_id, day, events.platform
    )
    connection.execute(delete(DAY_TABLE))
    connection.execute(
        DAY_TABLE.insert().from_select(["user_id", "day", "platform", *COUNTERS], select_)
    )
    # Fresh versions: a process that cached against the old rows must not match the new ones.
    random_40_bits = (
        func.random().op("&")((1 << 40) - 1)
        if connection.dialect.name == "sqlite"
        else cast(func.floor(func.random() * (1 << 40)), BigInteger)
    )
    connection.execute(DAY_TABLE.update().values(version=random_40_bits))
