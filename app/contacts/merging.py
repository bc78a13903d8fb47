"""Merge and split (SPEC §10), each in one transaction with the summary re-summed.

Locks follow the write path's order (handle rows, then contact rows in id order), so a
merge never deadlocks with an event write. A merged id is remembered (contact_merged):
merging it into the same contact again is a no-op; an id that was never the user's, or
another workspace's, is a 404.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app.contacts import service
from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE, MERGED_TABLE
from app.contacts.schemas import ContactOut
from app.core.errors import not_found
from app.core.types import utc_now
from app.events import store
from app.events.models import normalise_counterpart
from app.users.models import User

C = CONTACT_TABLE.c
H = HANDLE_TABLE.c
M = MERGED_TABLE.c


def _lock(session: Session, user: User, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Lock the user's summary, the contacts' handle rows, then the contact rows (the order
    of an event write's upkeep); id → contact row."""
    store.lock_summary(session, user.id)
    session.execute(
        select(H.handle)
        .where(H.user_id == user.id, H.contact_id.in_(ids))
        .order_by(H.handle)
        .with_for_update()
    ).all()
    rows = session.execute(
        select(CONTACT_TABLE)
        .where(C.user_id == user.id, C.id.in_(sorted(ids)))
        .order_by(C.id)
        .with_for_update()
    ).all()
    return {r.id: r for r in rows}


def _to_merge(
    session: Session, user: User, target: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids still to merge into target, in the order given; 404 for an unknown one."""
    live = set(session.execute(select(C.id).where(C.user_id == user.id, C.id.in_(ids))).scalars())
    merged: dict[uuid.UUID, uuid.UUID] = {
        m: into
        for m, into in session.execute(
            select(M.merged_id, M.into_id).where(M.user_id == user.id, M.merged_id.in_(ids))
        )
    }
    out: list[uuid.UUID] = []
    for cid in dict.fromkeys(ids):
        if cid == target or merged.get(cid) == target:
            continue
        if cid not in live:
            raise not_found("contact")
        out.append(cid)
    return out


def merge(
    session: Session, user: User, target: uuid.UUID, ids: list[uuid.UUID], now: datetime
) -> ContactOut:
    exists = session.execute(
        select(C.id).where(C.id == target, C.user_id == user.id)
    ).scalar_one_or_none()
    if exists is None:
        raise not_found("contact")
    others = _to_merge(session, user, target, ids)
    if others:
        rows = _lock(session, user, [target, *others])
        if target not in rows or any(o not in rows for o in others):
            raise not_found("contact")  # deleted meanwhile
        into = rows[target]
        kept: dict[str, object] = {}
        for field in ("name", "notes"):
            if getattr(into, field) is None:
                donor = next(
                    (getattr(rows[o], field) for o in others if getattr(rows[o], field)), None
                )
                if donor is not None:
                    kept[field] = donor
        tags = None
        if not into.tags:
            tags = next((list(rows[o].tags) for o in others if rows[o].tags), None)
        session.execute(
            update(HANDLE_TABLE).where(H.contact_id.in_(others)).values(contact_id=target)
        )
        session.execute(update(MERGED_TABLE).where(M.into_id.in_(others)).values(into_id=target))
        session.execute(
            insert(MERGED_TABLE),
            [{"merged_id": o, "user_id": user.id, "into_id": target} for o in others],
        )
        session.execute(delete(CONTACT_TABLE).where(C.id.in_(others)))
        if kept:
            session.execute(update(CONTACT_TABLE).where(C.id == target).values(**kept))
        if tags:
            service.set_tags(session, user, target, tags)
        store.resum_contacts(session, user.id, [target])
    return service.get_contact(session, user, target, now)


def split(
    session: Session, user: User, contact_id: uuid.UUID, handle_text: str, now: datetime
) -> ContactOut:
    """Make the handle a contact of its own again; the answer is that contact."""
    handle = normalise_counterpart(handle_text)
    exists = session.execute(
        select(C.id).where(C.id == contact_id, C.user_id == user.id)
    ).scalar_one_or_none()
    if exists is None or handle is None:
        raise not_found("contact" if exists is None else "handle")
    owner = session.execute(
        select(H.contact_id).where(H.user_id == user.id, H.handle == handle)
    ).scalar_one_or_none()
    if owner is None:
        raise not_found("handle")
    siblings = session.execute(select(H.handle).where(H.contact_id == owner)).scalars().all()
    if len(siblings) == 1:  # a contact of its own already (e.g. a repeated split): no-op
        return service.get_contact(session, user, owner, now)
    if owner != contact_id:
        raise not_found("handle")
    _lock(session, user, [contact_id])
    new_id = uuid.uuid4()
    session.execute(
        insert(CONTACT_TABLE),
        [{"id": new_id, "user_id": user.id, "tags": [], "created_at": utc_now()}],
    )
    session.execute(
        update(HANDLE_TABLE)
        .where(H.user_id == user.id, H.handle == handle)
        .values(contact_id=new_id)
    )
    store.resum_contacts(session, user.id, [contact_id, new_id])
    return service.get_contact(session, user, new_id, now)
