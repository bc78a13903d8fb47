"""``relationship.stage_changed`` (SPEC §12): a handle's §6.7 stage changed, in the
transaction that changed it — an event write or delete (``app.events.store``) or a change of
the user's time zone or sales ratio (``app.users.service``, which restages the contacts).

The contacts summary kept by the events store knows each handle's stage before and after
(``store.stage_changes``); only real changes between stages are sent: a handle that first
appears (no stage before) or whose every event is deleted (none after) changes no stage.
Each change is one message (its own dedupe key: a handle may go like → trust → like, and
each step is news); a rolled-back write takes its message with it. A workspace without an
endpoint subscribed to the type costs one indexed query.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session

from app.contacts.models import HANDLE_TABLE
from app.users.models import User
from app.webhooks.outbox import Outgoing, emit_many, subscribed_endpoints

STAGE_CHANGED = "relationship.stage_changed"
H = HANDLE_TABLE.c
StageChange = tuple[str, str | None, str | None]  # (handle, stage before, stage after)


def stage_changed(session: Session, user_id: uuid.UUID, changes: Sequence[StageChange]) -> None:
    """Queue one message per real stage change of the user's handles."""
    changes = [c for c in changes if c[1] is not None and c[2] is not None and c[1] != c[2]]
    if not changes:
        return
    user = session.get(User, user_id)
    if user is None:
        return
    endpoints = subscribed_endpoints(session, user.workspace_id, STAGE_CHANGED)
    if not endpoints:
        return
    handles = sorted({h for h, _, _ in changes})
    found = session.execute(
        select(H.handle, H.contact_id).where(H.user_id == user_id, H.handle.in_(handles))
    ).all()
    contact_of: dict[str, uuid.UUID] = {row.handle: row.contact_id for row in found}
    messages = [
        Outgoing(
            STAGE_CHANGED,
            {
                "handle": handle,
                "contact_id": None if contact_of.get(handle) is None else str(contact_of[handle]),
                "from": before,
                "to": after,
            },
            f"{STAGE_CHANGED}:{user_id}:{handle}:{uuid.uuid4().hex}",
            endpoints,
        )
        for handle, before, after in changes
    ]
    emit_many(session, workspace_id=user.workspace_id, user=user, messages=messages)
