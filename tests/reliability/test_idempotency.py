"""Idempotency-Key (§13) against real `rapport serve` processes, on SQLite and PostgreSQL:
replays, a reused key, workspaces, a claim in progress and a stale one, and two replicas
racing on one key (exactly one write)."""

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, func, select, update

from app.auth.models import Workspace
from app.core.types import utc_now
from app.idempotency.middleware import CLAIM_TIMEOUT_S
from app.idempotency.models import IdempotencyKey
from app.users.models import User
from tests.databases import throwaway_database
from tests.reliability.servers import rapport_cli
from tests.support.processes import RapportServer

OFF = {"RAPPORT_RATE_LIMIT": "off"}


@pytest.fixture(scope="module")
def deployment(backend, tmp_path_factory) -> Iterator[tuple[str, list[RapportServer]]]:
    """Two servers on one database (PostgreSQL: two replicas; SQLite: two on one file)."""
    with throwaway_database(backend, tmp_path_factory.mktemp(f"idem-{backend}")) as url:
        first = RapportServer(url, env=OFF)
        try:
            second = RapportServer(url, env=OFF)
        except Exception:
            first.stop()
            raise
        try:
            yield url, [first, second]
        finally:
            first.stop()
            second.stop()


def _users_named(url: str, name: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(User).where(User.name == name)  # type: ignore[arg-type]
            ).scalar_one()
    finally:
        engine.dispose()


def _post_user(client: httpx.Client, key: str, name: str) -> httpx.Response:
    return client.post(
        "/v1/users", json={"name": name, "timezone": "UTC"}, headers={"Idempotency-Key": key}
    )


def test_the_same_request_is_answered_from_the_kept_response(deployment):
    url, servers = deployment
    name, key = f"replay-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with servers[0].client() as a, servers[1].client() as b:
        first = _post_user(a, key, name)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        for client in (a, b):  # the same replica, and another one
            again = _post_user(client, key, name)
            assert again.status_code == 201
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json() == first.json()
            assert again.headers["content-type"] == first.headers["content-type"]
            assert again.headers.get("location") == first.headers.get("location")
    assert _users_named(url, name) == 1


def test_a_4xx_is_kept_too(deployment):
    _, servers = deployment
    key = uuid.uuid4().hex
    with servers[0].client() as c:
        body = {"name": "x", "timezone": "Mars/Olympus"}
        first = c.post("/v1/users", json=body, headers={"Idempotency-Key": key})
        assert first.status_code == 422
        again = c.post("/v1/users", json=body, headers={"Idempotency-Key": key})
        assert again.status_code == 422
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()


def test_another_request_with_the_key_is_refused(deployment):
    url, servers = deployment
    name, key = f"reused-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with servers[0].client() as c:
        assert _post_user(c, key, name).status_code == 201
        other_body = _post_user(c, key, name + "-other")
        assert other_body.status_code == 422
        assert other_body.json()["code"] == "idempotency_key_reused"
        other_path = c.post(
            "/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": key}
        ).json()
        assert other_path["code"] == "idempotency_key_reused"
        other_query = c.post(
            "/v1/users?x=1",
            json={"name": name, "timezone": "UTC"},
            headers={"Idempotency-Key": key},
        )
        assert other_query.json()["code"] == "idempotency_key_reused"
    assert _users_named(url, name + "-other") == 0


def test_keys_are_per_workspace(deployment):
    url, servers = deployment
    created = rapport_cli(url, "keys", "create", "--workspace", f"ws-{uuid.uuid4().hex[:6]}")
    other_key = re.search(r"rpk_[A-Za-z0-9_-]+", created.stdout + created.stderr)
    assert other_key, created
    name, key = f"ws-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with servers[0].client() as c:
        assert _post_user(c, key, name).status_code == 201
        assert _post_user(c, key, name).headers["idempotent-replayed"] == "true"
    with httpx.Client(
        base_url=servers[1].url, headers={"Authorization": f"Bearer {other_key.group()}"}
    ) as other:
        second = _post_user(other, key, name)
        assert second.status_code == 201
        assert "idempotent-replayed" not in second.headers
    assert _users_named(url, name) == 2


def test_an_unknown_or_missing_api_key_passes_through_to_the_401(deployment):
    _, servers = deployment
    for auth in ({"Authorization": "Bearer rpk_unknownUnknownUnknown0123456"}, {}):
        r = httpx.post(
            f"{servers[0].url}/v1/users",
            json={"name": "n", "timezone": "UTC"},
            headers={"Idempotency-Key": "k-401", **auth},
        )
        assert r.status_code == 401
        assert r.json()["code"] == "unauthorized"
    # The 401s claimed nothing: the key then runs for a valid API key, once.
    with servers[0].client() as c:
        name = f"after-401-{uuid.uuid4().hex[:6]}"
        assert _post_user(c, "k-401", name).status_code == 201
        assert _post_user(c, "k-401", name).headers["idempotent-replayed"] == "true"


def test_a_key_longer_than_255_characters_is_refused(deployment):
    _, servers = deployment
    with servers[0].client() as c:
        r = _post_user(c, "k" * 256, "long")
        assert r.status_code == 400
        assert r.json()["code"] == "invalid_idempotency_key"
        assert _post_user(c, "k" * 255, f"ok-{uuid.uuid4().hex[:6]}").status_code == 201


def _workspace_id(url: str) -> uuid.UUID:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found: uuid.UUID = conn.execute(
                select(Workspace.id).where(Workspace.name == "default")  # type: ignore[arg-type]
            ).scalar_one()
            return found
    finally:
        engine.dispose()


def test_a_claim_in_progress_is_409_and_a_stale_one_is_taken_over(deployment):
    """A claim another process holds (inserted here, as a request still running would have)
    answers 409; once older than CLAIM_TIMEOUT_S (its process died) the key runs again."""
    url, servers = deployment
    name, key = f"claim-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with servers[0].client() as c:
        assert _post_user(c, key, name).status_code == 201
    workspace = _workspace_id(url)
    engine = create_engine(url)
    table = IdempotencyKey.__table__  # type: ignore[attr-defined]
    try:
        with engine.begin() as conn:  # back to "in progress", as if still running
            conn.execute(
                update(table)
                .where(table.c.key == key, table.c.workspace_id == workspace)
                .values(status=None, body=None, claimed_at=utc_now())
            )
        with servers[1].client() as c:
            busy = _post_user(c, key, name)
            assert busy.status_code == 409
            assert busy.json()["code"] == "idempotency_key_in_use"
            assert busy.headers["retry-after"] == "1"
        with engine.begin() as conn:  # the claim's process died long ago
            conn.execute(
                update(table)
                .where(table.c.key == key)
                .values(claimed_at=utc_now() - timedelta(seconds=CLAIM_TIMEOUT_S + 1))
            )
        with servers[1].client() as c:
            rerun = _post_user(c, key, name)
            assert rerun.status_code == 201
            assert "idempotent-replayed" not in rerun.headers
    finally:
        engine.dispose()
    assert _users_named(url, name) == 2


def _race(
    servers: list[RapportServer], name: str, key: str, per_server: int
) -> list[httpx.Response]:
    """Every client sends the same request with the same key at the same moment."""
    barrier = threading.Barrier(per_server * len(servers))
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send(server: RapportServer) -> None:
        with server.client(timeout=30) as c:
            barrier.wait()
            r = _post_user(c, key, name)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=send, args=(s,)) for s in servers for _ in range(per_server)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_replicas_racing_on_one_key_write_once(deployment):
    url, servers = deployment
    for n in range(12):
        name, key = f"race-{n}-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        answers = _race(servers, name, key, per_server=3)
        statuses = sorted(r.status_code for r in answers)
        assert set(statuses) <= {201, 409}, [r.text for r in answers]
        fresh = [
            r for r in answers if r.status_code == 201 and "idempotent-replayed" not in r.headers
        ]
        assert len(fresh) == 1, statuses
        for r in answers:
            if r.status_code == 409:
                assert r.json()["code"] == "idempotency_key_in_use"
            elif r is not fresh[0]:
                assert r.json() == fresh[0].json()
        assert _users_named(url, name) == 1
