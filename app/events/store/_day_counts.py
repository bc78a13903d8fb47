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

Beside the counts, each row keeps the first and the last instant of the day's outbound
broadcasts. With them a local day that shares its UTC days with its neighbours is told
exactly from these rows (a post in the tail of one UTC day is one at or after the local
day's start, ≤ the last instant; one in the head, < its end, ≥ the first), so the current
streak never probes the events day by day. An insert widens the bounds in the upsert; a
delete of a broadcast re-reads its day's bounds from the events, after the upsert has
taken the row (so concurrent deletes of one day serialise on it and the last one reads
what both left).

The counters themselves are defined once, in _counters.py.
"""

import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    PrimaryKeyConstraint,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Field, Session, SQLModel

from app.calc.vocabulary import BROADCASTS
from app.core import bulk
from app.core.types import UTCDateTime
from app.events.models import EVENT_TABLE
from app.events.store._counters import (
    COUNTERS,
    Key,
    broadcast_bound_columns,
    broadcast_bounds,
    deltas,
    sums,
)
from app.users.models import USER_TABLE


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
    first_broadcast_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_broadcast_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


DAY_TABLE = SQLModel.metadata.tables["event_day_count"]
D = DAY_TABLE.c
assert all(name in D for name in COUNTERS), "a counter without a column"


def new_version() -> int:
    """From os.urandom, so forked workers never draw the same sequence."""
    return secrets.randbits(40)


# session.info: user id → that user's app_user.events_version as this transaction read it
# (noted by authentication, `note_user_version`). The window cache takes an entry kept with
# the same number as still good without reading the counter rows' fingerprint: the number
# is replaced in the transaction of every change to the user's counter rows (here), so an
# equal one means none committed since the entry's statements read them (they ran after
# the number was read, so they saw those rows at least as new as the number; SQLite reads
# one snapshot a transaction, PostgreSQL's READ COMMITTED a newer one a statement). Once this
# transaction changes the rows itself, its number is forgotten: what it reads from then on
# is its own uncommitted state, which no entry may be taken for.
_USER_VERSIONS = "rapport_user_events_versions"


def note_user_version(session: Session, user_id: uuid.UUID, version: int) -> None:
    session.info.setdefault(_USER_VERSIONS, {})[user_id] = version


def user_version(session: Session, user_id: uuid.UUID) -> int | None:
    """The user's events_version read in this transaction, or None (not read, or changed)."""
    versions: dict[uuid.UUID, int] = session.info.get(_USER_VERSIONS, {})
    return versions.get(user_id)


@cache
def _touch_user_stmt() -> Any:
    return (
        USER_TABLE.update()
        .where(USER_TABLE.c.id == bindparam("user_id"))
        .values(events_version=bindparam("version"))
    )


def touch_users(session: Session, user_ids: Iterable[uuid.UUID]) -> None:
    """New events_version for users whose counter rows this transaction is about to change
    (called first: record and delete lock their users' rows before any other row, so every
    writer takes user rows, then handles and contacts, then counter rows). One statement a
    user, in id order, so two transactions lock the rows in one order."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    session.execute(_touch_user_stmt(), [{"user_id": u, "version": new_version()} for u in ids])
    versions: dict[uuid.UUID, int] = session.info.get(_USER_VERSIONS, {})
    for u in ids:
        versions.pop(u, None)


def apply(session: Session, events: Iterable[Mapping[Any, Any]], sign: int = 1) -> None:
    """Count events in (sign 1) or out (sign -1): mappings with user_id, occurred_at (UTC),
    platform, kind, direction, is_sales."""
    events = list(events)
    changes = deltas(events, sign)
    if not changes:
        return
    bounds = broadcast_bounds(events) if sign > 0 else {}
    rows = [
        {
            "user_id": k[0],
            "day": k[1],
            "platform": k[2],
            **changes[k],
            "version": new_version(),
            _FIRST: bounds[k][0] if k in bounds else None,
            _LAST: bounds[k][1] if k in bounds else None,
        }
        for k in sorted(changes, key=str)
    ]
    if session.get_bind().dialect.name == "postgresql":  # one statement for all the rows
        _pg_upsert().execute(session, bulk.as_arrays(rows, _COLUMNS))
    else:
        _sqlite_upsert().execute(session, rows)  # compiled once, executed for every row
    if sign < 0:
        removed = broadcast_bounds(events)
        if removed:
            session.execute(
                _refresh_bounds(), [_bounds_params(k) for k in sorted(removed, key=str)]
            )


_FIRST, _LAST = "first_broadcast_out_at", "last_broadcast_out_at"
_COLUMNS = ("user_id", "day", "platform", *COUNTERS, "version", _FIRST, _LAST)


def _widen(current: Any, new: Any, wider: Any) -> Any:
    """The bound after an insert: the new one where there was none or it is wider."""
    return case((new.is_(None), current), (current.is_(None), new), (wider, new), else_=current)


@cache
def _upsert(dialect: str) -> Insert:
    """Add the deltas to existing rows (and take the new version), or insert the rows."""
    stmt: postgresql.Insert | sqlite.Insert = (
        bulk.unnest_insert(DAY_TABLE, _COLUMNS)
        if dialect == "postgresql"
        else sqlite.insert(DAY_TABLE)
    )
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "day", "platform"],
        set_={
            **{name: D[name] + new[name] for name in COUNTERS},
            "version": new["version"],
            _FIRST: _widen(D[_FIRST], new[_FIRST], new[_FIRST] < D[_FIRST]),
            _LAST: _widen(D[_LAST], new[_LAST], new[_LAST] > D[_LAST]),
        },
    )


@cache
def _pg_upsert() -> bulk.Precompiled:
    return bulk.Precompiled(_upsert(postgresql.dialect.name))


@cache
def _sqlite_upsert() -> bulk.Precompiled:
    return bulk.Precompiled(_upsert(sqlite.dialect.name))


def _bounds_params(key: Key) -> dict[str, Any]:
    user_id, day, platform = key
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return {
        "k_user": user_id,
        "k_day": day,
        "k_platform": platform,
        "k_start": start,
        "k_end": start + timedelta(days=1),
    }


@cache
def _refresh_bounds() -> Any:
    """Re-read one day's broadcast bounds from its events (index range of one UTC day)."""
    e = EVENT_TABLE.c
    of_day = and_(
        e.user_id == bindparam("k_user"),
        e.platform == bindparam("k_platform"),
        e.direction == "outbound",
        e.kind.in_(sorted(BROADCASTS)),
        e.occurred_at >= bindparam("k_start", type_=UTCDateTime),
        e.occurred_at < bindparam("k_end", type_=UTCDateTime),
    )
    return (
        update(DAY_TABLE)
        .where(
            D.user_id == bindparam("k_user"),
            D.day == bindparam("k_day"),
            D.platform == bindparam("k_platform"),
        )
        .values(
            {
                _FIRST: select(func.min(e.occurred_at)).where(of_day).scalar_subquery(),
                _LAST: select(func.max(e.occurred_at)).where(of_day).scalar_subquery(),
            }
        )
    )


def rebuild(connection: Connection) -> None:
    """Recompute all counters from the events (after a bulk load that bypassed the API)."""
    events = EVENT_TABLE.c
    day: Any = (
        func.date(events.occurred_at)
        if connection.dialect.name == "sqlite"
        else cast(func.timezone("UTC", events.occurred_at), Date)
    )
    select_ = select(
        events.user_id,
        day,
        events.platform,
        *sums(events, COUNTERS),
        *broadcast_bound_columns(events),
    ).group_by(events.user_id, day, events.platform)
    connection.execute(delete(DAY_TABLE))
    connection.execute(
        DAY_TABLE.insert().from_select(
            ["user_id", "day", "platform", *COUNTERS, _FIRST, _LAST], select_
        )
    )
    # Fresh versions: a process that cached against the old rows must not match the new ones.
    random_40_bits = (
        func.random().op("&")((1 << 40) - 1)
        if connection.dialect.name == "sqlite"
        else cast(func.floor(func.random() * (1 << 40)), BigInteger)
    )
    connection.execute(DAY_TABLE.update().values(version=random_40_bits))
    connection.execute(USER_TABLE.update().values(events_version=random_40_bits))
