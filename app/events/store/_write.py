"""Recording and deleting events: the only writes to the event table, each keeping the
per-day counters in step in the same transaction.

Writes are idempotent by (user, external_id): a repeat with the same content answers the
stored event, a repeat with other content is a conflict. Inserts use the database's
ON CONFLICT DO NOTHING, so two replicas racing on one external_id cannot both win; the
counters are added for the rows actually inserted. A delete is one DELETE … RETURNING, so
of concurrent deletes of one event only the one that removed the row takes it off the
counters.

Errors are domain errors that name items by their index in the request (the HTTP layer
turns them into problems with pointers, the CSV import into rows and lines).
"""

import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy import delete as delete_
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.dml import ReturningDelete
from sqlmodel import Session

from app.core import bulk
from app.core.errors import DEADLOCK_SQLSTATE
from app.core.types import utc_now
from app.events.models import EVENT_TABLE, Event, EventIn
from app.events.store import _contact_rollup, _day_counts

E = EVENT_TABLE.c
T = TypeVar("T")
log = logging.getLogger("rapport")
DEADLOCK_TRIES = 3


# _LOCK_ORDER: a write locks its users' rows first, in id order (their events_version,
# _day_counts.py; the contacts upkeep's lock of the user row is then held already), then
# each user's handles and contacts (the contacts summary), and the per-day counter rows
# last, just before the webhook triggers and the commit. Every event write of a user lands
# on the same few counter rows (one a platform and UTC day), so concurrent writers queue on
# them: taken last, they are held for the tail of a transaction, not for its contacts
# upkeep (PostgreSQL, 32 clients of single events: a quarter of the sampled backends were
# waiting for another transaction's counter row when it came first). Record and delete
# take them in the same order, so they cannot deadlock on them.


class StoreError(Exception):
    """Nothing was written: the request's transaction is to be rolled back."""


@dataclass(frozen=True)
class RepeatedExternalId(StoreError):
    """Items that repeat an earlier item's external_id with other content: (item, earlier)."""

    repeats: list[tuple[int, int]]


@dataclass(frozen=True)
class ExternalIdConflict(StoreError):
    """Items whose external_id is stored with other content: (item, the stored event's id)."""

    conflicts: list[tuple[int, uuid.UUID]]


class ConcurrentChange(StoreError):
    """Another request stored, then deleted, an event with one of the external_ids."""


@dataclass(frozen=True)
class Stored:
    id: uuid.UUID
    created: bool
    # For a repeat: the stored event as read in this transaction (a concurrent request may
    # delete it before this one answers; the answer is still the event it repeated).
    existing: Event | None = None


@dataclass(frozen=True)
class Batch:
    """Items checked for repeats within the request (``prepare``), ready to record."""

    items: Sequence[EventIn]
    first_by_ext: dict[str, int] = field(default_factory=dict)  # external_id → first item


def prepare(items: Sequence[EventIn]) -> Batch:
    """The items as a Batch; RepeatedExternalId when one repeats an earlier item's
    external_id with other content (a repeat with the same content is the same event)."""
    first_by_ext: dict[str, int] = {}
    repeats = []
    for i, item in enumerate(items):
        if item.external_id is None:
            continue
        j = first_by_ext.setdefault(item.external_id, i)
        if j != i and items[j].content() != item.content():
            repeats.append((i, j))
    if repeats:
        raise RepeatedExternalId(repeats)
    return Batch(items, first_by_ext)


_COLUMNS = tuple(EVENT_TABLE.c.keys())  # every column, inserted by record
# What makes two events with one external_id the same event (EventIn.content's order).
_CONTENT = _COLUMNS[_COLUMNS.index("platform") : _COLUMNS.index("text") + 1]


@cache
def _pg_insert() -> bulk.Precompiled:
    return bulk.Precompiled(
        bulk.unnest_insert(EVENT_TABLE, _COLUMNS)
        .on_conflict_do_nothing(index_elements=["user_id", "external_id"])
        .returning(E.id)
    )


@cache
def _sqlite_insert() -> bulk.Precompiled:
    return bulk.Precompiled(
        sqlite.insert(EVENT_TABLE).on_conflict_do_nothing(index_elements=["user_id", "external_id"])
    )


def _insert(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert rows, skipping (user_id, external_id) already stored; the ids actually inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":  # one statement for the whole batch
        return set(_pg_insert().execute(session, bulk.as_arrays(rows, _COLUMNS)).scalars())
    # Without RETURNING, the driver's own executemany runs the statement (no multi-row VALUES
    # built in Python). Its row count tells whether a concurrent request stored one of the
    # external_ids first; only then are the inserted ids read back.
    stored = _sqlite_insert().execute(session, rows).rowcount
    ids = [r["id"] for r in rows]
    if stored == len(rows):
        return set(ids)
    found: set[uuid.UUID] = set()
    for first in range(0, len(ids), 500):
        found.update(
            session.execute(select(E.id).where(E.id.in_(ids[first : first + 500]))).scalars()
        )
    return found


def _uuid4s(n: int) -> list[uuid.UUID]:
    """n random (version 4) UUIDs from one read of the OS's random source, where uuid4()
    reads it once per id."""
    random = os.urandom(16 * n)
    return [uuid.UUID(bytes=random[16 * i : 16 * i + 16], version=4) for i in range(n)]


def _stored_events(
    session: Session, user_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, Event]:
    """external_id → the stored event with that external_id (as this transaction sees it)."""
    rows = session.execute(
        select(*(E[c] for c in _COLUMNS)).where(
            E.user_id == user_id, E.external_id.in_(list(external_ids))
        )
    ).mappings()
    return {row["external_id"]: Event(**row) for row in rows}


def _winners(
    session: Session, user_id: uuid.UUID, batch: Batch, skipped: list[dict[str, Any]]
) -> dict[uuid.UUID, Event]:
    """For rows the database skipped (their external_id was stored before): fresh id → the
    stored event; a conflict when the stored content differs."""
    stored = _stored_events(session, user_id, [r["external_id"] for r in skipped])
    conflicts, replaced = [], {}
    for r in skipped:
        i = batch.first_by_ext[r["external_id"]]
        winner = stored.get(r["external_id"])
        if winner is None:  # stored a moment ago and deleted since by another request
            raise ConcurrentChange()
        if tuple(getattr(winner, c) for c in _CONTENT) != batch.items[i].content():
            conflicts.append((i, winner.id))
        replaced[r["id"]] = winner
    if conflicts:
        raise ExternalIdConflict(conflicts)
    return replaced


def record(session: Session, user_id: uuid.UUID, items: Sequence[EventIn] | Batch) -> list[Stored]:
    """Store items atomically, and count them; one Stored per item, in input order."""
    return record_each(session, [(user_id, items)])[0]


@dataclass(frozen=True)
class _Staged:
    user_id: uuid.UUID
    stored: list[Stored]
    inserted: list[dict[str, Any]]
    changes: list[_contact_rollup.StageChange]


def record_each(
    session: Session, writes: Sequence[tuple[uuid.UUID, Sequence[EventIn] | Batch]]
) -> list[list[Stored]]:
    """Several users' items in one transaction (grouped single writes), each user's as
    ``record`` stores them; all or nothing. Every user's events and contacts upkeep come
    first, then every user's counter rows, then the triggers (_LOCK_ORDER): a counter row is
    not held while another user's upkeep runs. Callers name users in id order, so two
    transactions lock their rows in one order."""

    def write() -> list[list[Stored]]:
        # Every user's row first, in id order (their events_version; _LOCK_ORDER): were a
        # user's row taken only after the other users' upkeeps, two groups of the same users
        # would lock them in two orders (seen as deadlocks under the bench's mix).
        _day_counts.touch_users(session, (user_id for user_id, _ in writes))
        staged = [_stage(session, user_id, items) for user_id, items in writes]
        for s in staged:
            _day_counts.apply(session, s.inserted)
        for s in staged:
            _webhook_triggers(session, s.user_id, s.inserted, False, s.changes)
        return [s.stored for s in staged]

    return _redone_after_deadlock(session, write)


def _redone_after_deadlock(session: Session, write: Callable[[], T]) -> T:
    """``write`` in a savepoint on PostgreSQL, redone when the database chose it as the
    victim of a deadlock (up to DEADLOCK_TRIES in all; then the error goes up, a 503
    database_busy).

    The lock orders (_LOCK_ORDER; the contacts summary's user row, handles, contacts) are
    meant to leave no cycle, but one was found only by a bench: two writers of one user
    locking handles out of order (1 batch in 1,000 under 32 clients, before one upkeep per
    user ran at a time). This is the guard for any cycle not yet thought of: PostgreSQL
    breaks it after deadlock_timeout by failing one statement; rolling back to the savepoint
    releases every row the victim locked or inserted, so the other one goes on, and the redo
    starts again from the first lock (SQLite has one writer at a time: no savepoint)."""
    if session.get_bind().dialect.name != "postgresql":
        return write()
    changes = session.info.get(_contact_rollup.STAGE_CHANGES)
    noted = len(changes) if changes is not None else 0
    for attempt in range(1, DEADLOCK_TRIES + 1):
        try:
            with session.begin_nested():
                return write()
        except OperationalError as exc:
            if (
                getattr(exc.orig, "sqlstate", None) != DEADLOCK_SQLSTATE
                or attempt == DEADLOCK_TRIES
            ):
                raise
            log.warning("event write chosen as a deadlock's victim; redoing it (try %d)", attempt)
            if (changes := session.info.get(_contact_rollup.STAGE_CHANGES)) is not None:
                del changes[noted:]  # the rolled-back try's stage changes are not news
    raise AssertionError("unreachable")


def _stage(session: Session, user_id: uuid.UUID, items: Sequence[EventIn] | Batch) -> _Staged:
    """Insert the items and take them into the contacts summary (not yet counted)."""
    batch = items if isinstance(items, Batch) else prepare(items)
    # Insert first: a fresh batch (nearly every one) needs no look-up. Rows the database
    # skipped carry an external_id stored before (a retry, or a concurrent request that won);
    # only those are read back. A conflict raises, and the request's transaction rolls back,
    # so nothing is written.
    now = utc_now()
    fresh = _uuid4s(len(batch.items))
    ids: list[uuid.UUID] = []
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(batch.items):
        ext = item.external_id
        if ext is not None and batch.first_by_ext[ext] != i:
            ids.append(ids[batch.first_by_ext[ext]])
        else:
            ids.append(fresh[i])
            rows.append({"id": ids[i], "user_id": user_id, "created_at": now, **item.model_dump()})
    inserted = _insert(session, rows)
    skipped = [r for r in rows if r["id"] not in inserted]
    if skipped:
        replaced = _winners(session, user_id, batch, skipped)
        ids = [replaced[x].id if x in replaced else x for x in ids]
        winners = {e.id: e for e in replaced.values()}
    else:
        winners = {}
    new_rows = [r for r in rows if r["id"] in inserted]
    changes = _contact_rollup.apply(session, user_id, new_rows)
    stored = [Stored(id=x, created=x in inserted, existing=winners.get(x)) for x in ids]
    return _Staged(user_id, stored, new_rows, changes)


def created_flags(stored: list[Stored]) -> list[bool]:
    """True only for the first item that created each id (repeats in one batch are duplicates)."""
    seen: set[uuid.UUID] = set()
    flags = []
    for s in stored:
        flags.append(s.created and s.id not in seen)
        seen.add(s.id)
    return flags


@cache
def _delete_stmt() -> ReturningDelete[Any]:
    return (
        delete_(EVENT_TABLE)
        .where(E.id == bindparam("event_id"), E.user_id == bindparam("user_id"))
        .returning(
            E.user_id, E.platform, E.kind, E.direction, E.is_sales, E.occurred_at, E.counterpart
        )
    )


def delete(session: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> bool:
    """Delete one of the user's events; False when there is none (deleted already, or never
    stored). Only a request whose statement removed the row takes it off the counters."""

    def write() -> bool:
        # The user's row before the event row (_LOCK_ORDER): a writer repeating this event's
        # external_id holds the user's row and, at its insert, waits for this transaction's
        # deleted index entry; had the DELETE come first, this one would then wait for that
        # writer's user row — a deadlock (seen in CI's concurrent-writes mix).
        _contact_rollup.lock_summary(session, user_id)
        removed = (
            session.execute(_delete_stmt(), {"event_id": event_id, "user_id": user_id})
            .mappings()
            .all()
        )
        if removed:
            _day_counts.touch_users(session, [user_id])
        changes = _contact_rollup.apply(session, user_id, removed, sign=-1)
        _day_counts.apply(session, removed, sign=-1)  # see _LOCK_ORDER
        _webhook_triggers(session, user_id, removed, True, changes)
        return bool(removed)

    return _redone_after_deadlock(session, write)


def _webhook_triggers(
    session: Session,
    user_id: uuid.UUID,
    rows: Sequence[Any],
    deleted: bool,
    stage_changes: Sequence[_contact_rollup.StageChange],
) -> None:
    """§12 triggers in this transaction (imported here: the webhooks domain reads through
    this package)."""
    if rows:
        from app.webhooks.triggers import after_write

        after_write(session, user_id, rows, deleted)
    if stage_changes:
        from app.webhooks.stage_triggers import stage_changed

        stage_changed(session, user_id, stage_changes)
