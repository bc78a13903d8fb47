"""The contacts summary (§10, §6.7), kept in step with the event table in the transaction
of every insert and delete (called from _write.py), of a merge or split and of a change of
the user's time zone, sales ratio or cadence.

Per handle (contact_handle) and per contact (contact, summed over its handles): first and
last contact, outbound, inbound, non_sales, sales, first and last inbound instant, stage;
and the contact's due_at. An insert adds the new events to the handle rows and to their
contacts (counts add, instants widen: the locked row plus the batch is the new summary, no
handle is read again); a delete recounts the touched handles from their events (a deleted
event may have been the first or last of something). A contact is then re-summed from its
handle rows. A new handle gets a contact row first and then its handle row with INSERT …
ON CONFLICT DO NOTHING on the key (user_id, handle): of two requests naming one new handle,
the loser's insert waits for the winner, does nothing, and the loser drops the contact it
made and takes the winner's.

Locks (PostgreSQL; SQLite has one writer): the user row FOR NO KEY UPDATE, so one upkeep
of a user runs at a time (a settings change's UPDATE of the row waits for it, and it for the
change's restaging; the foreign-key checks of event inserts take FOR KEY SHARE and do not
wait). Under FOR SHARE, two writers of one user ran their upkeeps side by side and could
deadlock on handles: a handle committed by a third writer between one writer's lock read
and its insert is locked after the insert, out of handle order (the bench's mixes: 1 batch
in 1,000–5,000, and the savepoint retry in _write.py could lose again under a stream of
them). Then the handle rows FOR UPDATE in handle order, then
the contact rows FOR UPDATE in id order, so a contact is never re-summed from handle rows
another transaction is still changing. Merge, split and a contact's cadence change take the
same order (``lock_summary`` first).

Every upkeep answers the stage changes of the handles it touched, (handle, old, new), and
appends them to ``session.info[STAGE_CHANGES]`` (for the ``relationship.stage_changed``
webhook).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Select,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Update
from sqlmodel import Session

from app.calc import contacts as calc
from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE
from app.core import bulk
from app.core.types import utc_now
from app.events.models import EVENT_TABLE
from app.events.store._handle_reads import FIGURES, NONE, Figures, handle_figures, total
from app.users.models import USER_TABLE

H = HANDLE_TABLE.c
C = CONTACT_TABLE.c
U = USER_TABLE.c
STAGE_CHANGES = "rapport_stage_changes"
StageChange = tuple[str, str | None, str | None]  # (handle, stage before, stage after)


@dataclass(frozen=True)
class Settings:
    zone: ZoneInfo
    sales_ratio: float
    keep_in_touch_days: int

    def stage(self, f: Figures) -> str | None:
        return calc.stage(
            f.inbound,
            f.non_sales,
            self.sales_ratio,
            calc.local_day(f.first_inbound_at, self.zone),
            calc.local_day(f.last_inbound_at, self.zone),
            any_event=f.last_contact_at is not None,
        )


def _settings(session: Session, user_id: uuid.UUID) -> Settings:
    row = session.execute(
        select(U.timezone, U.sales_ratio, U.keep_in_touch_days)
        .where(U.id == user_id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: see "Locks" above
    ).one()
    return Settings(ZoneInfo(row.timezone), float(row.sales_ratio), int(row.keep_in_touch_days))


def lock_summary(session: Session, user_id: uuid.UUID) -> None:
    """The user's summary lock (the user row FOR NO KEY UPDATE, see "Locks"), taken by a
    merge, a split, a contact's cadence change or an event delete (before its DELETE) before
    it locks any handle, contact or event row,
    as an event write's upkeep takes it first: one order, so neither waits for the other
    while holding what the other needs."""
    _settings(session, user_id)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@cache
def _pg_lock_handles() -> Select[Any]:
    """The user's handle rows among :handles (one array), locked in handle order."""
    wanted = bindparam("handles", type_=postgresql.ARRAY(H.handle.type))
    return (
        select(HANDLE_TABLE)
        .where(H.user_id == bindparam("user_id"), H.handle == any_(wanted))
        .order_by(H.handle)
        .with_for_update()
    )


def _lock_handles(session: Session, user_id: uuid.UUID, handles: list[str]) -> dict[str, Any]:
    if _is_postgres(session):  # one statement and one array parameter, whatever the number
        found = session.execute(_pg_lock_handles(), {"user_id": user_id, "handles": handles})
        return {row.handle: row for row in found}
    rows: dict[str, Any] = {}
    for first in range(0, len(handles), 500):
        chunk = handles[first : first + 500]
        for row in session.execute(
            select(HANDLE_TABLE)
            .where(H.user_id == user_id, H.handle.in_(chunk))
            .order_by(H.handle)
            .with_for_update()
        ):
            rows[row.handle] = row
    return rows


@dataclass(frozen=True)
class _NewHandle:
    """A handle row this transaction has just inserted: no events yet."""

    handle: str
    contact_id: uuid.UUID
    first_contact_at: None = None
    last_contact_at: None = None
    outbound: int = 0
    inbound: int = 0
    non_sales: int = 0
    sales: int = 0
    first_inbound_at: None = None
    last_inbound_at: None = None
    stage: None = None


_NEW_HANDLE_COLUMNS = ("user_id", "handle", "contact_id", *FIGURES, "stage")
_NEW_CONTACT_COLUMNS = ("id", *FIGURES, "stage", "due_at", "cadence_days")  # _contact_values


@cache
def _pg_contact_insert() -> bulk.Precompiled:
    """New contacts from one array per column of ``_contact_values``; the user and the
    creation instant bound once, tags an empty list (an executemany of 1,000 rows is a
    VALUES list of 9,000 parameters)."""
    arrays = [
        func.unnest(bindparam(c, type_=postgresql.ARRAY(C[c].type))) for c in _NEW_CONTACT_COLUMNS
    ]
    return bulk.Precompiled(
        postgresql.insert(CONTACT_TABLE).from_select(
            [*_NEW_CONTACT_COLUMNS, "user_id", "created_at", "tags"],
            select(
                *arrays,
                bindparam("user_id", type_=C.user_id.type),
                bindparam("created_at", type_=C.created_at.type),
                literal_column("'[]'::json"),
            ),
        )
    )


@cache
def _pg_handle_insert() -> bulk.Precompiled:
    return bulk.Precompiled(
        bulk.unnest_insert(HANDLE_TABLE, _NEW_HANDLE_COLUMNS)
        .on_conflict_do_nothing(index_elements=["user_id", "handle"])
        .returning(H.handle)
    )


def _create_handles(
    session: Session,
    user_id: uuid.UUID,
    handles: list[str],
    settings: Settings,
    figures: Mapping[str, Figures] | None = None,
) -> tuple[dict[str, Any], set[str]]:
    """A new contact for each new handle, both written with ``figures`` (their first
    events' figures: no second write of a row just inserted), and the handles so written;
    a handle another request created first keeps that request's contact (ours is dropped,
    and its row is read, locked, instead: it is not among the handles answered)."""
    now = utc_now()
    ids = {h: uuid.uuid4() for h in handles}
    got = {h: (figures or {}).get(h, NONE) for h in handles}
    contacts = [_contact_values(ids[h], got[h], None, settings) for h in handles]
    if _is_postgres(session):  # one statement, whatever the number of handles
        arrays = bulk.as_arrays(contacts, _NEW_CONTACT_COLUMNS)
        _pg_contact_insert().execute(session, {**arrays, "user_id": user_id, "created_at": now})
    else:
        session.execute(
            insert(CONTACT_TABLE),
            [{"user_id": user_id, "tags": [], "created_at": now, **c} for c in contacts],
        )
    new = {h: _NewHandle(h, ids[h]) for h in handles}
    rows = [
        {
            "user_id": user_id,
            "handle": h,
            "contact_id": ids[h],
            **got[h].values(),
            "stage": settings.stage(got[h]),
        }
        for h in handles
    ]
    if _is_postgres(session):  # one statement, whatever the number of handles
        arrays = bulk.as_arrays(rows, _NEW_HANDLE_COLUMNS)
        won = set(_pg_handle_insert().execute(session, arrays).scalars())
        if lost := [h for h in handles if h not in won]:
            session.execute(delete(CONTACT_TABLE).where(C.id.in_([ids[h] for h in lost])))
            return {**{h: new[h] for h in won}, **_lock_handles(session, user_id, lost)}, won
    else:  # one writer at a time: no other request can have created them meanwhile
        session.execute(insert(HANDLE_TABLE), rows)
    return dict(new), set(handles)


@cache
def _pg_bulk_update(table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Update:
    """UPDATE table … FROM the unnest'ed arrays :a_<column>, built once per column set."""
    v = select(
        *(
            func.unnest(bindparam("a_" + c, type_=postgresql.ARRAY(table.c[c].type))).label(c)
            for c in columns
        )
    ).subquery("v")
    return (
        update(table)
        .where(*(table.c[k] == v.c[k] for k in keys))
        .values({c: v.c[c] for c in columns if c not in keys})
    )


def _bulk_update(
    session: Session, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """UPDATE rows of ``table`` found by the ``keys`` columns, setting the rows' other
    columns. PostgreSQL: one statement joining unnest'ed arrays (an executemany is one
    statement per row); SQLite: an executemany of one prepared statement."""
    if not rows:
        return
    columns = tuple(rows[0])
    sets = [c for c in columns if c not in keys]
    if _is_postgres(session):
        stmt = _pg_bulk_update(table, keys, columns)
        session.execute(stmt, {"a_" + c: [r[c] for r in rows] for c in columns})
        return
    stmt = (
        update(table)
        .where(*(table.c[k] == bindparam("b_" + k) for k in keys))
        .values({c: bindparam("v_" + c) for c in sets})
    )
    session.execute(
        stmt,
        [{("b_" if c in keys else "v_") + c: r[c] for c in columns} for r in rows],
    )


def _update_handles(
    session: Session, user_id: uuid.UUID, rows: Mapping[str, tuple[Figures, str | None]]
) -> None:
    _bulk_update(
        session,
        HANDLE_TABLE,
        ("user_id", "handle"),
        [
            {"user_id": user_id, "handle": h, **f.values(), "stage": s}
            for h, (f, s) in sorted(rows.items())
        ],
    )


def _contact_values(
    cid: uuid.UUID, f: Figures, own: int | None, settings: Settings
) -> dict[str, Any]:
    k = own or settings.keep_in_touch_days
    return {
        "id": cid,
        **f.values(),
        "stage": settings.stage(f),
        "due_at": calc.due_at(f.last_contact_at, k),
        "cadence_days": k,
    }


@cache
def _pg_lock_contacts() -> Select[Any]:
    """The user's contact rows among :ids (one array), locked in id order."""
    wanted = bindparam("ids", type_=postgresql.ARRAY(C.id.type))
    return (
        select(C.id, C.keep_in_touch_days, *(C[f] for f in FIGURES))
        .where(C.id == any_(wanted), C.user_id == bindparam("user_id"))
        .order_by(C.id)
        .with_for_update()
    )


def _lock_contacts(
    session: Session, user_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """The contact rows (own cadence and summary), locked FOR UPDATE in id order."""
    if _is_postgres(session):
        found = session.execute(_pg_lock_contacts(), {"user_id": user_id, "ids": ids})
        return {row.id: row for row in found}
    rows: dict[uuid.UUID, Any] = {}
    for first in range(0, len(ids), 500):
        for row in session.execute(
            select(C.id, C.keep_in_touch_days, *(C[f] for f in FIGURES))
            .where(C.id.in_(ids[first : first + 500]), C.user_id == user_id)
            .order_by(C.id)
            .with_for_update()
        ):
            rows[row.id] = row
    return rows


def resum_contacts(
    session: Session, user_id: uuid.UUID, contact_ids: Iterable[uuid.UUID], settings: Settings
) -> None:
    """Re-sum contacts from their handle rows (locking the contact rows first)."""
    ids = sorted(set(contact_ids))
    if not ids:
        return
    own = {
        cid: row.keep_in_touch_days for cid, row in _lock_contacts(session, user_id, ids).items()
    }
    parts: dict[uuid.UUID, list[Figures]] = defaultdict(list)
    for first in range(0, len(ids), 500):
        chunk = ids[first : first + 500]
        for row in session.execute(select(HANDLE_TABLE).where(H.contact_id.in_(chunk))):
            parts[row.contact_id].append(Figures.of_row(row))
    values = [_contact_values(cid, total(parts[cid]), own[cid], settings) for cid in own]
    _bulk_update(session, CONTACT_TABLE, ("id",), values)


def _add_to_contacts(
    session: Session,
    user_id: uuid.UUID,
    added: Mapping[uuid.UUID, Figures],
    settings: Settings,
) -> None:
    """Inserted events' figures added to their contacts: counts add and instants widen, so
    the locked row plus the batch's figures is the new summary (no re-read of handles)."""
    rows = _lock_contacts(session, user_id, sorted(added))
    values = [
        _contact_values(cid, Figures.of_row(row).plus(added[cid]), row.keep_in_touch_days, settings)
        for cid, row in rows.items()
    ]
    _bulk_update(session, CONTACT_TABLE, ("id",), values)


def _note(session: Session, changes: list[StageChange]) -> list[StageChange]:
    if changes:
        session.info.setdefault(STAGE_CHANGES, []).extend(changes)
    return changes


def apply(
    session: Session, user_id: uuid.UUID, events: Sequence[Mapping[Any, Any]], sign: int = 1
) -> list[StageChange]:
    """Take inserted (sign=1) or deleted (sign=-1) events into the summary; the events are
    mappings with counterpart, occurred_at (UTC), kind, direction, is_sales."""
    named = [e for e in events if e["counterpart"] is not None]
    if not named:
        return []
    settings = _settings(session, user_id)
    handles = sorted({e["counterpart"] for e in named})
    added: dict[str, Figures] = defaultdict(Figures)
    if sign > 0:
        for e in named:
            added[e["counterpart"]] = added[e["counterpart"]].plus(Figures.of_event(e))
    rows = _lock_handles(session, user_id, handles)
    fresh: set[str] = set()  # new handles, written with their figures already
    if missing := [h for h in handles if h not in rows]:
        created, fresh = _create_handles(
            session, user_id, missing, settings, added if sign > 0 else None
        )
        rows.update(created)
    known = [h for h in handles if h not in fresh]
    if sign > 0:
        new = {h: Figures.of_row(rows[h]).plus(added[h]) for h in known}
    else:
        new = handle_figures(session, user_id, known)
    staged = {h: (f, settings.stage(f)) for h, f in new.items()}
    _update_handles(session, user_id, staged)
    staged.update({h: (added[h], settings.stage(added[h])) for h in fresh})
    if sign > 0:
        per_contact: dict[uuid.UUID, Figures] = defaultdict(Figures)
        for h in known:
            cid = rows[h].contact_id
            per_contact[cid] = per_contact[cid].plus(added[h])
        _add_to_contacts(session, user_id, per_contact, settings)
    else:
        resum_contacts(session, user_id, {rows[h].contact_id for h in known}, settings)
    changes = [(h, rows[h].stage, staged[h][1]) for h in handles if rows[h].stage != staged[h][1]]
    return _note(session, changes)


def restage_user(session: Session, user_id: uuid.UUID) -> list[StageChange]:
    """After a change of the user's time zone, sales ratio or cadence: every handle's and
    contact's stage and every contact's due_at again (only changed rows are written).

    The caller has updated (and so locked) the user row in this transaction."""
    session.flush()
    settings = _settings(session, user_id)
    changed: dict[str, tuple[Figures, str | None]] = {}
    changes: list[StageChange] = []
    for row in session.execute(select(HANDLE_TABLE).where(H.user_id == user_id)):
        f = Figures.of_row(row)
        s = settings.stage(f)
        if s != row.stage:
            changed[row.handle] = (f, s)
            changes.append((row.handle, row.stage, s))
    _update_handles(session, user_id, changed)
    stale: list[dict[str, Any]] = []
    for row in session.execute(select(CONTACT_TABLE).where(C.user_id == user_id)):
        f = Figures.of_row(row)
        s = settings.stage(f)
        k = row.keep_in_touch_days or settings.keep_in_touch_days
        due = calc.due_at(f.last_contact_at, k)
        if s != row.stage or due != row.due_at or k != row.cadence_days:
            stale.append({"id": row.id, "stage": s, "due_at": due, "cadence_days": k})
    _bulk_update(session, CONTACT_TABLE, ("id",), stale)
    return _note(session, changes)


def resum(session: Session, user_id: uuid.UUID, contact_ids: Iterable[uuid.UUID]) -> None:
    """Re-sum contacts after a merge, a split or a change of their own cadence."""
    resum_contacts(session, user_id, contact_ids, _settings(session, user_id))


def rebuild_user(session: Session, user_id: uuid.UUID) -> None:
    """Every handle and contact of the user recounted from the events."""
    settings = _settings(session, user_id)
    counted = handle_figures(session, user_id)
    known = {
        row.handle: row for row in session.execute(select(HANDLE_TABLE).where(H.user_id == user_id))
    }
    if missing := sorted(h for h in counted if h not in known):
        _create_handles(session, user_id, missing, settings)
    figures = {h: counted.get(h, Figures()) for h in [*known, *missing]}
    _update_handles(session, user_id, {h: (f, settings.stage(f)) for h, f in figures.items()})
    ids = session.execute(select(C.id).where(C.user_id == user_id)).scalars()
    resum_contacts(session, user_id, list(ids), settings)


def rebuild(connection: Connection) -> None:
    """Recount every contact summary from the events (after a bulk load that bypassed
    ``record``, and once when the tables are created)."""
    with Session(bind=connection) as session:
        users = session.execute(select(EVENT_TABLE.c.user_id).distinct()).scalars().all()
        for user_id in users:
            rebuild_user(session, user_id)
        session.flush()
