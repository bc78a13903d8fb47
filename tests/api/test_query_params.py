"""Unknown query parameters are a 422 on every route, and validation messages read once:
the field's name at the start, the right unit, and what to send instead."""

import re

import pytest

from tests.api.helpers import assert_problem, assert_validation, event
from tests.api.test_tenancy import all_routes

SEEDED_ID = "00000000-0000-4000-8000-000000000000"


def test_a_misspelt_filter_is_refused_and_the_closest_name_suggested(client, user):
    r = client.get(f"/v1/users/{user['id']}/events", params={"platfrom": "x"})
    body = assert_validation(r, "platfrom")
    assert body["errors"] == [
        {"parameter": "platfrom", "in": "query", "detail": body["errors"][0]["detail"]}
    ]
    assert "did you mean 'platform'?" in body["detail"]
    assert body["detail"].count("platfrom") == 1, body["detail"]


def test_aliased_and_declared_parameters_still_work(client, user):
    uid = user["id"]
    ok = client.get(
        f"/v1/users/{uid}/events",
        params={
            "platform": "x",
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-02-01T00:00:00Z",
            "limit": 5,
        },
    )
    assert ok.status_code == 200, ok.text
    r = client.get(f"/v1/users/{uid}/posting", params={"form": "2026-01-01"})
    assert "did you mean 'from'?" in assert_validation(r, "form")["detail"]


def test_every_route_refuses_an_unknown_query_parameter(app, client, user):
    """Walks the app's route table: no route ignores a parameter it does not know."""
    checked = 0
    for route in all_routes(app):
        if not hasattr(route, "dependant") or not getattr(route, "include_in_schema", False):
            continue
        path = route.path.replace("{user_id}", user["id"]).replace("{event_id}", SEEDED_ID)
        path = re.sub(r"\{platform\}", "x", path)
        path = re.sub(r"\{[a-z_]+\}", SEEDED_ID, path)
        for method in route.methods - {"HEAD"}:
            r = client.request(method, path, params={"bogus_parameter": "1"})
            body = assert_problem(r, 422, "validation_error")
            assert [e["parameter"] for e in body["errors"]] == ["bogus_parameter"], (
                method,
                path,
                body,
            )
            checked += 1
    assert checked >= 30


def test_negotiated_and_csv_routes_keep_working(client, user):
    uid = user["id"]
    assert client.post(f"/v1/users/{uid}/events", json=event()).status_code == 201
    csv = client.get(
        f"/v1/users/{uid}/events", params={"platform": "x"}, headers={"Accept": "text/csv"}
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    page = client.get(f"/v1/users/{uid}/report", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    imported = client.post(
        f"/v1/users/{uid}/events:import",
        headers={"Content-Type": "text/csv"},
        content="platform,kind,occurred_at\nx,post,2026-01-05T10:00:00Z\n",
    )
    assert imported.status_code in (200, 201), imported.text
    r = client.post(
        f"/v1/users/{uid}/events:import?dry_run=1",
        headers={"Content-Type": "text/csv"},
        content="platform,kind,occurred_at\nx,post,2026-01-05T11:00:00Z\n",
    )
    assert_validation(r, "dry_run")


def test_unknown_parameters_are_checked_after_authentication(anon):
    assert_problem(anon.get("/v1/users", params={"bogus": "1"}), 401)
    assert_validation(anon.get("/healthz", params={"bogus": "1"}), "bogus")


def test_a_long_counterpart_is_counted_in_characters(client, user):
    r = client.post(f"/v1/users/{user['id']}/events", json=event(counterpart="a" * 201))
    item = assert_validation(r, "#/counterpart")["errors"][0]
    assert item["detail"] == "counterpart must have at most 200 characters (it has 201)"


@pytest.mark.parametrize(
    "body, pointer, name",
    [
        (event(kind="like", is_sales=True), "#/is_sales", "is_sales"),
        (event(occurred_at="2099-01-01T00:00:00Z"), "#/occurred_at", "occurred_at"),
        (event(occurred_at="yesterday"), "#/occurred_at", "occurred_at"),
    ],
)
def test_details_name_the_field_once(client, user, body, pointer, name):
    problem = assert_validation(client.post(f"/v1/users/{user['id']}/events", json=body), pointer)
    item = next(e for e in problem["errors"] if e["pointer"] == pointer)
    assert item["detail"].startswith(f"{name} ") and item["detail"].count(name) == 1, item
    assert problem["detail"].startswith(f"{pointer} ") and problem["detail"].count(name) == 1, (
        problem
    )


def test_query_details_name_the_parameter_once(client, user):
    r = client.get(f"/v1/users/{user['id']}/sales-ratio", params={"as_of": "soon"})
    body = assert_validation(r, "as_of")
    assert body["detail"].startswith("as_of must be") and body["detail"].count("as_of") == 1, body


def test_an_unencoded_plus_in_a_query_timestamp_says_to_write_2b_or_z(client, user):
    # What the server receives for ?as_of=2026-11-26T20:00:00+01:00 typed into a URL.
    r = client.get(f"/v1/users/{user['id']}/sales-ratio?as_of=2026-11-26T20:00:00+01:00")
    detail = assert_validation(r, "as_of")["errors"][0]["detail"]
    assert "%2B" in detail and "Z" in detail and "space" in detail, detail
    encoded = client.get(f"/v1/users/{user['id']}/sales-ratio?as_of=2026-11-26T20:00:00%2B01:00")
    assert encoded.status_code == 200, encoded.text
