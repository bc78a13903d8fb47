"""Reads of events by handle (normalised counterpart), for contacts (§10) and §6.7.

- ``handle_figures``: the §6.7 totals of some (or all) handles, counted from the events up
  to an instant, through ix_event_user_counterpart (the recount behind a delete, the exact
  slow path of an ``as_of`` before the user's latest event, and the tests' recount);
- ``handle_window_events``: the events of a few handles in [start, end] (the 90-day
  figures of one page of contacts);
- ``latest_occurred_at``: the user's latest event (one index probe).
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, case, func, select, type_coerce
from sqlmodel import Session

from app.calc.contacts import WindowEvent
from app.calc.vocabulary import CONTACT_KINDS
from app.core.types import UTCDateTime
from app.events.models import EVENT_TABLE

E = EVENT_TABLE.c
_IN_CHUNK = 500


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


class Figures(NamedTuple):
    """§6.7 totals of one handle, or of a contact (summed over its handles).

    A NamedTuple rather than a frozen dataclass: the upkeep of a batch of 1,000 events
    makes a few thousand of them, and a frozen dataclass's ``__init__`` sets each field
    through ``object.__setattr__`` (4 % of an events:batch in py-spy)."""

    first_contact_at: datetime | None = None
    last_contact_at: datetime | None = None
    outbound: int = 0
    inbound: int = 0
    non_sales: int = 0
    sales: int = 0
    first_inbound_at: datetime | None = None
    last_inbound_at: datetime | None = None

    def plus(self, other: "Figures") -> "Figures":
        return Figures(
            _earliest(self.first_contact_at, other.first_contact_at),
            _latest(self.last_contact_at, other.last_contact_at),
            self.outbound + other.outbound,
            self.inbound + other.inbound,
            self.non_sales + other.non_sales,
            self.sales + other.sales,
            _earliest(self.first_inbound_at, other.first_inbound_at),
            _latest(self.last_inbound_at, other.last_inbound_at),
        )

    @classmethod
    def of_event(cls, e: Any) -> "Figures":
        """One event given as a mapping (occurred_at, kind, direction, is_sales)."""
        at: datetime = e["occurred_at"]
        inbound = e["direction"] == "inbound"
        contact = not inbound and e["kind"] in CONTACT_KINDS
        return cls(
            at,
            at,
            int(not inbound),
            int(inbound),
            int(contact and not e["is_sales"]),
            int(contact and bool(e["is_sales"])),
            at if inbound else None,
            at if inbound else None,
        )

    @classmethod
    def of_row(cls, row: Any) -> "Figures":
        return cls._make(_FIGURES_OF(row))

    def values(self) -> dict[str, Any]:
        return self._asdict()


FIGURES = Figures._fields
_FIGURES_OF = attrgetter(*FIGURES)
NONE = Figures()


def total(parts: Iterable[Figures]) -> Figures:
    out = NONE
    for p in parts:
        out = out.plus(p)
    return out


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for first in range(0, len(items), _IN_CHUNK):
        yield items[first : first + _IN_CHUNK]


def handle_figures(
    session: Session,
    user_id: uuid.UUID,
    handles: Iterable[str] | None = None,
    as_of: datetime | None = None,
) -> dict[str, Figures]:
    """handle → its figures from the events (up to as_of when given); a handle asked for
    that has no events gets zeros. ``handles=None``: every handle of the user."""
    inbound = E.direction == "inbound"
    outbound = E.direction == "outbound"
    contact = and_(outbound, E.kind.in_(CONTACT_KINDS))
    stmt = select(
        E.counterpart,
        func.min(E.occurred_at),
        func.max(E.occurred_at),
        func.sum(case((outbound, 1), else_=0)),
        func.sum(case((inbound, 1), else_=0)),
        func.sum(case((and_(contact, E.is_sales.is_(False)), 1), else_=0)),
        func.sum(case((and_(contact, E.is_sales.is_(True)), 1), else_=0)),
        # A CASE loses the column's type (SQLite would answer naive text): coerce it back.
        type_coerce(func.min(case((inbound, E.occurred_at))), UTCDateTime()),
        type_coerce(func.max(case((inbound, E.occurred_at))), UTCDateTime()),
    ).where(E.user_id == user_id, E.counterpart.is_not(None))
    if as_of is not None:
        stmt = stmt.where(E.occurred_at <= as_of)
    stmt = stmt.group_by(E.counterpart)
    asked = None if handles is None else sorted(set(handles))
    parts = [stmt] if asked is None else [stmt.where(E.counterpart.in_(c)) for c in _chunks(asked)]
    out: dict[str, Figures] = dict.fromkeys(asked or [], NONE)
    for part in parts:
        for h, first, last, o, i, n, s, fi, li in session.execute(part):
            out[h] = Figures(first, last, int(o), int(i), int(n), int(s), fi, li)
    return out


@cache
def _window_events_stmt(every_handle: bool) -> Select[Any]:
    handles = (
        E.counterpart.is_not(None)
        if every_handle
        else E.counterpart.in_(bindparam("handles", expanding=True))
    )
    return (
        select(E.counterpart, E.occurred_at, E.kind, E.direction)
        .where(
            E.user_id == bindparam("user_id", type_=E.user_id.type),
            E.occurred_at >= bindparam("start", type_=E.occurred_at.type),
            E.occurred_at <= bindparam("end", type_=E.occurred_at.type),
            handles,
        )
        .order_by(E.occurred_at)
    )


def handle_window_events(
    session: Session,
    user_id: uuid.UUID,
    handles: Iterable[str] | None,
    start: datetime,
    end: datetime,
) -> dict[str, list[WindowEvent]]:
    """handle → its events in [start, end] (oldest first): for a few handles, or for every
    handle (``handles=None``: one read of the user's window, ix_event_user_time). The
    statements are built once (a page of contacts reads them on every request)."""
    params: dict[str, Any] = {"user_id": user_id, "start": start, "end": end}
    if handles is None:
        chunks: Iterable[list[str] | None] = [None]
    else:
        chunks = _chunks(sorted(set(handles)))
    out: dict[str, list[WindowEvent]] = {}
    for chunk in chunks:
        stmt = _window_events_stmt(chunk is None)
        for h, at, kind, direction in session.execute(stmt, {**params, "handles": chunk}):
            out.setdefault(h, []).append(WindowEvent(at, kind, direction))
    return out


@cache
def _latest_stmt() -> Select[Any]:
    return (
        select(E.occurred_at)
        .where(E.user_id == bindparam("user_id", type_=E.user_id.type))
        .order_by(E.occurred_at.desc())
        .limit(1)
    )


def latest_occurred_at(session: Session, user_id: uuid.UUID) -> datetime | None:
    """The user's latest event (ix_event_user_time: one probe)."""
    value: datetime | None = session.execute(
        _latest_stmt(), {"user_id": user_id}
    ).scalar_one_or_none()
    return value


def handles_after(
    session: Session, user_id: uuid.UUID, instant: datetime, cap: int
) -> list[str] | None:
    """The handles with events after ``instant``, read from the events after it in time
    order (a range of ix_event_user_time: the planner must not walk the counterpart index
    for a DISTINCT), or None when more than ``cap`` events are after it."""
    rows = session.execute(
        select(E.counterpart)
        .where(E.user_id == user_id, E.occurred_at > instant)
        .order_by(E.occurred_at)
        .limit(cap + 1)
    ).scalars()
    names = list(rows)
    if len(names) > cap:
        return None
    return sorted({n for n in names if n is not None})
