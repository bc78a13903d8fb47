"""Rate limits shared through Redis (§13) by two real servers on one database, and Redis
down: requests go on (fail open) and /readyz says degraded."""

import os
import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.databases import throwaway_database
from tests.support.processes import RapportServer, free_port

REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def replicas(backend, tmp_path_factory) -> Iterator[list[RapportServer]]:
    if not _redis_up():
        if os.environ.get("CI"):  # CI runs Redis: its absence is a failure there, not a skip
            pytest.fail(f"no Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    env = {
        "RAPPORT_REDIS_URL": REDIS_URL,
        "RAPPORT_REDIS_PREFIX": f"test-{uuid.uuid4().hex}",  # parallel runs never collide
        "RAPPORT_RATE_LIMIT": "5/minute",
        "RAPPORT_AUTH_FAILURE_LIMIT": "3/minute",
    }
    with throwaway_database(backend, tmp_path_factory.mktemp(f"rl-{backend}")) as url:
        first = RapportServer(url, env=env)
        try:
            second = RapportServer(url, env=env)
        except Exception:
            first.stop()
            raise
        try:
            yield [first, second]
        finally:
            first.stop()
            second.stop()


def test_two_replicas_share_the_counters_of_a_key(replicas):
    a, b = replicas
    with a.client() as ca, b.client() as cb:
        answers = [c.get("/v1/me") for c in (ca, cb, ca, cb, ca)]
        assert [r.status_code for r in answers] == [200] * 5
        assert [r.headers["ratelimit"].split(";")[1] for r in answers] == [
            "r=4",
            "r=3",
            "r=2",
            "r=1",
            "r=0",
        ]
        over = cb.get("/v1/me")
        assert over.status_code == 429
        assert over.json()["code"] == "rate_limited"
        assert int(over.headers["retry-after"]) >= 1
        assert httpx.get(f"{b.url}/readyz").json() == {"status": "ready"}


def test_two_replicas_share_the_failed_authentications_of_an_address(replicas):
    a, b = replicas
    bad = {"Authorization": "Bearer rpk_unknownUnknownUnknown0123456"}
    statuses = [httpx.get(f"{s.url}/v1/platforms", headers=bad).status_code for s in (a, b)]
    statuses += [httpx.post(f"{s.url}/v1/users", headers=bad, json={}).status_code for s in (a,)]
    assert statuses == [200, 200, 401]  # platforms needs no key: not a failure
    for s in (b, a):
        assert httpx.get(f"{s.url}/v1/me", headers=bad).status_code == 401
    over = httpx.get(f"{b.url}/v1/me")
    assert over.status_code == 429
    assert over.json()["code"] == "rate_limited"
    assert httpx.get(f"{a.url}/healthz").status_code == 200


def test_redis_down_requests_go_on_and_readyz_says_degraded(tmp_path):
    closed = free_port()  # nothing listens there
    env = {
        "RAPPORT_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        "RAPPORT_RATE_LIMIT": "1000/minute",
    }
    server = RapportServer(f"sqlite:///{tmp_path / 'rl.db'}", env=env, log=tmp_path / "log")
    try:
        with server.client(timeout=10) as c:
            for _ in range(3):
                r = c.get("/v1/me")
                assert r.status_code == 200
                assert r.headers["ratelimit-policy"] == '"key";q=1000;w=60'
            user = c.post("/v1/users", json={"name": "Ada", "timezone": "UTC"})
            assert user.status_code == 201
            ready = c.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"status": "degraded"}
    finally:
        server.stop()
