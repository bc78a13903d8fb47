"""POST /checks only reads: on SQLite it must not queue for the single write lock.

While another connection holds the write lock, the guard still answers, and a real write
gets the 503 problem once the (here short) busy timeout runs out.
"""

import sqlite3

from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app


def test_checks_answer_while_another_writer_holds_the_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    upgrade(url)
    settings = Settings(database_url=url, sqlite_busy_timeout_ms=300)
    db = Database(url, settings)
    with db.session(write=True) as s:
        key = auth_service.bootstrap(s, None)
    client = TestClient(create_app(settings, db), headers={"Authorization": f"Bearer {key}"})
    user_id = client.post("/v1/users", json={"name": "lock"}).json()["id"]

    blocker = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        check = client.post(
            f"/v1/users/{user_id}/checks", json={"action": "follow", "platform": "x"}
        )
        write = client.post(
            f"/v1/users/{user_id}/events",
            json={"platform": "x", "kind": "post", "occurred_at": "2026-11-01T10:00:00Z"},
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        db.dispose()
    assert check.status_code == 200, check.text
    assert check.json()["allowed"] is True
    assert write.status_code == 503
    assert write.json()["code"] == "database_unavailable"
