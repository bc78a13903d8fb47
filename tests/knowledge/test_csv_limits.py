"""CSV import limits (issue 10, finding 3): a hostile file is refused quickly, as a 4xx
problem, and without ever waiting for (or holding) the SQLite write lock.

Before the fix the header check was quadratic in the number of columns (20,000 columns:
seconds of CPU) and ran inside the write transaction, so one import stalled every writer.
"""

import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.events import csv_read
from app.main import create_app
from tests.knowledge.helpers import make_user, problem

ROW = "x,post,2026-11-02T10:00:00Z\r\n"
HEAD = "platform,kind,occurred_at\r\n"
# Each well under the 1 MiB body limit, so the CSV limits (not the body size) refuse them.
HOSTILE = {
    "20000-columns": (",".join("c" for _ in range(20_000)) + "\r\n" + ROW, "too_many_columns"),
    "100-KiB-line": (
        HEAD.replace("\r\n", ",text\r\n") + ROW.replace("\r\n", ",") + "a" * (100 * 1024) + "\r\n",
        "line_too_long",
    ),
    "too-many-rows": (HEAD + ROW * (csv_read.MAX_IMPORT_ROWS + 1), "too_many_rows"),
}


def _import(client, uid, body: str):
    return client.post(
        f"/v1/users/{uid}/events:import",
        content=body.encode(),
        headers={"Content-Type": "text/csv"},
    )


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_csv_is_a_quick_4xx_problem(client, name):
    uid = make_user(client)
    body, code = HOSTILE[name]
    started = time.perf_counter()
    r = _import(client, uid, body)
    elapsed = time.perf_counter() - started
    problem(r, 422, code)
    assert elapsed < 10, f"{name}: {elapsed:.1f} s"  # generous: ~0.05 s here, seconds before
    assert client.get(f"/v1/users/{uid}/events").json()["items"] == []


def test_the_limits_are_inclusive(client):
    uid = make_user(client)
    # 100 header columns is allowed (the usual header check then names what is wrong).
    head = ",".join(["platform", "kind", "occurred_at"] + [f"c{i}" for i in range(97)])
    body = problem(_import(client, uid, head + "\r\n"), 422, "invalid_csv_header")
    assert len(body["errors"]) == 97
    # A 64 KiB line is read (and its row refused for its text, not for its length).
    line = "x,post,2026-11-02T10:00:00Z,"
    body = problem(
        _import(
            client,
            uid,
            "platform,kind,occurred_at,text\r\n"
            + line
            + "a" * (csv_read.MAX_LINE_CHARS - len(line))
            + "\r\n",
        ),
        422,
        "invalid_csv",
    )
    assert body["errors"][0]["column"] == "text"


def test_hostile_csv_needs_authentication_first(anon, client):
    uid = make_user(client)
    r = _import(anon, uid, HOSTILE["20000-columns"][0])
    assert r.status_code == 401, r.text


def test_csv_is_validated_before_the_write_lock_is_taken(tmp_path):
    """While another connection holds SQLite's write lock, bad files still get their 422
    (nothing about them needs the lock); a good file waits for it, as any write does, and
    gets the 503 once the (here short) busy timeout runs out."""
    url = f"sqlite:///{tmp_path / 'csv-lock.db'}"
    upgrade(url)
    settings = Settings(database_url=url, sqlite_busy_timeout_ms=300)
    db = Database(url, settings)
    with db.session(write=True) as s:
        key = auth_service.bootstrap(s, None)
    client = TestClient(create_app(settings, db), headers={"Authorization": f"Bearer {key}"})
    uid = client.post("/v1/users", json={"name": "lock"}).json()["id"]

    blocker = sqlite3.connect(tmp_path / "csv-lock.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        refused = {name: _import(client, uid, body) for name, (body, _) in HOSTILE.items()}
        bad_row = _import(client, uid, HEAD + "x,nope,2026-11-02T10:00:00Z\r\n")
        good = _import(client, uid, HEAD + ROW)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    try:
        for name, (_, code) in HOSTILE.items():
            problem(refused[name], 422, code)
        problem(bad_row, 422, "invalid_csv")
        problem(good, 503, "database_unavailable")
        # With the lock free again, the same file is stored.
        r = _import(client, uid, HEAD + ROW)
        assert r.status_code == 200 and r.json()["created"] == 1, r.text
    finally:
        db.dispose()
