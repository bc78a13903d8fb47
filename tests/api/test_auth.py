"""SPEC §3: API keys, the one 401 for every bad key, /v1/me and /v1/api-keys."""

import hashlib
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.models import ApiKey, Workspace
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app
from tests.api.helpers import assert_problem, same_problem
from tests.conftest import http
from tests.databases import throwaway_database

WELL_FORMED_UNKNOWN = "rpk_" + "A" * 43


def _assert_unauthorized(response) -> dict:
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    return body


def test_every_kind_of_bad_key_gets_the_same_401(app, client, user):
    revoked = client.post("/v1/api-keys", json={"name": "soon revoked"}).json()
    assert client.delete(f"/v1/api-keys/{revoked['id']}").status_code == 204

    headers_list = [
        {},  # missing
        {"Authorization": "Basic x"},  # other scheme
        {"Authorization": "Bearer notrpk"},  # malformed secret
        {"Authorization": "Bearer"},  # scheme only
        {"Authorization": "Bearer "},  # empty secret
        {"Authorization": "rpk_" + "B" * 43},  # no scheme
        {"Authorization": f"Bearer {WELL_FORMED_UNKNOWN}"},  # unknown
        {"Authorization": f"Bearer {revoked['key']}"},  # revoked
    ]
    requests = [
        ("GET", "/v1/me", None),
        ("GET", "/v1/users", None),
        ("GET", "/v1/api-keys", None),
        ("GET", f"/v1/users/{user['id']}/events", None),
        ("DELETE", f"/v1/users/{user['id']}", None),
        ("POST", "/v1/users", {"name": "Intruder"}),
        ("PUT", f"/v1/users/{user['id']}/follow-plans/x", {"weekly_target": 5}),
        # Authentication comes before validation: no hint about what exists or parses.
        ("GET", "/v1/users/not-a-uuid", None),
        ("POST", "/v1/users", {"name": ""}),
        ("GET", "/v1/users?limit=0&cursor=garbage", None),
    ]
    bodies, challenges = [], []
    with http(app, None) as anon:
        for method, path, body in requests:
            for headers in headers_list:
                r = anon.request(method, path, headers=headers, json=body)
                bodies.append(same_problem(_assert_unauthorized(r)))
                challenges.append(r.headers["www-authenticate"])
    assert all(b == bodies[0] for b in bodies), bodies
    assert len(set(challenges)) == 1, challenges
    # The problem says nothing that tells the kinds apart or echoes the secret.
    assert revoked["key"] not in str(bodies[0])
    assert client.get(f"/v1/users/{user['id']}").status_code == 200
    assert client.get(f"/v1/users/{user['id']}/follow-plans").json()["items"] == []
    assert [u["id"] for u in client.get("/v1/users").json()["items"]] == [user["id"]]


def test_unauthenticated_writes_are_refused_before_anything_is_stored(anon, client, session):
    r = anon.post("/v1/users", json={"name": "Intruder"})
    _assert_unauthorized(r)
    r = anon.post("/v1/api-keys", json={"name": "sneaky"})
    _assert_unauthorized(r)
    assert client.get("/v1/users").json()["items"] == []
    names = session.execute(select(ApiKey.name)).scalars().all()
    assert "sneaky" not in names


def test_me_returns_the_callers_workspace(client, other_client, session):
    r = client.get("/v1/me")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"id", "name", "created_at"}
    assert body["name"] == "acme"
    assert body["created_at"].endswith("Z")
    ws = session.execute(select(Workspace).where(Workspace.name == "acme")).scalar_one()
    assert body["id"] == str(ws.id)
    other = other_client.get("/v1/me").json()
    assert other["name"] == "globex" and other["id"] != body["id"]


def test_bearer_scheme_is_case_insensitive(app, api_key):
    with http(app, None) as anon:
        r = anon.get("/v1/me", headers={"Authorization": f"bearer {api_key}"})
    assert r.status_code == 200
    assert r.json()["name"] == "acme"


def test_create_key_shows_the_secret_once_and_it_works(app, client, session):
    r = client.post("/v1/api-keys", json={"name": "ci"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) >= {
        "id",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
        "key",
    }
    secret = created["key"]
    assert created["name"] == "ci"
    assert secret.startswith("rpk_")
    assert len(secret) - len("rpk_") >= 22  # ≥ 128 bits of URL-safe base64
    assert created["prefix"] == secret[:12]
    assert created["revoked_at"] is None and created["last_used_at"] is None

    # Stored only as a SHA-256 hash.
    row = session.execute(select(ApiKey).where(ApiKey.id == uuid.UUID(created["id"]))).scalar_one()
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.key_hash, row.prefix, row.name)

    listed = client.get("/v1/api-keys")
    assert listed.status_code == 200
    assert secret not in listed.text
    items = listed.json()["items"]
    mine = [k for k in items if k["id"] == created["id"]]
    assert len(mine) == 1 and "key" not in mine[0]
    assert mine[0]["prefix"] == created["prefix"]
    assert all("key" not in k for k in items)

    with http(app, secret) as new:
        me = new.get("/v1/me")
    assert me.status_code == 200 and me.json()["name"] == "acme"


def test_create_key_without_a_body_uses_a_default_name(client):
    r = client.post("/v1/api-keys")
    assert r.status_code == 201, r.text
    assert r.json()["name"]
    assert r.json()["key"].startswith("rpk_")


def test_create_key_rejects_bad_names(client):
    assert_problem(client.post("/v1/api-keys", json={"name": ""}), 422, "validation_error")
    assert_problem(client.post("/v1/api-keys", json={"name": "x" * 201}), 422, "validation_error")


def test_two_keys_never_share_a_secret(client):
    a = client.post("/v1/api-keys", json={"name": "a"}).json()
    b = client.post("/v1/api-keys", json={"name": "b"}).json()
    assert a["key"] != b["key"] and a["id"] != b["id"]


def test_list_shows_only_this_workspaces_keys(client, other_client):
    mine = client.post("/v1/api-keys", json={"name": "acme-extra"}).json()
    theirs = other_client.post("/v1/api-keys", json={"name": "globex-extra"}).json()
    my_ids = {k["id"] for k in client.get("/v1/api-keys").json()["items"]}
    their_ids = {k["id"] for k in other_client.get("/v1/api-keys").json()["items"]}
    assert mine["id"] in my_ids and theirs["id"] not in my_ids
    assert theirs["id"] in their_ids and mine["id"] not in their_ids
    assert not my_ids & their_ids


def test_revoked_key_is_refused_on_the_very_next_request(app, client):
    created = client.post("/v1/api-keys", json={"name": "temp"}).json()
    with http(app, created["key"]) as temp:
        assert temp.get("/v1/me").status_code == 200
        r = client.delete(f"/v1/api-keys/{created['id']}")
        assert r.status_code == 204
        assert r.content == b""
        _assert_unauthorized(temp.get("/v1/me"))
        _assert_unauthorized(temp.post("/v1/users", json={"name": "after revoke"}))
    listed = {k["id"]: k for k in client.get("/v1/api-keys").json()["items"]}
    assert listed[created["id"]]["revoked_at"] is not None
    assert listed[created["id"]]["revoked_at"].endswith("Z")
    # Revoking again is still a 204 (idempotent) and keeps the first revocation time.
    again = client.delete(f"/v1/api-keys/{created['id']}")
    assert again.status_code == 204
    relisted = {k["id"]: k for k in client.get("/v1/api-keys").json()["items"]}
    assert relisted[created["id"]]["revoked_at"] == listed[created["id"]]["revoked_at"]


def test_a_key_can_revoke_itself(app, client):
    created = client.post("/v1/api-keys", json={"name": "self"}).json()
    with http(app, created["key"]) as temp:
        assert temp.delete(f"/v1/api-keys/{created['id']}").status_code == 204
        _assert_unauthorized(temp.get("/v1/me"))
    assert client.get("/v1/me").status_code == 200


def test_deleting_another_workspaces_key_is_404_and_leaves_it_working(app, client, other_client):
    theirs = other_client.post("/v1/api-keys", json={"name": "globex-key"}).json()
    r = client.delete(f"/v1/api-keys/{theirs['id']}")
    missing = client.delete(f"/v1/api-keys/{uuid.uuid4()}")
    body = same_problem(assert_problem(r, 404, "not_found"))
    assert body == same_problem(assert_problem(missing, 404, "not_found"))
    with http(app, theirs["key"]) as still:
        assert still.get("/v1/me").json()["name"] == "globex"
    listed = {k["id"]: k for k in other_client.get("/v1/api-keys").json()["items"]}
    assert listed[theirs["id"]]["revoked_at"] is None


def test_delete_key_with_a_non_uuid_id_is_422(client):
    assert_problem(client.delete("/v1/api-keys/not-a-uuid"), 422, "validation_error")


# --- last_used_at, through the real session dependency (not the test override) -----------


@pytest.fixture(scope="module")
def committed(backend, tmp_path_factory) -> Iterator[tuple]:
    """An app on its own migrated database that commits for real, as in production.
    Shared by the tests below; each makes its own keys and looks only at those."""
    with throwaway_database(backend, tmp_path_factory.mktemp(f"committed-{backend}")) as url:
        upgrade(url)
        settings = Settings(database_url=url)
        db = Database(url, settings)
        try:
            yield create_app(settings, db), db
        finally:
            db.dispose()


def _new_key(db: Database, workspace: str) -> tuple[uuid.UUID, str]:
    with db.session(write=True) as s:
        ws = auth_service.get_or_create_workspace(s, workspace)
        key, secret = auth_service.create_key(s, ws, "test")
        s.commit()
        return key.id, secret


def _stored_key(db: Database, key_id: uuid.UUID) -> ApiKey:
    with db.session(write=False) as s:
        return s.execute(select(ApiKey).where(ApiKey.id == key_id)).scalar_one()


def test_last_used_at_is_recorded_after_use(committed):
    app, db = committed
    key_id, secret = _new_key(db, "acme")
    unused_id, _ = _new_key(db, "acme")
    assert _stored_key(db, key_id).last_used_at is None

    with http(app, secret) as c:
        assert c.get("/v1/me").status_code == 200
        stored = _stored_key(db, key_id)
        assert stored.last_used_at is not None
        assert stored.last_used_at.utcoffset() is not None
        assert stored.last_used_at >= stored.created_at
        listed = {k["id"]: k for k in c.get("/v1/api-keys").json()["items"]}
    assert listed[str(key_id)]["last_used_at"] is not None
    assert listed[str(key_id)]["last_used_at"].endswith("Z")
    assert listed[str(unused_id)]["last_used_at"] is None
    assert _stored_key(db, unused_id).last_used_at is None


def test_failed_authentication_does_not_touch_any_key(committed):
    app, db = committed
    key_id, _ = _new_key(db, "acme")
    with http(app, WELL_FORMED_UNKNOWN) as c:
        _assert_unauthorized(c.get("/v1/me"))
    assert _stored_key(db, key_id).last_used_at is None


def test_revocation_through_the_real_session_applies_to_the_next_request(committed):
    app, db = committed
    _, secret = _new_key(db, "acme")
    with http(app, secret) as c:
        created = c.post("/v1/api-keys", json={"name": "temp"}).json()
        with http(app, created["key"]) as temp:
            assert temp.get("/v1/me").status_code == 200
            assert c.delete(f"/v1/api-keys/{created['id']}").status_code == 204
            _assert_unauthorized(temp.get("/v1/me"))
        assert c.get("/v1/me").status_code == 200
