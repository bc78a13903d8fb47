"""The outbox: ``emit`` writes a message and one pending delivery per enabled endpoint of the
workspace that subscribes to its type, in the caller's transaction (a rolled-back write
sends nothing; a committed one is delivered at least once).

``dedupe_key`` makes a trigger send once: a second ``emit`` with the same key in the same
workspace (another request, a second worker, a restart) writes nothing and returns None.
"""

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from threading import Condition
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.core.types import utc_now
from app.users.models import User
from app.webhooks.models import DELIVERY_TABLE, ENDPOINT_TABLE, MESSAGE_TABLE

EP = ENDPOINT_TABLE.c


def subscribed(events_json: str, event_type: str) -> bool:
    return event_type in json.loads(events_json)


def subscribed_endpoints(
    session: Session, workspace_id: uuid.UUID, event_type: str
) -> list[uuid.UUID]:
    """Enabled endpoints of the workspace subscribed to ``event_type`` (an index range of
    the workspace's endpoints: a handful)."""
    rows = session.execute(
        select(EP.id, EP.events).where(EP.workspace_id == workspace_id, EP.enabled.is_(True))
    ).all()
    return [r.id for r in rows if subscribed(r.events, event_type)]


@cache
def _insert_message(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT (workspace_id, dedupe_key) DO NOTHING RETURNING id, built once
    (its values are parameters, so the compiled statement is cached)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(MESSAGE_TABLE)
        .on_conflict_do_nothing(index_elements=["workspace_id", "dedupe_key"])
        .returning(MESSAGE_TABLE.c.id)
    )


def sent_keys(session: Session, workspace_id: uuid.UUID, keys: list[str]) -> set[str]:
    """Which of ``keys`` were emitted already (one look-up in the unique index), so a
    trigger that holds again writes nothing."""
    if not keys:
        return set()
    found = session.execute(
        select(MESSAGE_TABLE.c.dedupe_key).where(
            MESSAGE_TABLE.c.workspace_id == workspace_id, MESSAGE_TABLE.c.dedupe_key.in_(keys)
        )
    ).scalars()
    return set(found)


def _rfc3339(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Outgoing:
    """One message for ``emit_many``: its type, the type's own fields, its dedupe key and
    the endpoints it goes to."""

    type: str
    data: Mapping[str, Any]
    dedupe_key: str
    endpoints: list[uuid.UUID]


def emit(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    user: User | None,
    type: str,
    data: Mapping[str, Any],
    dedupe_key: str,
    endpoints: list[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> str | None:
    """Queue ``type`` with ``data`` (``user_id`` and ``external_id`` of ``user`` are added)
    for every enabled endpoint subscribed to it (or for ``endpoints``); the message id
    (the ``webhook-id``), or None when ``dedupe_key`` was emitted before or nobody listens.
    Runs in the caller's transaction; never commits."""
    targets = subscribed_endpoints(session, workspace_id, type) if endpoints is None else endpoints
    message = Outgoing(type, data, dedupe_key, targets)
    return emit_many(session, workspace_id=workspace_id, user=user, messages=[message], now=now)[0]


class Wakeup:
    """A count of notifications that waiters compare with the one they saw before their
    pass: a notification during the pass ends the next wait at once, and no waiter clears
    it for another (several workers in one process each see every notification)."""

    def __init__(self) -> None:
        self._changed = Condition()
        self._count = 0

    def seen(self) -> int:
        return self._count

    def notify(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout_s: float) -> bool:
        """Until a notification after ``seen`` or ``timeout_s``; whether one came."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count != seen, timeout_s)


# Notified when a transaction that queued deliveries commits (and when a worker of this
# process is asked to stop): the worker of this process (the embedded one of `rapport
# serve`) starts its next pass at once instead of at the end of its idle wait. Other
# processes' workers are not told; they find the rows at their next pass.
QUEUED = Wakeup()


def _queued_committed(_session: Session) -> None:
    QUEUED.notify()


def _wake_worker_on_commit(session: Session) -> None:
    if not event.contains(session, "after_commit", _queued_committed):
        event.listen(session, "after_commit", _queued_committed)


def emit_many(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    user: User | None,
    messages: Sequence[Outgoing],
    now: datetime | None = None,
) -> list[str | None]:
    """``emit`` for several messages of one user at once, in two statements whatever their
    number (the messages, skipping dedupe keys emitted before, then their deliveries): a
    write that trips many conditions does not pay two statements and a compilation (an
    ON CONFLICT insert is not cached by SQLAlchemy) for each. One result per message, in
    order: its id, or None (emitted before, an earlier message of the call has its key, or
    it has no endpoint)."""
    now = now or utc_now()
    payload: dict[str, Any] = {}
    if user is not None:
        payload = {"user_id": str(user.id), "external_id": user.external_id}
    rows: list[dict[str, Any]] = []
    ids: list[str | None] = []
    keys: set[str] = set()
    for m in messages:
        key = m.dedupe_key[:300]
        if not m.endpoints or key in keys:
            ids.append(None)
            continue
        keys.add(key)
        ids.append(new_message_id())
        body = json.dumps(
            {"type": m.type, "timestamp": _rfc3339(now), "data": {**payload, **m.data}},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        rows.append(
            {
                "id": ids[-1],
                "workspace_id": workspace_id,
                "event_type": m.type,
                "dedupe_key": key,
                "body": body,
                "created_at": now,
            }
        )
    if not rows:
        return ids
    inserted = set(
        session.execute(_insert_message(session.get_bind().dialect.name), rows).scalars()
    )
    deliveries = [
        {
            "id": uuid.uuid4(),
            "endpoint_id": endpoint_id,
            "message_id": message_id,
            "event_type": m.type,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for m, message_id in zip(messages, ids, strict=True)
        if message_id in inserted
        for endpoint_id in m.endpoints
    ]
    if deliveries:
        session.execute(insert(DELIVERY_TABLE), deliveries)
        _wake_worker_on_commit(session)
    return [i if i in inserted else None for i in ids]
