"""Contacts (SPEC §10): list, read, patch.

A page is read through an index of the kept summary when as_of is at or after the user's
latest event and the sort is ``last_contact`` or ``due``; otherwise (an earlier as_of, or
``sort=health``, whose order depends on as_of through recency and the 90-day window) every
matching contact's figures are computed and sorted here: exact, and slower (README).
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app.contacts import figures, summaries
from app.contacts.models import CONTACT_TABLE, TAG_TABLE
from app.contacts.schemas import ContactList, ContactOut, ContactPatch
from app.contacts.summaries import Filters, Summary
from app.core.errors import not_found
from app.core.pagination import decode_cursor, encode_cursor
from app.events import store
from app.users.models import User

C = CONTACT_TABLE.c
T = TAG_TABLE.c
PAGE_KEYS = {"last_contact": "l", "due": "d", "health": "h"}
_FAR = datetime.max.replace(tzinfo=UTC)


def _health_instant(value: int) -> datetime:
    """The health of a cursor, carried in its instant (seconds after the epoch)."""
    return datetime.fromtimestamp(value, UTC)


def _slow_key(sort: str, s: Summary, health: int | None) -> tuple[datetime, uuid.UUID]:
    if sort == "health":
        return _health_instant(health or 0), s.id
    if sort == "due":
        return s.due_at or _FAR, s.id
    assert s.figures.last_contact_at is not None  # listed contacts have events
    return s.figures.last_contact_at, s.id


def _slow_page(
    session: Session,
    user: User,
    as_of: datetime,
    f: Filters,
    sort: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    recount: bool,
) -> tuple[list[ContactOut], tuple[datetime, uuid.UUID] | None]:
    every = summaries.every(session, user, as_of, f, recount)
    healths: dict[uuid.UUID, int] = {}
    windows = {}
    if sort == "health":
        windows = figures.window(session, user, every, as_of, every_handle=True)
        healths = {s.id: figures.health(user, s, windows[s.id], as_of) for s in every}
    descending = sort == "last_contact"

    def key(s: Summary) -> tuple[datetime, uuid.UUID]:
        return _slow_key(sort, s, healths.get(s.id))

    every.sort(key=key, reverse=descending)
    if after is not None:
        every = [s for s in every if (key(s) < after if descending else key(s) > after)]
    rows = every[: limit + 1]
    if not windows:
        windows = figures.window(session, user, rows[:limit], as_of)
    items = [figures.out(user, s, windows[s.id], as_of) for s in rows[:limit]]
    return items, (key(rows[limit - 1]) if len(rows) > limit else None)


def list_contacts(
    session: Session,
    user: User,
    as_of: datetime,
    f: Filters,
    sort: str,
    limit: int,
    cursor: str | None,
) -> ContactList:
    key = PAGE_KEYS[sort]
    after = decode_cursor(cursor, uuid.UUID, key=key) if cursor else None
    fast = summaries.fast_path(session, user, as_of)
    last: tuple[datetime, uuid.UUID] | None
    if fast and sort != "health":
        rows = summaries.page(session, user, as_of, f, sort, after, limit)
        items = figures.outs(session, user, rows[:limit], as_of)
        column = "due_at" if sort == "due" else "last_contact_at"
        last = None
        if len(rows) > limit:
            s = rows[limit - 1]
            at = s.due_at if column == "due_at" else s.figures.last_contact_at
            assert at is not None
            last = (at, s.id)
    else:
        items, last = _slow_page(session, user, as_of, f, sort, after, limit, not fast)
    next_cursor = encode_cursor(last[0], last[1], key=key) if last else None
    return ContactList(as_of=as_of, items=items, next_cursor=next_cursor)


def summary_at(session: Session, user: User, contact_id: uuid.UUID, as_of: datetime) -> Summary:
    s = summaries.one(session, user, contact_id)
    if s is None:
        raise not_found("contact")
    if not summaries.fast_path(session, user, as_of):
        s = summaries.recounted(session, user, s, as_of)
    return s


def get_contact(session: Session, user: User, contact_id: uuid.UUID, as_of: datetime) -> ContactOut:
    s = summary_at(session, user, contact_id, as_of)
    return figures.outs(session, user, [s], as_of)[0]


def set_tags(session: Session, user: User, contact_id: uuid.UUID, tags: list[str]) -> None:
    session.execute(delete(TAG_TABLE).where(T.contact_id == contact_id))
    if tags:
        session.execute(
            insert(TAG_TABLE),
            [{"user_id": user.id, "tag": t, "contact_id": contact_id} for t in tags],
        )
    session.execute(update(CONTACT_TABLE).where(C.id == contact_id).values(tags=tags))


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def patch_contact(
    session: Session, user: User, contact_id: uuid.UUID, data: ContactPatch, now: datetime
) -> ContactOut:
    store.lock_summary(session, user.id)  # before the contact row: an event write's order
    row = session.execute(
        select(C.id).where(C.id == contact_id, C.user_id == user.id).with_for_update()
    ).one_or_none()
    if row is None:
        raise not_found("contact")
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "tags" in changes:
        set_tags(session, user, contact_id, _unique(changes.pop("tags") or []))
    if changes:
        session.execute(update(CONTACT_TABLE).where(C.id == contact_id).values(**changes))
    if "keep_in_touch_days" in changes:
        store.resum_contacts(session, user.id, [contact_id])
    return get_contact(session, user, contact_id, now)
