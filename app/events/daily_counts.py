"""Per-day counters of events, kept in step with the event table.

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
except with probability 2⁻⁴⁰, whenever any of them changes, in any process. The insight
caches (app/insights/window_cache.py) are checked against it.
"""

import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    PrimaryKeyConstraint,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    not_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from app.calc.vocabulary import BROADCASTS, CONTACTS, INTERACTIONS
from app.core import bulk
from app.events.models import Event

COUNTERS = (
    "follows_out",
    "follows_in",
    "unfollows_out",
    "broadcasts_out",
    "interactions_out",
    "contacts_non_sales_out",
    "contacts_sales_out",
    "inbound_non_follow",
)


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


def counters_of(kind: str, direction: str, is_sales: bool) -> tuple[str, ...]:
    """Which counters one event adds to."""
    if direction == "inbound":
        return ("follows_in",) if kind == "follow" else ("inbound_non_follow",)
    names = []
    if kind == "follow":
        names.append("follows_out")
    elif kind == "unfollow":
        names.append("unfollows_out")
    if kind in BROADCASTS:
        names.append("broadcasts_out")
    if kind in INTERACTIONS:
        names.append("interactions_out")
    if kind in CONTACTS:
        names.append("contacts_sales_out" if is_sales else "contacts_non_sales_out")
    return tuple(names)


Key = tuple[uuid.UUID, date, str]


def deltas(events: Iterable[Mapping], sign: int = 1) -> dict[Key, dict[str, int]]:
    """Counter changes for events given as mappings with user_id, occurred_at (UTC),
    platform, kind, direction, is_sales."""
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for e in events:
        occurred: datetime = e["occurred_at"]
        key = (e["user_id"], occurred.date(), e["platform"])
        for name in counters_of(e["kind"], e["direction"], e["is_sales"]):
            out[key][name] += sign
    return out


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
def _upsert(dialect: str):
    """Add the deltas to existing rows (and take the new version), or insert the rows."""
    table = EventDayCount.__table__  # type: ignore[attr-defined]
    stmt = bulk.unnest_insert(table, _COLUMNS) if dialect == "postgresql" else sqlite.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "day", "platform"],
        set_={
            **{name: table.c[name] + stmt.excluded[name] for name in COUNTERS},
            "version": stmt.excluded["version"],
        },
    )


def conditions(c) -> dict[str, object]:
    """Each counter as a SQL condition on event columns `c` (the same definitions as
    `counters_of`): used to count the raw edges of a window and to rebuild the table."""
    out, inb = c.direction == "outbound", c.direction == "inbound"
    return {
        "follows_out": and_(out, c.kind == "follow"),
        "follows_in": and_(inb, c.kind == "follow"),
        "unfollows_out": and_(out, c.kind == "unfollow"),
        "broadcasts_out": and_(out, c.kind.in_(sorted(BROADCASTS))),
        "interactions_out": and_(out, c.kind.in_(sorted(INTERACTIONS))),
        "contacts_non_sales_out": and_(out, c.kind.in_(sorted(CONTACTS)), not_(c.is_sales)),
        "contacts_sales_out": and_(out, c.kind.in_(sorted(CONTACTS)), c.is_sales),
        "inbound_non_follow": and_(inb, c.kind != "follow"),
    }


def sums(c, names: Iterable[str]) -> list:
    conds = conditions(c)
    return [func.coalesce(func.sum(case((conds[n], 1), else_=0)), 0).label(n) for n in names]


def rebuild(connection: Connection) -> None:
    """Recompute all counters from the events (after a bulk load that bypassed the API)."""
    events = Event.__table__.c  # type: ignore[attr-defined]
    table = EventDayCount.__table__  # type: ignore[attr-defined]
    if connection.dialect.name == "sqlite":
        day = func.date(events.occurred_at)
    else:
        day = cast(func.timezone("UTC", events.occurred_at), Date)
    select_ = select(events.user_id, day, events.platform, *sums(events, COUNTERS)).group_by(
        events.user_id, day, events.platform
    )
    connection.execute(delete(table))
    connection.execute(
        insert(table).from_select(["user_id", "day", "platform", *COUNTERS], select_)
    )
    # Fresh versions: a process that cached against the old rows must not match the new ones.
    random_40_bits = (
        func.random().op("&")((1 << 40) - 1)
        if connection.dialect.name == "sqlite"
        else cast(func.floor(func.random() * (1 << 40)), BigInteger)
    )
    connection.execute(table.update().values(version=random_40_bits))
