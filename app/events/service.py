"""Events for the API: one event, the filtered list newest first in keyset pages, the
single write (`record_one`, grouped with concurrent ones) and the batch write
(`record_batch`, shared by events:batch and the MCP tool record_activity). Every write
goes through app.events.store."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlmodel import Session, col

from app.auth.models import ApiKey
from app.core.pagination import Keyset, decode_cursor
from app.events import store
from app.events.models import EVENT_TABLE, Event, EventBatchResult, EventIn
from app.events.problems import pointer_at, store_problem
from app.events.single_writes import Recorded, SingleWrites

# Newest first, through ix_event_user_time (user_id, occurred_at, id).
KEYSET = Keyset(EVENT_TABLE.c.occurred_at, EVENT_TABLE.c.id, uuid.UUID, descending=True)


@dataclass(frozen=True)
class EventFilters:
    platform: str | None = None
    kind: str | None = None
    direction: str | None = None
    counterpart: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    is_sales: bool | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = [
            col(column) == value
            for column, value in (
                (Event.platform, self.platform),
                (Event.kind, self.kind),
                (Event.direction, self.direction),
                (Event.counterpart, self.counterpart),
                (Event.is_sales, self.is_sales),
            )
            if value is not None
        ]
        if self.occurred_from is not None:
            out.append(col(Event.occurred_at) >= self.occurred_from)
        if self.occurred_to is not None:
            out.append(col(Event.occurred_at) < self.occurred_to)
        return out


_NIL = uuid.UUID(int=0)  # below every id


def conditions(
    f: EventFilters, last: tuple[datetime, uuid.UUID] | None
) -> list[ColumnElement[bool]]:
    """The filters and, after a page, the keyset bound. With ``to``, the two upper bounds
    are one row value: occurred_at < to is (occurred_at, id) < (to, nil), so the page stays
    one index range instead of starting at ``to`` and filtering the rows before the cursor."""
    if last is None:
        return f.conditions()
    if f.occurred_to is not None:
        last = min(last, (f.occurred_to, _NIL))
        f = replace(f, occurred_to=None)
    return [*f.conditions(), KEYSET.beyond(last)]


def page_query(
    user_id: uuid.UUID, f: EventFilters, limit: int, cursor: str | None
) -> Select[tuple[Event]]:
    """One page (limit + 1 rows, to know whether another follows) of the filtered events."""
    last = decode_cursor(cursor, uuid.UUID) if cursor else None
    return (
        select(Event)
        .where(col(Event.user_id) == user_id, *conditions(f, last))
        .order_by(*KEYSET.order_by())
        .limit(limit + 1)
    )


def _key(event: Event) -> tuple[datetime, uuid.UUID]:
    return event.occurred_at, event.id


def list_events(
    session: Session, user_id: uuid.UUID, f: EventFilters, limit: int, cursor: str | None
) -> tuple[list[Event], str | None]:
    rows = list(session.execute(page_query(user_id, f, limit, cursor)).scalars())
    return KEYSET.page(rows, limit, _key)


def get_event(session: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
    event = session.get(Event, event_id)
    return event if event is not None and event.user_id == user_id else None


def record(
    session: Session, user_id: uuid.UUID, items: Sequence[EventIn], pointer: str
) -> list[store.Stored]:
    """Store ``items`` atomically (idempotent by external_id); a store error is the problem
    whose items point at ``pointer`` (``#`` for one event, ``#/events/`` for a batch)."""
    try:
        return store.record(session, user_id, items)
    except store.StoreError as exc:
        raise store_problem(exc, pointer_at(pointer)) from None


async def record_one(
    writes: SingleWrites, user_id: uuid.UUID, item: EventIn, key: ApiKey
) -> Recorded:
    """POST …/events: one event, committed with the other requests' single events waiting
    at that moment (app/events/single_writes.py); a store error is the problem it is alone."""
    try:
        return await writes.record(user_id, item, key)
    except store.StoreError as exc:
        raise store_problem(exc, pointer_at("#")) from None


def record_batch(
    session: Session, user_id: uuid.UUID, items: Sequence[EventIn]
) -> EventBatchResult:
    """The events:batch write: all or nothing; ids in input order, repeats counted."""
    stored = record(session, user_id, items, "#/events/")
    flags = store.created_flags(stored)
    created = sum(flags)
    return EventBatchResult(
        created=created, duplicates=len(stored) - created, ids=[s.id for s in stored]
    )
