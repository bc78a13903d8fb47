"""Scoped API keys (issue 16): read < write < admin, expiry, and a scope on every route.

The walks take the routes from the app itself, so a route added later is covered (and a
route that declares no scope fails `create_app` with the message tested below).
"""

import re
import uuid
from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI

from app.auth import service as auth_service
from app.auth.models import ApiKey
from app.auth.scopes import SCOPES
from app.core.errors import ProblemError
from app.core.types import utc_now
from app.deps import (
    ReadSession,
    WriteSession,
    check_route_scopes,
    declared_scope,
    get_caller,
    require_scope,
)
from tests.api.helpers import assert_problem
from tests.api.test_tenancy import all_routes
from tests.conftest import http

# Routes that answer without an API key (no scope to declare).
PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
PUBLIC |= {"/redoc", "/v1/platforms"}


@pytest.fixture
def make_key(session):
    """A key of workspace acme (the `client` fixture's) with these scopes."""

    def make(*scopes: str, expires_at=None) -> str:
        ws = auth_service.get_or_create_workspace(session, "acme")
        _, secret = auth_service.create_key(
            session, ws, "scoped", scopes=scopes, expires_at=expires_at
        )
        session.commit()
        return secret

    return make


def _authenticated(route) -> bool:
    stack = [route.dependant]
    while stack:
        current = stack.pop()
        if current.call is get_caller:
            return True
        stack.extend(current.dependencies)
    return False


def _api_routes(app):
    return [r for r in all_routes(app) if getattr(r, "dependant", None) is not None]


def test_every_authenticated_route_declares_exactly_one_scope(app):
    undeclared = []
    for route in _api_routes(app):
        if not _authenticated(route):
            assert route.path in PUBLIC or not route.path.startswith("/v1/"), route.path
            continue
        if len(declared_scope(route.dependant)) != 1:
            undeclared.append((sorted(route.methods), route.path))
    assert not undeclared, f"routes without exactly one scope: {undeclared}"


def test_the_scopes_are_the_ones_the_routes_need(app):
    scopes = {
        (method, r.path): next(iter(declared_scope(r.dependant)))
        for r in _api_routes(app)
        if _authenticated(r)
        for method in r.methods - {"HEAD"}
    }
    assert {p for (_, p), s in scopes.items() if s == "admin"} >= {
        "/v1/api-keys",
        "/v1/api-keys/{key_id}",
    }
    assert scopes[("GET", "/v1/me")] == "read"
    assert scopes[("POST", "/v1/users/{user_id}/checks")] == "read"  # a check only reads
    for (method, path), scope in scopes.items():
        if method in {"PUT", "PATCH", "DELETE"} or (method == "POST" and scope != "read"):
            assert scope in {"write", "admin"}, (method, path)
        if method == "GET":
            assert scope in {"read", "admin"}, (method, path)


def test_a_route_without_a_scope_fails_when_the_app_is_built():
    router = APIRouter()

    @router.get("/undeclared")
    def undeclared() -> None: ...

    with pytest.raises(RuntimeError, match=r"/undeclared declares no scope.*require_scope"):
        check_route_scopes(router)

    twice = APIRouter(dependencies=[require_scope("admin")])

    @twice.get("/twice", dependencies=[require_scope("read")])
    def declared_twice() -> None: ...

    with pytest.raises(RuntimeError, match=r"/twice declares \['admin', 'read'\]"):
        check_route_scopes(twice)

    writes = APIRouter()

    @writes.post("/writes", dependencies=[require_scope("read")])
    def writes_with_read(session: WriteSession) -> None: ...

    with pytest.raises(RuntimeError, match="/writes writes but declares the 'read' scope"):
        check_route_scopes(writes)

    fine = APIRouter()

    @fine.get("/fine", dependencies=[require_scope("read")])
    def reads(session: ReadSession) -> None: ...

    check_route_scopes(fine)
    FastAPI().include_router(fine)


def _request(route, method: str) -> dict:
    """A request to the route with made-up path values and no body: a key without the
    scope is refused before the user, the body or the query is looked at."""
    url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(uuid.uuid4()), route.path)
    return {"method": method, "url": url}


def test_a_key_below_a_routes_scope_gets_403_naming_the_needed_scope(app, make_key):
    keys = {scope: make_key(scope) for scope in SCOPES}
    checked = 0
    for route in _api_routes(app):
        if not _authenticated(route):
            continue
        (needed,) = declared_scope(route.dependant)
        for method in sorted(route.methods - {"HEAD"}):
            for scope in SCOPES:
                with http(app, keys[scope]) as c:
                    r = c.request(**_request(route, method))
                if SCOPES.index(scope) < SCOPES.index(needed):
                    body = assert_problem(r, 403, "insufficient_scope")
                    assert body["required_scope"] == needed
                    assert repr(needed) in body["detail"] and scope in body["detail"]
                    assert f'scope="{needed}"' in r.headers["www-authenticate"]
                    checked += 1
                else:
                    assert r.status_code != 403, (method, route.path, scope, r.text)
    assert checked >= 15


def test_a_read_key_reads_but_cannot_write(client, make_key, user, app):
    with http(app, make_key("read")) as reader:
        assert reader.get(f"/v1/users/{user['id']}").status_code == 200
        r = reader.post("/v1/users", json={"name": "Nope"})
        assert_problem(r, 403, "insufficient_scope")
        # Refused before the body is validated: an invalid body is still the 403.
        assert_problem(reader.post("/v1/users", json={"nom": 1}), 403, "insufficient_scope")
        checks = reader.post(
            f"/v1/users/{user['id']}/checks", json={"action": "follow", "platform": "x"}
        )
        assert checks.status_code == 200, checks.text
    assert [u["name"] for u in client.get("/v1/users").json()["items"]] == ["Ada"]


def test_only_admin_manages_keys(client, make_key, app):
    victim = client.post("/v1/api-keys", json={"name": "victim"}).json()
    for scope in ("read", "write"):
        with http(app, make_key(scope)) as c:
            assert_problem(c.get("/v1/api-keys"), 403, "insufficient_scope")
            assert_problem(c.post("/v1/api-keys", json={}), 403, "insufficient_scope")
            r = c.delete(f"/v1/api-keys/{victim['id']}")
            assert_problem(r, 403, "insufficient_scope")
    with http(app, victim["key"]) as still:
        assert still.get("/v1/me").status_code == 200


def test_created_keys_carry_their_scopes_and_expiry(client, app):
    listed = client.get("/v1/api-keys").json()["items"]
    assert [k["scopes"] for k in listed] == [["admin"]]
    assert listed[0]["expires_at"] is None

    made = client.post("/v1/api-keys", json={"name": "ro", "scopes": ["read", "read"]})
    assert made.status_code == 201, made.text
    assert made.json()["scopes"] == ["read"] and made.json()["expires_at"] is None
    with http(app, made.json()["key"]) as ro:
        assert ro.get("/v1/me").status_code == 200
        assert_problem(ro.post("/v1/users", json={"name": "x"}), 403, "insufficient_scope")

    default = client.post("/v1/api-keys", json={"name": "same"}).json()
    assert default["scopes"] == ["admin"]  # the caller's own

    soon = (utc_now() + timedelta(days=30)).replace(microsecond=0)
    expiring = client.post(
        "/v1/api-keys",
        json={"scopes": ["write"], "expires_at": soon.isoformat().replace("+00:00", "Z")},
    ).json()
    assert expiring["scopes"] == ["write"]
    assert expiring["expires_at"] == soon.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["root"]}, "scopes"),
        ({"scopes": "read"}, "scopes"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "2099-01-01T00:00:00"}, "expires_at"),  # no offset
    ],
)
def test_bad_scopes_or_expiry_are_422(client, body, pointer):
    body = assert_problem(client.post("/v1/api-keys", json=body), 422, "validation_error")
    assert pointer in str(body["errors"]), body


def _key(scopes, expires_at=None) -> ApiKey:
    return ApiKey(
        workspace_id=uuid.uuid4(),
        name="k",
        prefix="p",
        key_hash="h",
        scopes=scopes,
        expires_at=expires_at,
    )


def test_a_key_cannot_create_a_wider_or_longer_lived_key():
    writer = _key(["write"])
    assert auth_service.grantable(writer, ["read"], None) == (["read"], None)
    assert auth_service.grantable(writer, None, None) == (["write"], None)
    with pytest.raises(ProblemError) as refused:
        auth_service.grantable(writer, ["read", "admin"], None)
    assert (refused.value.status, refused.value.code) == (403, "scope_not_grantable")
    assert "admin" in refused.value.detail and "'write'" in refused.value.detail

    ends = utc_now() + timedelta(days=1)
    expiring = _key(["admin"], ends)
    assert auth_service.grantable(expiring, ["read"], None) == (["read"], ends)
    sooner = ends - timedelta(hours=1)
    assert auth_service.grantable(expiring, None, sooner) == (["admin"], sooner)
    with pytest.raises(ProblemError) as later:
        auth_service.grantable(expiring, None, ends + timedelta(seconds=1))
    assert later.value.code == "scope_not_grantable" and "expire" in later.value.detail


def test_an_expired_key_is_401_saying_it_expired(app, make_key):
    past = utc_now() - timedelta(seconds=1)
    expired = make_key("admin", expires_at=past)
    with http(app, expired) as c:
        r = c.get("/v1/me")
    body = assert_problem(r, 401, "api_key_expired")
    assert "expired at " + past.isoformat().replace("+00:00", "Z")[:19] in body["detail"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    with http(app, make_key("read", expires_at=utc_now() + timedelta(days=1))) as c:
        assert c.get("/v1/me").status_code == 200


def test_service_create_key_refuses_unknown_scopes(session):
    ws = auth_service.get_or_create_workspace(session, "acme")
    with pytest.raises(ValueError, match="unknown scope"):
        auth_service.create_key(session, ws, "bad", scopes=["superuser"])
    with pytest.raises(ValueError, match="at least one scope"):
        auth_service.create_key(session, ws, "none", scopes=[])
