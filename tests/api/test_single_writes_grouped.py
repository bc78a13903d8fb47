"""Concurrent single-event POSTs are committed together (app/events/single_writes.py), and
each still gets the answer it would get alone.

The app runs in-process on a `Database` of its own (the group commits for real, outside
the test transaction). The writer's turn is held closed until every request of the test
waits, so they meet in one group deterministically; the statements that insert into the
event table are counted on the engine.
"""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.events.models import EVENT_TABLE
from app.events.store.maintenance import EventDayCount, rebuild_counters
from app.main import create_app
from tests.databases import throwaway_database

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def grouped(backend, tmp_path) -> Iterator[tuple[Any, str, Database, list[str]]]:
    with throwaway_database(backend, tmp_path) as url:
        upgrade(url)
        settings = Settings(database_url=url, rate_limit="off")
        db = Database(url, settings)
        with db.session(write=True) as s:
            ws = auth_service.get_or_create_workspace(s, f"grouped-{uuid.uuid4().hex[:8]}")
            _, key = auth_service.create_key(s, ws, "grouped")
            s.commit()
        inserts: list[str] = []

        def seen(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("INSERT INTO EVENT "):
                inserts.append(statement)

        for engine in {db.engine, db.write_engine.engine}:
            event.listen(engine, "before_cursor_execute", seen)
        try:
            yield create_app(settings, db), key, db, inserts
        finally:
            for engine in {db.engine, db.write_engine.engine}:
                event.remove(engine, "before_cursor_execute", seen)
            db.dispose()


def _event(i: int, **over: Any) -> dict[str, Any]:
    return {
        "platform": "x",
        "kind": "reply",
        "direction": "outbound",
        "counterpart": f"friend{i % 3}",
        "occurred_at": (NOW - timedelta(minutes=i)).isoformat(),
        "external_id": f"ext-{i}",
        **over,
    }


async def _post_together(app, key: str, posts: list[tuple[str, dict[str, Any]]]):
    """Send every POST at once with the writer's turn closed; open it when all wait."""
    writes = app.state.single_writes
    gate = asyncio.Event()
    opened = writes.turn

    @asynccontextmanager
    async def turn():
        await gate.wait()
        async with opened():
            yield

    writes.turn = turn
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://rapport.test",
        headers={"Authorization": f"Bearer {key}"},
    ) as c:
        sent = [
            asyncio.create_task(c.post(f"/v1/users/{uid}/events", json=body)) for uid, body in posts
        ]
        queue = None
        for _ in range(500):  # until every request waits (each authenticates first)
            await asyncio.sleep(0.01)
            queue = writes._queues.get(asyncio.get_running_loop())
            if queue is not None and len(queue.waiting) == len(posts):
                break
        assert queue is not None and len(queue.waiting) == len(posts)
        gate.set()
        answers = await asyncio.gather(*sent)
    writes.turn = opened
    return answers


def _users(app, key: str, n: int) -> list[str]:
    async def make() -> list[str]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://rapport.test",
            headers={"Authorization": f"Bearer {key}"},
        ) as c:
            return [
                (await c.post("/v1/users", json={"name": f"U{i}", "timezone": "Europe/Berlin"}))
                .raise_for_status()
                .json()["id"]
                for i in range(n)
            ]

    return asyncio.run(make())


def _stored(db: Database) -> int:
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(EVENT_TABLE)).scalar_one()


def test_concurrent_single_events_of_several_users_are_one_insert(grouped):
    app, key, db, inserts = grouped
    users = _users(app, key, 3)
    posts = [(users[i % 3], _event(i)) for i in range(12)]
    inserts.clear()
    answers = asyncio.run(_post_together(app, key, posts))
    assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
    # One INSERT a user in one transaction, not one a request.
    assert len(inserts) == 3, inserts
    for (uid, body), a in zip(posts, answers, strict=True):
        got = a.json()
        assert got["external_id"] == body["external_id"]
        assert got["counterpart"] == body["counterpart"]
        assert a.headers["location"] == f"/v1/users/{uid}/events/{got['id']}"
    assert _stored(db) == 12
    assert _counters(db) == _recounted(db)


def _counters(db: Database) -> list[tuple[Any, ...]]:
    """The per-day counter rows, without their versions."""
    t = EventDayCount.__table__
    columns = [c for c in t.c if c.name != "version"]
    with db.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*columns)))


def _recounted(db: Database) -> list[tuple[Any, ...]]:
    """The same rows recounted from the events (in a transaction rolled back after)."""
    t = EventDayCount.__table__
    columns = [c for c in t.c if c.name != "version"]
    with db.engine.connect() as conn, conn.begin() as tx:
        rebuild_counters(conn)
        rows = sorted(tuple(r) for r in conn.execute(select(*columns)))
        tx.rollback()
    return rows


def test_a_group_with_a_conflict_answers_each_request_as_alone(grouped):
    """Same external_id and content twice → 201 and 200 with one id; same external_id with
    other content → one 201 and one 409; the other events of the group are stored."""
    app, key, db, _ = grouped
    [uid] = _users(app, key, 1)
    posts = [
        (uid, _event(1)),
        (uid, _event(1)),  # a repeat: the same event
        (uid, _event(2)),
        (uid, _event(2, text="other content")),  # the same external_id, other content
        (uid, _event(3)),
    ]
    answers = asyncio.run(_post_together(app, key, posts))
    codes = [a.status_code for a in answers]
    assert sorted(codes[:2]) == [200, 201], [a.text for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(codes[2:4]) == [201, 409], [a.text for a in answers]
    conflict = answers[2] if codes[2] == 409 else answers[3]
    assert conflict.json()["code"] == "external_id_conflict", conflict.text
    assert codes[4] == 201
    assert _stored(db) == 3


def test_an_event_that_never_gets_a_turn_is_a_503_after_its_own_wait(grouped):
    """The writer waits for a turn that never comes (a writer of another process holding
    the lock for good): each request still answers 503 database_busy after its own
    wait, and leaves the queue (nothing written)."""
    app, key, db, _ = grouped
    [uid] = _users(app, key, 1)
    writes = app.state.single_writes
    writes.wait_timeout_s = 0.2
    opened = writes.turn

    @asynccontextmanager
    async def never():
        await asyncio.Event().wait()
        yield

    writes.turn = never

    async def run():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://rapport.test",
            headers={"Authorization": f"Bearer {key}"},
        ) as c:
            first = asyncio.create_task(c.post(f"/v1/users/{uid}/events", json=_event(1)))
            await asyncio.sleep(0.1)  # the writer already waits for its turn
            second = c.post(f"/v1/users/{uid}/events", json=_event(2))
            answers = await asyncio.wait_for(asyncio.gather(first, second), 10)
            return answers, list(writes._queues[asyncio.get_running_loop()].waiting)

    try:
        answers, left = asyncio.run(run())
    finally:
        writes.turn = opened
    assert [a.status_code for a in answers] == [503, 503], [a.text for a in answers]
    assert {a.json()["code"] for a in answers} == {"database_busy"}
    assert left == []
    assert _stored(db) == 0
