"""A real `rapport serve` (2 workers) through PgBouncer in transaction mode (README,
Configuration): with RAPPORT_DB_PREPARED_STATEMENTS=false every request succeeds; with
psycopg's automatic prepared statements on (its default), PgBouncer 1.18's transaction
pooling hands a statement prepared on one server connection to another, and requests fail.

PostgreSQL only; skipped when the pgbouncer binary is absent (`apt-get install pgbouncer`;
.ci/run installs it). PgBouncer refuses to run as root, so it is started with ``-u
postgres`` from a directory that user can read.
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.core.migrate import upgrade
from tests.databases import POSTGRES_URL, throwaway_database
from tests.support.processes import RapportServer, free_port

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)
pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: RAPPORT_TEST_POSTGRES_URL"),
    pytest.mark.skipif(
        PGBOUNCER is None, reason="pgbouncer is not installed (apt-get install pgbouncer)"
    ),
]


@pytest.fixture
def bounced_url(tmp_path) -> Iterator[str]:
    """A fresh migrated database, and its URL through a PgBouncer of this test's own
    (transaction mode, 4 server connections for every client)."""
    with throwaway_database("postgres", tmp_path) as direct:
        upgrade(direct)  # migrations take a session lock: straight to PostgreSQL
        url = make_url(direct)
        port = free_port()
        directory = Path(tempfile.mkdtemp(prefix="rapport-pgbouncer-"))
        directory.chmod(0o755)
        (directory / "users.txt").write_text(f'"{url.username}" ""\n')
        (directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{url.database} = host={url.host} port={url.port or 5432} dbname={url.database}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 200\n"
        )
        for f in directory.iterdir():
            f.chmod(0o644)
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        log = open(directory / "pgbouncer.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [PGBOUNCER, *as_user, str(directory / "pgbouncer.ini")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 10
            while b"listening on" not in (directory / "pgbouncer.log").read_bytes():
                assert proc.poll() is None, (directory / "pgbouncer.log").read_text()
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.05)
            yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()
            shutil.rmtree(directory, ignore_errors=True)


def _traffic(server: RapportServer) -> list[int]:
    """Statuses of a user's creation, event batches and repeated reads (well past psycopg's
    prepare threshold of 5 executions), from 4 clients at once."""
    import concurrent.futures

    with server.client(timeout=30) as c:
        r = c.post("/v1/users", json={"name": "Bounced", "timezone": "UTC"})
        assert r.status_code == 201, r.text
        user = r.json()["id"]

    def client_run(n: int) -> list[int]:
        statuses = []
        with server.client(timeout=30) as c:
            for i in range(15):
                body = {
                    "events": [
                        {
                            "platform": "x",
                            "kind": "comment",
                            "direction": "outbound",
                            "occurred_at": f"2026-11-{1 + i:02d}T10:{n:02d}:00Z",
                            "counterpart": f"p{n}",
                        }
                    ]
                }
                statuses.append(c.post(f"/v1/users/{user}/events:batch", json=body).status_code)
                statuses.append(c.get(f"/v1/users/{user}/events", params={"limit": 5}).status_code)
                statuses.append(c.get(f"/v1/users/{user}").status_code)
        return statuses

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return [s for part in pool.map(client_run, range(4)) for s in part]


def test_serve_through_pgbouncer_in_transaction_mode(bounced_url, tmp_path):
    server = RapportServer(
        bounced_url,
        workers=2,
        log=tmp_path / "serve.log",
        env={"RAPPORT_DB_PREPARED_STATEMENTS": "false", "RAPPORT_RATE_LIMIT": "off"},
    )
    try:
        statuses = _traffic(server)
    finally:
        server.stop()
    assert set(statuses) <= {200, 201}, (
        sorted(set(statuses)),
        (tmp_path / "serve.log").read_text()[-3000:],
    )


def test_prepared_statements_break_behind_pgbouncer_in_transaction_mode(bounced_url, tmp_path):
    """Why the setting exists: psycopg's default prepares repeated statements."""
    server = RapportServer(
        bounced_url, workers=2, log=tmp_path / "serve.log", env={"RAPPORT_RATE_LIMIT": "off"}
    )
    try:
        statuses = _traffic(server)
    except (AssertionError, httpx.HTTPError):
        statuses = [500]
    finally:
        server.stop()
    assert any(s >= 500 for s in statuses)
