"""Every statement of an event write is compiled once per process, not per execution.

SQLAlchemy does not cache its PostgreSQL and SQLite ``INSERT … ON CONFLICT`` constructs
("[no key]" in its log), so the store runs those through `app.core.bulk.Precompiled`. This
records events twice through the store, in one transaction, and looks at each statement
of the second write: none may be one that SQLAlchemy compiled for lack of a cache key.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.engine.default import NO_CACHE_KEY

from app.events import store
from app.events.models import EventIn

NOW = datetime.now(UTC).replace(microsecond=0)


def _events(tag: str) -> list[EventIn]:
    return [
        EventIn(
            platform="x",
            kind=kind,
            direction="outbound",
            counterpart=f"{tag}-{i}",
            occurred_at=NOW - timedelta(hours=i),
            external_id=f"{tag}-{i}",
        )
        for i, kind in enumerate(("reply", "follow", "post"))
    ]


def test_a_write_compiles_no_statement_again(client, user, session, connection):
    uid = uuid.UUID(user["id"])
    store.record(session, uid, _events("warm"))  # the first write may compile
    uncached: list[str] = []

    def seen(_conn, _cursor, statement, _params, context, _many):
        # (The driver's SQL of a Precompiled statement has no compiled form at all.)
        # SAVEPOINT / RELEASE (the deadlock retry's, on PostgreSQL) are fixed strings that
        # SQLAlchemy emits without compiling a construct: nothing to cache.
        compiled = getattr(context, "compiled", None)
        savepoint = statement.startswith(("SAVEPOINT ", "RELEASE SAVEPOINT "))
        if compiled is not None and context.cache_hit is NO_CACHE_KEY and not savepoint:
            uncached.append(statement.split("\n")[0][:80])

    event.listen(connection, "before_cursor_execute", seen)
    try:
        stored = store.record(session, uid, _events("again"))
        store.record(session, uid, _events("again"))  # repeats: read back, not inserted
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert all(s.created for s in stored)
    assert uncached == []
