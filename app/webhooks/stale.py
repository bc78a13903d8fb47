"""contact.stale (SPEC §12), time-driven: a contact turns stale the instant after its
``due_at`` (last contact + its keep-in-touch cadence, SPEC §10), kept on the contact row by
the events store in every write transaction.

A pass reads, for the users of the workspaces with an endpoint subscribed to the type, the
contacts whose ``due_at`` passed since the previous pass (``ix_contact_user_due``: an index
range per user), and queues one message per contact and ``due_at``: the dedupe key names
both, so a restarted worker (its first pass looks back ``LOOKBACK``) or a second worker never
sends one twice, and a contact that is contacted again and lapses again is news again.
"""

import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE
from app.users.models import USER_TABLE, User
from app.webhooks.models import ENDPOINT_TABLE
from app.webhooks.outbox import emit

CONTACT_STALE = "contact.stale"
LOOKBACK = timedelta(days=7)  # how far the first pass of a (re)started worker looks back
EP, U, C, H = ENDPOINT_TABLE.c, USER_TABLE.c, CONTACT_TABLE.c, HANDLE_TABLE.c


def _subscribed(session: Session) -> dict[uuid.UUID, list[uuid.UUID]]:
    """workspace → its enabled endpoints subscribed to contact.stale."""
    rows = session.execute(select(EP.workspace_id, EP.id, EP.events).where(EP.enabled.is_(True)))
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for r in rows:
        if CONTACT_STALE in json.loads(r.events):
            out[r.workspace_id].append(r.id)
    return out


def run_due(session: Session, since: datetime | None, now: datetime) -> int:
    """Queue contact.stale for contacts whose due_at lies in [since, now) (since: the
    previous pass's now, or now − LOOKBACK); how many messages were new."""
    subscribed = _subscribed(session)
    if not subscribed:
        return 0
    lo = since if since is not None else now - LOOKBACK
    # One statement: the subscribed workspaces' users, and per user an index range of
    # (user_id, due_at) — SQL walks the users, not one round trip per user.
    due = session.execute(
        select(C.id, C.user_id, C.name, C.due_at, C.last_contact_at)
        .join(USER_TABLE, U.id == C.user_id)
        .where(U.workspace_id.in_(list(subscribed)), C.due_at >= lo, C.due_at < now)
        .order_by(C.due_at, C.id)
    ).all()
    if not due:
        return 0
    handles: dict[uuid.UUID, list[str]] = defaultdict(list)
    for at in range(0, len(due), 500):
        part = due[at : at + 500]
        for handle, contact_id in session.execute(
            select(H.handle, H.contact_id).where(H.contact_id.in_([row.id for row in part]))
        ):
            handles[contact_id].append(handle)
    users = {row.user_id: session.get(User, row.user_id) for row in due}
    sent = 0
    for row in due:
        user = users[row.user_id]
        if user is None:
            continue
        sent += (
            emit(
                session,
                workspace_id=user.workspace_id,
                user=user,
                type=CONTACT_STALE,
                data={
                    "contact_id": str(row.id),
                    "name": row.name,
                    "handles": sorted(handles[row.id]),
                    "last_contact_at": _z(row.last_contact_at),
                    "due_at": _z(row.due_at),
                },
                dedupe_key=f"{CONTACT_STALE}:{row.id}:{_z(row.due_at)}",
                endpoints=subscribed[user.workspace_id],
                now=now,
            )
            is not None
        )
    return sent


def _z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")
