"""What a request gets is named in its endpoint's signature (app.deps): the kind of session
of each route, one statement for the key and the path's user, and a CSV import that
authenticates and parses before it waits for its write session without holding a turn.

The tests that commit for real run the app in-process on a database of their own
(`own_database`), so the rows they leave never meet the tests that count rows in the
session's database.
"""

import asyncio
import threading
import time
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from app.auth import service as auth_service
from app.auth.models import ApiKey
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.deps import session_kind
from app.main import V1_ROUTERS, create_app
from tests.databases import throwaway_database


@pytest.fixture(scope="module")
def own_database(backend, tmp_path_factory):
    """A migrated database of this module's own, whose rows are committed for real."""
    with throwaway_database(backend, tmp_path_factory.mktemp(f"sessions-{backend}")) as url:
        upgrade(url)
        db = Database(url, Settings(database_url=url))
        yield db
        db.dispose()


def _kinds() -> dict[tuple[str, str], str]:
    kinds = {}
    for router in V1_ROUTERS:
        for route in router.routes:
            for method in getattr(route, "methods", None) or ():
                kinds[(method, route.path)] = session_kind(_Request({"route": route}))
    return kinds


class _Request:
    def __init__(self, scope):
        self.scope = scope


def test_each_route_gets_the_session_its_signature_names():
    kinds = _kinds()
    assert kinds[("POST", "/users/{user_id}/checks")] == "read"  # a POST that only reads
    assert kinds[("POST", "/users/{user_id}/events:import")] == "deferred_write"
    assert kinds[("POST", "/users/{user_id}/events")] == "single_write"  # grouped writes
    assert kinds[("GET", "/me")] == "read"
    assert kinds[("POST", "/users")] == "write"
    for (method, path), kind in kinds.items():
        if method in {"GET", "HEAD"}:
            assert kind == "read", path
        elif (method, path) != ("POST", "/users/{user_id}/events") and not path.endswith(
            ("/checks", "events:import")
        ):
            assert kind == "write", (method, path)


def test_the_key_and_the_paths_user_come_in_one_statement(client, user, connection):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        assert client.get(f"/v1/users/{user['id']}").status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
    assert "api_key" in statements[0] and "app_user" in statements[0]


def test_more_csv_imports_than_slots_all_go_through(own_database):
    """Each import authenticates in a short read session whose turn it gives back before
    it reads its body; only then does it wait for the write session. (Before: on
    PostgreSQL an import held its slot while it waited for a second one, and ten at once
    on ten slots starved each other into 503s.)"""
    url = own_database.url
    settings = Settings(database_url=url, db_pool_size=2, db_wait_timeout_s=10)
    db = Database(url, settings)
    with db.session(write=True) as s:
        ws = auth_service.get_or_create_workspace(s, f"csv-{uuid.uuid4().hex[:8]}")
        _, key = auth_service.create_key(s, ws, "csv")
        s.commit()
    app = create_app(settings, db)
    imports = 8

    def body(i: int) -> bytes:
        rows = "".join(
            f"x,follow,outbound,2026-11-0{1 + j % 7}T10:00:00Z,p{j},false,,,imp-{i}-{j}\n"
            for j in range(20)
        )
        return (
            "platform,kind,direction,occurred_at,counterpart,is_sales,url,text,external_id\n" + rows
        ).encode()

    async def run():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://rapport.test",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as c:
            r = await c.post("/v1/users", json={"name": "importer"})
            assert r.status_code == 201, r.text
            uid = r.json()["id"]
            answers = await asyncio.gather(
                *(
                    c.post(
                        f"/v1/users/{uid}/events:import",
                        content=body(i),
                        headers={"Content-Type": "text/csv"},
                    )
                    for i in range(imports)
                )
            )
            listed = await c.get(f"/v1/users/{uid}/events", params={"limit": 200})
            return answers, listed

    try:
        answers, listed = asyncio.run(run())
    finally:
        db.dispose()
    assert [r.status_code for r in answers] == [200] * imports, [r.text for r in answers]
    assert sum(r.json()["created"] for r in answers) == imports * 20
    assert len(listed.json()["items"]) == imports * 20


def _app_with_key(database, **settings_kw):
    settings = Settings(database_url=database.url, **settings_kw)
    db = Database(database.url, settings)
    with db.session(write=True) as s:
        ws = auth_service.get_or_create_workspace(s, f"touch-{uuid.uuid4().hex[:8]}")
        key, secret = auth_service.create_key(s, ws, "touch")
        s.commit()
    return create_app(settings, db), db, key.id, secret


def _last_used(db: Database, key_id):
    with db.session(write=False) as s:
        return s.execute(select(ApiKey.last_used_at).where(ApiKey.id == key_id)).scalar_one()


_ONE_EVENT_CSV = b"platform,kind,occurred_at\nx,follow,2026-11-01T10:00:00Z\n"
_ONE_EVENT = {"platform": "x", "kind": "follow", "occurred_at": "2026-11-01T10:00:00Z"}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        # The deferred write session, not the short auth session, records last_used_at.
        (":import", {"content": _ONE_EVENT_CSV, "headers": {"Content-Type": "text/csv"}}, 200),
        # The single-event writer (app/events/single_writes.py), after its group's commit.
        ("", {"json": _ONE_EVENT}, 201),
    ],
    ids=["csv-import", "single-event"],
)
def test_a_write_that_authenticates_first_records_its_key_use(own_database, path, body, status):
    app, db, key_id, secret = _app_with_key(own_database)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as c:
            uid = c.post("/v1/users", json={"name": "touch"}).json()["id"]
            with db.session(write=True) as s:  # forget the touch of the POST above
                s.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=None))
                s.commit()
            r = c.post(f"/v1/users/{uid}/events{path}", **body)
            assert r.status_code == status, r.text
        assert _last_used(db, key_id) is not None
    finally:
        db.dispose()


def test_a_sqlite_reader_never_waits_for_the_write_lock_to_record_its_key(own_database, backend):
    """While another process holds the write lock, a GET answers at once and leaves
    last_used_at for a later request; once the lock is free, the next GET records it."""
    if backend != "sqlite":
        pytest.skip("the SQLite write lock")
    app, db, key_id, secret = _app_with_key(own_database, key_touch_interval_s=0)
    other = Database(own_database.url, Settings(database_url=own_database.url))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.session(write=True):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as c:
            holder.start()
            held.wait(5)
            began = time.monotonic()
            assert c.get("/v1/me").status_code == 200
            # The lock is held until after this GET: a reader that waited for it would take
            # the holder's 60 s. The bound is far from both (a loaded CI machine took 1.9 s).
            assert time.monotonic() - began < 20
            assert _last_used(db, key_id) is None
            release.set()
            holder.join(10)
            assert c.get("/v1/me").status_code == 200
        assert _last_used(db, key_id) is not None
    finally:
        release.set()
        if holder.is_alive():
            holder.join(10)
        other.dispose()
        db.dispose()


def test_a_route_that_names_two_kinds_of_session_fails_at_start_up():
    from fastapi import APIRouter

    from app.deps import ReadSession, WriteSession, check_session_kinds

    router = APIRouter()

    @router.post("/both")
    def both(read: ReadSession, write: WriteSession) -> None:
        return None

    with pytest.raises(RuntimeError, match="one kind of session"):
        check_session_kinds(router)


def test_every_session_ends_before_the_response_is_sent():
    """Each use of get_session is scope="function": the commit runs when the endpoint has
    returned, before the response starts, so a failed commit is the client's error, never
    a 200 for work that was lost (tests/reliability/test_storage_problems.py shows it on a
    full disk)."""
    from app.deps import get_session

    seen = 0
    for router in V1_ROUTERS:
        for route in router.routes:
            stack = [route.dependant]
            while stack:
                current = stack.pop()
                if current.call is get_session:
                    seen += 1
                    assert current.scope == "function", route.path
                stack.extend(current.dependencies)
    assert seen
