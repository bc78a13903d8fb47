"""§13 request ids, in-process: a client's Request-Id (or X-Request-Id) of 1 to 200 visible
ASCII characters is kept, any other is replaced by a new one; the id is echoed in the
response and in every problem body (`request_id`), a 500 and a 413 included."""

import re

import pytest

from app.core.config import Settings
from app.main import create_app
from tests.api.helpers import assert_problem
from tests.conftest import http

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_a_client_request_id_is_kept_and_echoed(client):
    r = client.get("/v1/me", headers={"Request-Id": "req-42:abc/DEF~!"})
    assert r.status_code == 200
    assert r.headers["Request-Id"] == "req-42:abc/DEF~!"
    assert "X-Request-Id" not in r.headers


def test_x_request_id_is_kept_and_echoed_under_both_names(client):
    r = client.get("/v1/me", headers={"X-Request-Id": "legacy-7"})
    assert r.headers["Request-Id"] == "legacy-7"
    assert r.headers["X-Request-Id"] == "legacy-7"


def test_request_id_wins_over_x_request_id(client):
    r = client.get("/v1/me", headers={"Request-Id": "new", "X-Request-Id": "old"})
    assert r.headers["Request-Id"] == "new"


def test_an_id_of_200_visible_characters_is_kept(client):
    sent = "a" * 199 + "~"
    assert client.get("/v1/me", headers={"Request-Id": sent}).headers["Request-Id"] == sent


@pytest.mark.parametrize(
    "sent",
    ["a" * 201, "has space", "tab\there", "", "caf\u00e9".encode()],
    ids=["201-chars", "space", "tab", "empty", "non-ascii"],
)
def test_an_invalid_id_is_replaced_by_a_new_one(client, sent):
    r = client.get("/v1/me", headers={"Request-Id": sent})
    assert r.status_code == 200
    assert UUID.fullmatch(r.headers["Request-Id"]), r.headers["Request-Id"]


def test_without_a_client_id_each_request_gets_a_new_one(client):
    ids = {client.get("/v1/me").headers["Request-Id"] for _ in range(3)}
    assert len(ids) == 3 and all(UUID.fullmatch(i) for i in ids)


def test_problem_bodies_carry_the_request_id(anon, client):
    r = anon.get("/v1/me", headers={"Request-Id": "trace-401"})
    assert assert_problem(r, 401, "unauthorized")["request_id"] == "trace-401"
    r = client.get("/v1/users/not-a-uuid")
    body = assert_problem(r, 422, "validation_error")
    assert body["request_id"] == r.headers["Request-Id"]
    r = client.get("/v1/no-such-path")
    assert assert_problem(r, 404, "not_found")["request_id"] == r.headers["Request-Id"]


def test_a_problem_from_the_request_gate_carries_the_request_id(client):
    r = client.post(
        "/v1/users",
        content=b'{"name": "Ada", "name": "Grace"}',
        headers={"Content-Type": "application/json", "Request-Id": "gate-1"},
    )
    body = assert_problem(r, 400, "malformed_json")
    assert body["request_id"] == "gate-1" and r.headers["Request-Id"] == "gate-1"


def test_a_500_carries_the_request_id_in_its_body_and_header(database, api_key):
    application = create_app(Settings(database_url=database.url), database)

    @application.get("/boom")
    def boom():
        raise RuntimeError("secret-stack-detail")

    with http(application, api_key, raise_server_exceptions=False) as c:
        r = c.get("/boom", headers={"Request-Id": "boom-1"})
        body = assert_problem(r, 500, "internal_error")
        assert body["request_id"] == "boom-1" and r.headers["Request-Id"] == "boom-1"
        r = c.get("/boom")
        assert assert_problem(r, 500)["request_id"] == r.headers["Request-Id"]
        assert UUID.fullmatch(r.headers["Request-Id"])
