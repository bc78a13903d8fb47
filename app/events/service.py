"""Recording and reading events.

Writes are idempotent by (user, external_id): a repeat with the same content answers the
stored event, a repeat with other content is a conflict. Inserts use the database's
ON CONFLICT DO NOTHING, so two replicas racing on one external_id cannot both win.
"""

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from app.core import bulk
from app.core.errors import (
    CONCURRENT_CHANGE,
    EXTERNAL_ID_CONFLICT,
    ProblemError,
    validation_problem,
)
from app.core.pagination import decode_cursor, encode_cursor
from app.core.types import utc_now
from app.events import daily_counts
from app.events.models import Event, EventIn, stored_content

_TABLE = Event.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Stored:
    id: uuid.UUID
    created: bool


def _conflict(pointers: list[tuple[str, uuid.UUID]]) -> ProblemError:
    errors = [
        {
            "pointer": p,
            "detail": f"external_id is already used by event {existing} with different content",
        }
        for p, existing in pointers
    ]
    extra: dict[str, Any] = {"existing_id": str(pointers[0][1])} if len(pointers) == 1 else {}
    return EXTERNAL_ID_CONFLICT.error(
        "An event with this external_id already exists with different content; nothing was written. "
        "Send the same content to retry safely, or use a new external_id.",
        errors=errors,
        **extra,
    )


def _existing(
    session: Session, user_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, Event]:
    if not external_ids:
        return {}
    rows = session.execute(
        select(Event).where(Event.user_id == user_id, Event.external_id.in_(external_ids))  # type: ignore[union-attr,arg-type]
    ).scalars()
    return {e.external_id: e for e in rows if e.external_id is not None}


_COLUMNS = (
    "id",
    "user_id",
    "platform",
    "kind",
    "direction",
    "occurred_at",
    "counterpart",
    "is_sales",
    "url",
    "text",
    "external_id",
    "created_at",
)


@cache
def _pg_insert():
    return (
        bulk.unnest_insert(_TABLE, _COLUMNS)
        .on_conflict_do_nothing(index_elements=["user_id", "external_id"])
        .returning(_TABLE.c.id)
    )


def _insert(session: Session, rows: list[dict]) -> set[uuid.UUID]:
    """Insert rows, skipping (user_id, external_id) already stored; the ids actually inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":  # one statement for the whole batch
        return set(session.execute(_pg_insert(), bulk.as_arrays(rows, _COLUMNS)).scalars())
    stmt = sqlite.insert(_TABLE).on_conflict_do_nothing(index_elements=["user_id", "external_id"])
    # Without RETURNING, the driver's own executemany runs the statement (no multi-row VALUES
    # built in Python). Its row count tells whether a concurrent request stored one of the
    # external_ids first; only then are the inserted ids read back.
    stored = session.execute(stmt, rows).rowcount
    ids = [r["id"] for r in rows]
    if stored == len(rows):
        return set(ids)
    found: set[uuid.UUID] = set()
    for first in range(0, len(ids), 500):
        found.update(
            session.execute(
                select(_TABLE.c.id).where(_TABLE.c.id.in_(ids[first : first + 500]))
            ).scalars()
        )
    return found


def _uuid4s(n: int) -> list[uuid.UUID]:
    """n random (version 4) UUIDs from one read of the OS's random source, where uuid4()
    reads it once per id."""
    random = os.urandom(16 * n)
    return [uuid.UUID(bytes=random[16 * i : 16 * i + 16], version=4) for i in range(n)]


def store_events(
    session: Session, user_id: uuid.UUID, items: Sequence[EventIn], pointer: str = "#/events/{i}"
) -> list[Stored]:
    """Store items atomically; one Stored per item, in input order."""
    first_by_ext: dict[str, int] = {}
    invalid = []
    for i, item in enumerate(items):
        if item.external_id is None:
            continue
        j = first_by_ext.setdefault(item.external_id, i)
        if j != i and items[j].content() != item.content():
            invalid.append(
                {
                    "pointer": pointer.format(i=i) + "/external_id",
                    "detail": f"external_id repeats item {j} of this request with different content",
                }
            )
    if invalid:
        raise validation_problem(invalid)

    # Insert first: a fresh batch (nearly every one) needs no look-up. Rows the database
    # skipped carry an external_id stored before (a retry, or a concurrent request that won);
    # only those are read back. A conflict raises, and the request's transaction rolls back,
    # so nothing is written.
    now = utc_now()
    fresh = _uuid4s(len(items))
    ids: list[uuid.UUID] = []
    rows: list[dict] = []
    for i, item in enumerate(items):
        ext = item.external_id
        if ext is not None and first_by_ext[ext] != i:
            ids.append(ids[first_by_ext[ext]])
        else:
            ids.append(fresh[i])
            rows.append({"id": ids[i], "user_id": user_id, "created_at": now, **item.model_dump()})
    inserted = _insert(session, rows)
    skipped = [r for r in rows if r["id"] not in inserted]
    if skipped:
        stored = _existing(session, user_id, [r["external_id"] for r in skipped])
        conflicts, replaced = [], {}
        for r in skipped:
            i = first_by_ext[r["external_id"]]
            winner = stored.get(r["external_id"])
            if winner is None:  # stored a moment ago and deleted since by another request
                raise CONCURRENT_CHANGE.error(
                    "Another request stored and deleted an event with "
                    "this external_id at the same moment; nothing was written. Retry the request."
                )
            if stored_content(winner) != items[i].content():
                conflicts.append((pointer.format(i=i) + "/external_id", winner.id))
            replaced[r["id"]] = winner.id
        if conflicts:
            raise _conflict(conflicts)
        ids = [replaced.get(x, x) for x in ids]
    daily_counts.apply(session, daily_counts.deltas(r for r in rows if r["id"] in inserted))
    return [Stored(id=x, created=x in inserted) for x in ids]


def created_flags(stored: list[Stored]) -> list[bool]:
    """True only for the first item that created each id (repeats in one batch are duplicates)."""
    seen: set[uuid.UUID] = set()
    flags = []
    for s in stored:
        flags.append(s.created and s.id not in seen)
        seen.add(s.id)
    return flags


@dataclass(frozen=True)
class EventFilters:
    platform: str | None = None
    kind: str | None = None
    direction: str | None = None
    counterpart: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    is_sales: bool | None = None


def filtered_query(user_id: uuid.UUID, f: EventFilters):
    query = select(Event).where(Event.user_id == user_id)  # type: ignore[arg-type]
    for column, value in (
        (Event.platform, f.platform),
        (Event.kind, f.kind),
        (Event.direction, f.direction),
        (Event.counterpart, f.counterpart),
        (Event.is_sales, f.is_sales),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.occurred_from is not None:
        query = query.where(Event.occurred_at >= f.occurred_from)  # type: ignore[operator]
    if f.occurred_to is not None:
        query = query.where(Event.occurred_at < f.occurred_to)  # type: ignore[operator]
    return query


def list_events(
    session: Session, user_id: uuid.UUID, f: EventFilters, limit: int, cursor: str | None
) -> tuple[list[Event], str | None]:
    query = filtered_query(user_id, f)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(
            or_(Event.occurred_at < at, and_(Event.occurred_at == at, Event.id < last_id))
        )  # type: ignore[arg-type,operator]
    query = query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit + 1)  # type: ignore[attr-defined,union-attr]
    rows = list(session.execute(query).scalars())
    next_cursor = (
        encode_cursor(rows[limit - 1].occurred_at, rows[limit - 1].id)
        if len(rows) > limit
        else None
    )
    return rows[:limit], next_cursor


def delete_event(session: Session, event: Event) -> None:
    daily_counts.apply(session, daily_counts.deltas([event.model_dump()], sign=-1))
    session.delete(event)
    session.flush()


def get_event(session: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
    event = session.get(Event, event_id)
    return event if event is not None and event.user_id == user_id else None
