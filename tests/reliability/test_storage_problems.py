"""A database that cannot store is a 507 problem that says so (`storage_full`,
`read_only`), not "unreachable, retry" (503); /readyz reports it; `rapport serve` on a
read-only database prints one line. Real parts: a real full disk (a small tmpfs), a real
read-only file system (a read-only bind mount), a real PostgreSQL database switched to
read-only, real `rapport serve` processes."""

import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.main import create_app
from tests.databases import POSTGRES_URL, throwaway_database
from tests.support.mounts import read_only_view, small_disk
from tests.support.processes import RAPPORT, TEST_KEY, RapportServer


def _problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    return body


def _batch(n: int, start: int) -> dict:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "events": [
            {
                "platform": "x",
                "kind": "reply",
                "counterpart": f"person-{i:06d}-" + "x" * 150,
                "occurred_at": (t0 + timedelta(seconds=i)).isoformat(),
            }
            for i in range(start, start + n)
        ]
    }


def test_a_full_disk_is_a_507_storage_full_and_readyz_says_so(tmp_path):
    with small_disk("16m") as disk:
        ballast = disk / "ballast"
        ballast.write_bytes(b"\0" * (6 * 1024 * 1024))
        server = RapportServer(f"sqlite:///{disk / 'full.db'}", log=tmp_path / "server.log")
        try:
            with server.client(timeout=30) as c:
                assert c.get("/readyz").json() == {"status": "ready"}
                user = c.post("/v1/users", json={"name": "Ada"}).json()["id"]
                for n in range(40):  # ~10 MB is free; each batch stores ~0.5 MB
                    r = c.post(f"/v1/users/{user}/events:batch", json=_batch(1000, n * 1000))
                    if r.status_code != 200:
                        break
                else:
                    pytest.fail("the disk never filled up")
                body = _problem(r, 507, "storage_full")  # was 503 database_unavailable
                assert "space" in body["detail"] and "retry in a few seconds" not in body["detail"]
                assert "retry-after" not in r.headers
                _problem(c.get("/readyz"), 507, "storage_full")  # was 200 ready
                assert c.get("/v1/me").status_code == 200  # reads still work

                ballast.unlink()  # the operator frees space
                r = c.post(f"/v1/users/{user}/events", json=_batch(1, 10**6)["events"][0])
                assert r.status_code == 201, r.text
                assert c.get("/readyz").json() == {"status": "ready"}
        finally:
            server.stop()
        assert "Traceback" not in (tmp_path / "server.log").read_text()


def _migrated_sqlite(directory) -> str:
    url = f"sqlite:///{directory / 'ro.db'}"
    env = {"RAPPORT_DATABASE_URL": url, "RAPPORT_BOOTSTRAP_KEY": TEST_KEY, "PATH": "/usr/bin:/bin"}
    # `rapport serve` would also bootstrap; `keys create` migrates and writes a key.
    subprocess.run(
        [RAPPORT, "keys", "create", "--workspace", "w"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return url


def test_serve_on_a_read_only_sqlite_file_prints_one_line(tmp_path):
    _migrated_sqlite(tmp_path)
    with read_only_view(tmp_path) as view:
        result = subprocess.run(
            [RAPPORT, "serve", "--port", "1"],
            env={"RAPPORT_DATABASE_URL": f"sqlite:///{view / 'ro.db'}", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"rapport serve: database sqlite:///{view / 'ro.db'}", lines
    assert len(lines) == 2 and "is read-only" in lines[1], lines


def test_a_read_only_sqlite_file_is_a_507_read_only_and_readyz_says_so(tmp_path):
    _migrated_sqlite(tmp_path)
    with read_only_view(tmp_path) as view:
        url = f"sqlite:///{view / 'ro.db'}"
        app = create_app(Settings(database_url=url))
        try:
            with TestClient(
                app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {TEST_KEY}"}
            ) as c:
                write, ready = c.post("/v1/users", json={"name": "Ada"}), c.get("/readyz")
        finally:
            app.state.db.dispose()
    body = _problem(write, 507, "read_only")  # was 503 database_unavailable
    assert "read-only" in body["detail"]
    _problem(ready, 507, "read_only")  # was 503 database_unavailable


@pytest.mark.skipif(not POSTGRES_URL, reason="RAPPORT_TEST_POSTGRES_URL is not set")
def test_postgres_read_only_and_disk_full_are_507_and_readyz_says_so(tmp_path):
    with throwaway_database("postgres", tmp_path) as url:
        name = make_url(url).database
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        owner = create_engine(url, isolation_level="AUTOCOMMIT")

        def reconnect_all() -> None:  # settings of ALTER DATABASE apply to new sessions
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

        server = RapportServer(url, log=tmp_path / "server.log")
        try:
            with server.client(timeout=30) as c:
                assert c.post("/v1/users", json={"name": "Ada"}).status_code == 201
                assert c.get("/readyz").json() == {"status": "ready"}

                # A hot standby, or default_transaction_read_only: SQLSTATE 25006.
                with admin.connect() as conn:
                    conn.execute(
                        text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
                    )
                reconnect_all()
                body = _problem(
                    c.post("/v1/users", json={"name": "Bo"}), 507, "read_only"
                )  # was 500
                assert "read-only" in body["detail"]
                _problem(c.get("/readyz"), 507, "read_only")  # was 200 ready
                assert len(c.get("/v1/users").json()["items"]) == 1  # reads still work
                with admin.connect() as conn:
                    conn.execute(
                        text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
                    )
                reconnect_all()
                assert c.post("/v1/users", json={"name": "Bo"}).status_code == 201
                assert c.get("/readyz").json() == {"status": "ready"}

                # A full disk: PostgreSQL fails the write with SQLSTATE 53100 (disk_full), here
                # raised by the server itself from a trigger, as it does when a file cannot grow.
                with owner.connect() as conn:
                    conn.execute(
                        text(
                            "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                            "RAISE EXCEPTION 'could not extend file: No space left on device' "
                            "USING ERRCODE = 'disk_full'; END $$"
                        )
                    )
                    conn.execute(
                        text(
                            "CREATE TRIGGER disk_full BEFORE INSERT ON app_user "
                            "FOR EACH ROW EXECUTE FUNCTION disk_full()"
                        )
                    )
                body = _problem(
                    c.post("/v1/users", json={"name": "Cy"}), 507, "storage_full"
                )  # was 503
                _problem(c.get("/readyz"), 507, "storage_full")  # was 200 ready
                with owner.connect() as conn:
                    conn.execute(text("DROP TRIGGER disk_full ON app_user"))
                assert c.post("/v1/users", json={"name": "Cy"}).status_code == 201
                assert c.get("/readyz").json() == {"status": "ready"}
        finally:
            server.stop()
            owner.dispose()
            admin.dispose()
