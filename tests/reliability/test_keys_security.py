"""API key secrets: never logged, never answered after creation, looked up by SHA-256
hash only; a revoked key is refused on the very next request, by every replica."""

import hashlib
import logging

import httpx
import pytest
from sqlalchemy import create_engine, select

from app.auth.models import ApiKey
from app.models import metadata
from tests.conftest import http
from tests.reliability.servers import rapport_cli
from tests.support.processes import TEST_KEY

WRONG_KEYS = ["rpk_" + "Z" * 43, "rpk_short", "Bearer-less", "rpk_" + "-" * 30, "rpk_' OR 1=1 --"]


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _me(base_url: str, secret: str) -> httpx.Response:
    return httpx.get(f"{base_url}/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def _assert_stored_as_hash(conn, secret: str) -> None:
    """The api_key row holds the SHA-256 of the secret and its 12-char prefix, nothing more;
    no column of any table holds the secret."""
    row = conn.execute(
        select(ApiKey.__table__).where(ApiKey.__table__.c.key_hash == _sha256(secret))
    ).one()
    assert row.prefix == secret[:12] and len(row.prefix) == 12
    tail = secret[12:]
    for table in metadata.sorted_tables:
        for values in conn.execute(select(table)):
            assert not any(tail in str(v) for v in values), f"{table.name} holds the secret"


@pytest.fixture
def sql_log(caplog):
    """Log every SQL statement and its parameters (set before the test's connection opens)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def test_lookup_is_by_hash_and_nothing_logs_or_answers_the_secret(sql_log, app, client, session):
    created = client.post("/v1/api-keys", json={"name": "crm"})
    assert created.status_code == 201
    secret = created.json()["key"]
    assert secret.startswith("rpk_") and len(secret) >= 4 + 22  # ≥ 128 bits of randomness
    with http(app, secret) as own:
        assert own.get("/v1/me").status_code == 200
        listed = own.get("/v1/api-keys")
        bad = own.post("/v1/users", json={"name": "", "timezone": "Mars/Base"})
        assert bad.status_code == 422
    assert listed.status_code == 200
    assert {k["prefix"] for k in listed.json()["items"]} >= {secret[:12]}
    assert all("key" not in k and "key_hash" not in k for k in listed.json()["items"])
    refusals = []
    for wrong in [secret + "x", secret[:-1], *WRONG_KEYS]:
        with http(app, wrong) as c:
            refusals.append((wrong, c.get("/v1/me")))
    assert client.delete(f"/v1/api-keys/{created.json()['id']}").status_code == 204
    with http(app, secret) as revoked:
        refusals.append((secret, revoked.get("/v1/users")))

    for sent, response in refusals:
        assert response.status_code == 401
        assert sent not in response.text and secret[4:] not in response.text
    for response in (listed, bad):
        assert secret not in response.text and secret[4:] not in response.text

    _assert_stored_as_hash(session.connection(), secret)

    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in sql_log.records)
    assert _sha256(secret) in logged, "the SQL log shows no lookup by hash (is SQL logging on?)"
    assert secret[4:] not in logged and secret[12:] not in logged, "a log record holds the secret"


def test_real_server_logs_and_answers_never_hold_a_secret(deployment):
    server = deployment.servers[0]  # logs at debug level: access lines included
    with server.client(timeout=30) as client:
        created = client.post("/v1/api-keys", json={"name": "ops"}).json()
        secret = created["key"]
        answers = [
            client.get("/v1/api-keys"),
            client.post("/v1/users", content=b"{", headers={"Content-Type": "application/json"}),
        ]
        answers += [_me(server.url, secret), _me(server.url, secret + "x")]
        answers += [_me(server.url, wrong) for wrong in WRONG_KEYS]
        assert client.delete(f"/v1/api-keys/{created['id']}").status_code == 204
        answers.append(_me(server.url, secret))
    assert [a.status_code for a in answers] == [200, 400, 200, 401] + [401] * len(WRONG_KEYS) + [
        401
    ]
    listing = rapport_cli(deployment.url, "keys", "list").stdout
    assert secret[:12] in listing and TEST_KEY[:12] in listing

    engine = create_engine(deployment.url)
    try:
        with engine.connect() as conn:
            _assert_stored_as_hash(conn, secret)
            _assert_stored_as_hash(conn, TEST_KEY)
    finally:
        engine.dispose()
    files = b"".join(p.read_bytes() for p in deployment.directory.glob("*.db*"))
    assert (
        secret[4:].encode() not in files and TEST_KEY[4:].encode() not in files
    )  # SQLite: not even free pages

    logs = deployment.log_text()
    # Rapport's line per request (§13), in place of uvicorn's access log.
    assert '"route": "/v1/me", "status": 401' in logs, "the request log is not being written"
    for s in (secret, TEST_KEY):
        for shown in (listing, logs, *(a.text for a in answers)):
            assert s[4:] not in shown


def test_revoked_key_is_refused_by_every_replica_on_the_next_request(deployment):
    a, b = (s.url for s in deployment.servers)
    with deployment.servers[0].client(timeout=30) as admin:
        keys = [admin.post("/v1/api-keys", json={"name": f"k{n}"}).json() for n in range(2)]
        for key in keys:  # both replicas have seen (and accepted) both keys
            assert [_me(a, key["key"]).status_code, _me(b, key["key"]).status_code] == [200, 200]

        # Revoked through the API on one replica: the other refuses it at once.
        assert admin.delete(f"/v1/api-keys/{keys[0]['id']}").status_code == 204
        assert _me(b, keys[0]["key"]).status_code == 401
        assert _me(a, keys[0]["key"]).status_code == 401

        # Revoked with the operator's CLI: both refuse it on their next request.
        rapport_cli(deployment.url, "keys", "revoke", keys[1]["prefix"])
        assert _me(b, keys[1]["key"]).status_code == 401
        assert _me(a, keys[1]["key"]).status_code == 401

        listed = {k["id"]: k for k in admin.get("/v1/api-keys").json()["items"]}
        assert all(listed[k["id"]]["revoked_at"] for k in keys)
    assert _me(b, TEST_KEY).status_code == 200 and _me(a, TEST_KEY).status_code == 200
