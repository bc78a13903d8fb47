"""SPEC §3: another workspace's resources answer 404 exactly as a missing one does.

The walk enumerates every route under /v1/users/{user_id} from the app itself, so routes
added later (the insight endpoints) are covered without touching this file — unless they
need a body or a required query parameter this file does not know yet: then the test
fails and says which table to extend.
"""

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.api.helpers import assert_problem, event, same_problem, users_path

USER_PREFIX = "/v1/users/{user_id}"


class Raw:
    """A body that is not JSON: its bytes and its media type."""

    def __init__(self, content: str, media_type: str):
        self.content = content.encode()
        self.media_type = media_type


# A minimal valid body for every route that takes one, by (method, route path).
EVENT = event(kind="reply", counterpart="@bob", occurred_at="2026-11-20T09:00:00Z")
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", USER_PREFIX): {"name": "Mallory was here"},
    ("PUT", USER_PREFIX + "/follow-plans/{platform}"): {"weekly_target": 7},
    ("PUT", USER_PREFIX + "/posting-plans/{platform}"): {"max_posts_per_day": 1},
    ("PUT", USER_PREFIX + "/profiles/{platform}"): {"handle": "mallory"},
    ("POST", USER_PREFIX + "/events"): EVENT,
    ("POST", USER_PREFIX + "/events:batch"): {"events": [EVENT]},
    ("POST", USER_PREFIX + "/checks"): {"action": "follow", "platform": "x"},
    ("PATCH", USER_PREFIX + "/contacts/{contact_id}"): {"name": "Mallory was here"},
    # A body that names path values: a function of them.
    ("POST", USER_PREFIX + "/contacts/{contact_id}:merge"): lambda v: {
        "contact_ids": [v["contact_id"]]
    },
    ("POST", USER_PREFIX + "/contacts/{contact_id}:split"): {"handle": "carol"},
    ("POST", USER_PREFIX + "/events:import"): Raw(
        "platform,kind,occurred_at,counterpart\r\nx,reply,2026-11-20T10:00:00Z,bob\r\n", "text/csv"
    ),
}
BODY_METHODS = {"POST", "PUT", "PATCH"}

# Values for required query parameters, by name.
QUERY_VALUES = {
    "platform": "x",
    "week": "2026-W47",
    "stage": "know",
    "window_days": "7",
    "as_of": "2026-11-21T12:00:00Z",
    "from": "2026-11-16",
    "to": "2026-11-22",
    "limit": "10",
}


def _query_fields(dependant) -> list:
    """Query parameters of a route and of all its dependencies."""
    fields = list(dependant.query_params)
    for sub in dependant.dependencies:
        fields.extend(_query_fields(sub))
    return fields


def all_routes(app) -> list:
    """Every route of the app, with routers included at any depth flattened."""
    try:  # FastAPI ≥ 0.16x keeps included routers lazy; this flattens them.
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def user_routes(app) -> list[tuple[str, APIRoute]]:
    found = []
    for route in all_routes(app):
        path = getattr(route, "path", None) or ""
        if not hasattr(route, "dependant") or not getattr(route, "methods", None):
            continue
        if path == USER_PREFIX or path.startswith((USER_PREFIX + "/", USER_PREFIX + ":")):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                found.append((method, route))
    return found


def build_request(method: str, route: APIRoute, path_values: dict[str, str]) -> dict[str, Any]:
    """The kwargs of a valid request to this route (for TestClient.request)."""
    params = re.findall(r"{(\w+)(?::\w+)?}", route.path)
    unknown = [p for p in params if p not in path_values]
    if unknown:
        pytest.fail(
            f"{method} {route.path}: no value for path parameter(s) {unknown}; "
            f"add it to what the victim fixture in tests/api/test_tenancy.py returns"
        )
    url = route.path
    for name in params:
        url = re.sub(r"\{" + name + r"(?::\w+)?\}", path_values[name], url)

    query = {}
    for field in _query_fields(route.dependant):
        if field.field_info.is_required():
            if field.alias not in QUERY_VALUES:
                pytest.fail(
                    f"{method} {route.path}: required query parameter {field.alias!r} has no "
                    f"value; add one to QUERY_VALUES in tests/api/test_tenancy.py"
                )
            query[field.alias] = QUERY_VALUES[field.alias]

    kwargs: dict[str, Any] = {"method": method, "url": url, "params": query}
    if method in BODY_METHODS:
        key = (method, route.path)
        if key not in BODIES:
            pytest.fail(
                f"{method} {route.path} is not in BODIES of tests/api/test_tenancy.py; add a "
                f"minimal valid JSON body for it so the tenant-isolation walk covers it"
            )
        body = BODIES[key]
        if callable(body):
            body = body(path_values)
        if isinstance(body, Raw):
            kwargs["content"] = body.content
            kwargs["headers"] = {"Content-Type": body.media_type}
        else:
            kwargs["json"] = body
    return kwargs


def _snapshot(client, uid: str) -> dict[str, Any]:
    return {
        "user": client.get(users_path(uid)).json(),
        "follow_plans": client.get(users_path(uid, "/follow-plans")).json(),
        "posting_plans": client.get(users_path(uid, "/posting-plans")).json(),
        "profiles": client.get(users_path(uid, "/profiles")).json(),
        "events": client.get(users_path(uid, "/events"), params={"limit": 500}).json(),
        "contacts": client.get(
            users_path(uid, "/contacts"), params={"limit": 500, "as_of": "2026-11-21T12:00:00Z"}
        ).json(),
    }


@pytest.fixture
def victim(client) -> dict[str, str]:
    """A user of workspace acme with a little of everything."""
    r = client.post(
        "/v1/users",
        json={"name": "Victim", "external_id": "crm-victim", "timezone": "Europe/Berlin"},
    )
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    for path, body in (
        ("/follow-plans/x", {"weekly_target": 50}),
        ("/posting-plans/x", {}),
        ("/profiles/x", {"handle": "victim", "bio": "Helping people grow."}),
    ):
        r = client.put(users_path(uid, path), json=body)
        assert r.status_code == 201, r.text
    r = client.post(
        users_path(uid, "/events"),
        json=event(
            kind="follow",
            counterpart="carol",
            external_id="ev-1",
            occurred_at="2026-11-19T08:00:00Z",
        ),
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    contact_id = client.get(users_path(uid, "/contacts")).json()["items"][0]["id"]
    return {"user_id": uid, "event_id": event_id, "platform": "x", "contact_id": contact_id}


def test_the_walk_finds_the_foundation_routes(app):
    walked = {(m, r.path) for m, r in user_routes(app)}
    expected = {
        ("GET", USER_PREFIX),
        ("PATCH", USER_PREFIX),
        ("DELETE", USER_PREFIX),
        ("PUT", USER_PREFIX + "/follow-plans/{platform}"),
        ("GET", USER_PREFIX + "/follow-plans"),
        ("GET", USER_PREFIX + "/follow-plans/{platform}"),
        ("DELETE", USER_PREFIX + "/follow-plans/{platform}"),
        ("PUT", USER_PREFIX + "/posting-plans/{platform}"),
        ("GET", USER_PREFIX + "/posting-plans"),
        ("GET", USER_PREFIX + "/posting-plans/{platform}"),
        ("DELETE", USER_PREFIX + "/posting-plans/{platform}"),
        ("PUT", USER_PREFIX + "/profiles/{platform}"),
        ("GET", USER_PREFIX + "/profiles"),
        ("POST", USER_PREFIX + "/events"),
        ("POST", USER_PREFIX + "/events:batch"),
        ("GET", USER_PREFIX + "/events"),
        ("GET", USER_PREFIX + "/events/{event_id}"),
        ("DELETE", USER_PREFIX + "/events/{event_id}"),
    }
    assert expected <= walked, expected - walked


def test_every_user_route_is_404_for_another_workspace(app, client, other_client, victim):
    before = _snapshot(client, victim["user_id"])
    routes = user_routes(app)
    missing_values = {
        **victim,
        "user_id": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "contact_id": str(uuid.uuid4()),
    }

    for method, route in routes:
        request = build_request(method, route, victim)
        r = other_client.request(**request)
        body = same_problem(assert_problem(r, 404, "not_found"))
        # Exactly what a user that does not exist at all answers.
        missing = other_client.request(**build_request(method, route, missing_values))
        assert body == same_problem(assert_problem(missing, 404, "not_found")), (
            f"{method} {route.path}"
        )
        assert victim["user_id"] not in r.text, f"{method} {route.path} leaks the id: {r.text}"

    assert _snapshot(client, victim["user_id"]) == before

    # Control: the same requests from the owner are valid, so the 404s above were the
    # tenant check and not a malformed request. Deletes go last, the user's own last.
    def order(item):
        method, route = item
        return (method == "DELETE", route.path == USER_PREFIX)

    for method, route in sorted(routes, key=order):
        r = client.request(**build_request(method, route, victim))
        assert r.status_code < 400, (
            f"owner's {method} {route.path} failed: {r.status_code} {r.text}"
        )
    assert_problem(client.get(users_path(victim["user_id"])), 404, "not_found")


def test_user_collection_is_per_workspace(client, other_client, victim):
    theirs = other_client.get("/v1/users").json()
    assert theirs == {"items": [], "next_cursor": None}
    assert other_client.get("/v1/users", params={"external_id": "crm-victim"}).json()["items"] == []
    # external_id is unique per workspace, not globally.
    r = other_client.post("/v1/users", json={"name": "Other", "external_id": "crm-victim"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] != victim["user_id"]
    mine = client.get("/v1/users", params={"external_id": "crm-victim"}).json()["items"]
    assert [u["id"] for u in mine] == [victim["user_id"]]


def test_an_event_id_of_another_user_is_404_even_in_the_same_workspace(client, victim):
    r = client.post("/v1/users", json={"name": "Neighbour"})
    neighbour = r.json()["id"]
    got = client.get(users_path(neighbour, f"/events/{victim['event_id']}"))
    body = same_problem(assert_problem(got, 404, "not_found"))
    missing = client.get(users_path(neighbour, f"/events/{uuid.uuid4()}"))
    assert body == same_problem(assert_problem(missing, 404, "not_found"))
    assert_problem(
        client.delete(users_path(neighbour, f"/events/{victim['event_id']}")), 404, "not_found"
    )
    assert (
        client.get(users_path(victim["user_id"], f"/events/{victim['event_id']}")).status_code
        == 200
    )
