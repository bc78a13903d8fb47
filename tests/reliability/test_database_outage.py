"""While a client writes events in a loop, PostgreSQL goes down and comes back.

During the outage requests get a quick 503 problem and /readyz says not ready; after the
restart the same Rapport process serves again; every event that got a 2xx is stored.
"""

import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.processes import PrivatePostgres, RapportServer

MAX_ANSWER_SECONDS = 5.0


@pytest.fixture
def postgres():
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.destroy()


def test_requests_fail_fast_during_outage_and_recover(postgres, tmp_path):
    server = RapportServer(postgres.url, log=tmp_path / "server.log")
    results: list[tuple[str, int, float]] = []
    stop = threading.Event()
    try:
        with server.client(timeout=30) as client:
            user_id = client.post("/v1/users", json={"name": "outage"}).json()["id"]

            def writer():
                i = 0
                while not stop.is_set():
                    ext = f"outage-{i}"
                    event = {
                        "platform": "x",
                        "kind": "post",
                        "external_id": ext,
                        "occurred_at": "2026-11-01T12:00:00Z",
                        "text": ext,
                    }
                    began = time.monotonic()
                    try:
                        status = client.post(f"/v1/users/{user_id}/events", json=event).status_code
                    except httpx.TransportError:
                        status = -1
                    results.append((ext, status, time.monotonic() - began))
                    i += 1
                    time.sleep(0.02)

            thread = threading.Thread(target=writer)
            thread.start()
            time.sleep(1.0)
            postgres.stop()
            time.sleep(0.5)
            outage_ready = httpx.get(f"{server.url}/readyz", timeout=10)
            time.sleep(2.0)
            postgres.start()
            deadline = time.monotonic() + 20
            recovered_at = len(results)
            while time.monotonic() < deadline and not any(
                s == 201 for _, s, _ in results[recovered_at:]
            ):
                time.sleep(0.2)
            time.sleep(0.5)
            stop.set()
            thread.join(timeout=30)
            ready_after = httpx.get(f"{server.url}/readyz", timeout=10)
    finally:
        stop.set()
        server.stop()

    statuses = [s for _, s, _ in results]
    assert outage_ready.status_code == 503
    assert outage_ready.headers["content-type"].startswith("application/problem+json")
    assert outage_ready.json()["code"] == "database_unavailable"
    assert ready_after.status_code == 200
    assert 503 in statuses, "no request saw the outage"
    assert statuses[-1] == 201, "writes did not recover after the restart"
    assert set(statuses) <= {200, 201, 503}, f"unexpected answers: {sorted(set(statuses))}"
    slowest = max(t for _, _, t in results)
    assert slowest < MAX_ANSWER_SECONDS, f"a request hung for {slowest:.1f}s during the outage"

    acknowledged = {ext for ext, s, _ in results if s in (200, 201)}
    engine = create_engine(postgres.url)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT external_id FROM event")).scalars())
    engine.dispose()
    assert acknowledged <= stored, f"acknowledged but lost: {sorted(acknowledged - stored)[:5]}"
