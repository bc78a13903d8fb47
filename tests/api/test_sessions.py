"""What a request gets is named in its endpoint's signature (app.deps): the kind of session
of each route, one statement for the key and the path's user, and a CSV import that
authenticates and parses before it waits for its write session without holding a turn.

The concurrency test runs the app in-process on its own `Database` (not the test
transaction), on the session's migrated database.
"""

import asyncio
import uuid

import httpx
from sqlalchemy import event

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.deps import session_kind
from app.main import V1_ROUTERS, create_app


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
    assert kinds[("GET", "/me")] == "read"
    assert kinds[("POST", "/users")] == "write"
    for (method, path), kind in kinds.items():
        if method in {"GET", "HEAD"}:
            assert kind == "read", path
        elif not path.endswith(("/checks", "events:import")):
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


def test_more_csv_imports_than_slots_all_go_through(database):
    """Each import authenticates in a short read session whose turn it gives back before
    it reads its body; only then does it wait for the write session. (Before: on
    PostgreSQL an import held its slot while it waited for a second one, and ten at once
    on ten slots starved each other into 503s.)"""
    settings = Settings(database_url=database.url, db_pool_size=2, db_wait_timeout_s=10)
    db = Database(database.url, settings)
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
