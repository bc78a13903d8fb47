"""SPEC §4: /v1/users — create, list, read, partial update, delete with cascade."""

import uuid
from datetime import datetime

from sqlalchemy import func, select

from app.events.models import Event
from app.plans.models import FollowPlan, PostingPlan
from app.profiles.models import Profile
from app.users.models import User
from tests.api.helpers import assert_problem, assert_validation, event, users_path

WORKING_HOURS = {"start": "09:00", "end": "18:00"}
DEFAULT_SETTINGS = {
    "sales_ratio": 10,
    "interaction_share_target": 0.5,
    "keep_in_touch_days": 30,
    "working_hours": WORKING_HOURS,
}


def test_create_user_answers_201_with_location_and_defaults(client):
    r = client.post("/v1/users", json={"name": "Ada"})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {
        "id",
        "name",
        "timezone",
        "external_id",
        "settings",
        "created_at",
        "updated_at",
    }
    uuid.UUID(body["id"])
    assert r.headers["location"] == f"/v1/users/{body['id']}"
    assert body["name"] == "Ada"
    assert body["timezone"] == "UTC"
    assert body["external_id"] is None
    assert body["settings"] == DEFAULT_SETTINGS
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    # The Location answers the same document.
    assert client.get(r.headers["location"]).json() == body


def test_create_user_with_everything(client):
    r = client.post(
        "/v1/users",
        json={
            "name": "Grace",
            "timezone": "America/New_York",
            "external_id": "crm-42",
            "settings": {"sales_ratio": 5, "keep_in_touch_days": 14},
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["timezone"] == "America/New_York"
    assert body["external_id"] == "crm-42"
    assert body["settings"] == {
        "sales_ratio": 5,
        "interaction_share_target": 0.5,
        "keep_in_touch_days": 14,
        "working_hours": WORKING_HOURS,
    }


def test_duplicate_external_id_is_409_with_existing_id(client):
    first = client.post("/v1/users", json={"name": "A", "external_id": "crm-1"}).json()
    r = client.post("/v1/users", json={"name": "B", "external_id": "crm-1"})
    body = assert_problem(r, 409)
    assert body["existing_id"] == first["id"]
    assert "crm-1" in body["detail"]
    assert [u["id"] for u in client.get("/v1/users").json()["items"]] == [first["id"]]


def test_create_user_validation(client):
    assert_validation(client.post("/v1/users", json={}), "#/name")
    assert_validation(client.post("/v1/users", json={"name": ""}), "#/name")
    assert_validation(client.post("/v1/users", json={"name": "x" * 201}), "#/name")
    assert_validation(client.post("/v1/users", json={"name": "A", "extra": 1}), "#/extra")
    assert_validation(
        client.post("/v1/users", json={"name": "A", "external_id": "e" * 201}), "#/external_id"
    )
    assert_validation(
        client.post("/v1/users", json={"name": "A", "settings": {"sales_ratio": 0.5}}),
        "#/settings/sales_ratio",
    )
    assert_validation(
        client.post("/v1/users", json={"name": "A", "settings": {"interaction_share_target": 1.5}}),
        "#/settings/interaction_share_target",
    )
    assert_validation(
        client.post("/v1/users", json={"name": "A", "settings": {"colour": "red"}}),
        "#/settings/colour",
    )
    assert_validation(client.post("/v1/users", json={"name": "A\u0000B"}), "#/name")
    assert client.get("/v1/users").json()["items"] == []


def test_invalid_timezone_is_422_with_a_pointer(client, user):
    body = assert_validation(
        client.post("/v1/users", json={"name": "A", "timezone": "Mars/Olympus"}), "#/timezone"
    )
    assert "Mars/Olympus" in body["detail"]
    assert_validation(
        client.post("/v1/users", json={"name": "A", "timezone": "EST5EDT "}), "#/timezone"
    )
    r = client.patch(users_path(user), json={"timezone": "Not/AZone"})
    assert_validation(r, "#/timezone")
    assert client.get(users_path(user)).json()["timezone"] == "UTC"


def test_list_filters_by_external_id(client):
    a = client.post("/v1/users", json={"name": "A", "external_id": "crm-a"}).json()
    client.post("/v1/users", json={"name": "B", "external_id": "crm-b"})
    client.post("/v1/users", json={"name": "C"})
    r = client.get("/v1/users", params={"external_id": "crm-a"})
    assert r.status_code == 200
    assert r.json() == {"items": [a], "next_cursor": None}
    assert client.get("/v1/users", params={"external_id": "nobody"}).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert len(client.get("/v1/users").json()["items"]) == 3


def test_list_paginates_every_user_exactly_once(client):
    created = [client.post("/v1/users", json={"name": f"U{i}"}).json()["id"] for i in range(7)]
    seen, pages, cursor = [], 0, None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = client.get("/v1/users", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 3
        seen += [u["id"] for u in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    # Oldest first, and the same order as one big page.
    assert seen == [u["id"] for u in client.get("/v1/users", params={"limit": 500}).json()["items"]]
    assert seen == created


def test_list_with_exactly_limit_users_has_no_next_cursor(client):
    for i in range(3):
        client.post("/v1/users", json={"name": f"U{i}"})
    page = client.get("/v1/users", params={"limit": 3}).json()
    assert len(page["items"]) == 3 and page["next_cursor"] is None


def test_list_limit_bounds_and_bad_cursor(client, user):
    for bad in (0, 501, "many"):
        body = assert_validation(client.get("/v1/users", params={"limit": bad}), "limit")
        assert body["code"] == "validation_error"
    assert client.get("/v1/users", params={"limit": 500}).status_code == 200
    assert_problem(client.get("/v1/users", params={"cursor": "garbage"}), 400, "invalid_cursor")


def test_get_unknown_or_non_uuid_user(client):
    assert_problem(client.get(f"/v1/users/{uuid.uuid4()}"), 404, "not_found")
    assert_validation(client.get("/v1/users/not-a-uuid"), "user_id")
    assert_validation(client.patch("/v1/users/not-a-uuid", json={"name": "x"}), "user_id")
    assert_validation(client.delete("/v1/users/not-a-uuid"), "user_id")


def test_patch_merges_only_the_settings_it_names(client):
    u = client.post(
        "/v1/users", json={"name": "Ada", "settings": {"sales_ratio": 7, "keep_in_touch_days": 10}}
    ).json()
    r = client.patch(users_path(u), json={"settings": {"interaction_share_target": 0.8}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["settings"] == {
        "sales_ratio": 7,
        "interaction_share_target": 0.8,
        "keep_in_touch_days": 10,
        "working_hours": WORKING_HOURS,
    }
    assert body["name"] == "Ada" and body["timezone"] == "UTC"
    assert body["created_at"] == u["created_at"]
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(u["updated_at"])

    r = client.patch(users_path(u), json={"name": "Ada L.", "timezone": "Asia/Kolkata"})
    body = r.json()
    assert body["name"] == "Ada L." and body["timezone"] == "Asia/Kolkata"
    assert body["settings"] == {
        "sales_ratio": 7,
        "interaction_share_target": 0.8,
        "keep_in_touch_days": 10,
        "working_hours": WORKING_HOURS,
    }
    assert client.get(users_path(u)).json() == body


def test_patch_with_an_empty_body_changes_nothing_visible(client, user):
    r = client.patch(users_path(user), json={})
    assert r.status_code == 200
    body = r.json()
    for field in ("id", "name", "timezone", "external_id", "settings", "created_at"):
        assert body[field] == user[field]


def test_patch_validation(client, user):
    assert_validation(
        client.patch(users_path(user), json={"settings": {"sales_ratio": 0}}),
        "#/settings/sales_ratio",
    )
    assert_validation(
        client.patch(users_path(user), json={"settings": {"keep_in_touch_days": 0}}),
        "#/settings/keep_in_touch_days",
    )
    assert_validation(client.patch(users_path(user), json={"nickname": "x"}), "#/nickname")
    assert_validation(client.patch(users_path(user), json={"name": ""}), "#/name")
    assert client.get(users_path(user)).json()["settings"] == DEFAULT_SETTINGS


def test_patch_external_id_to_one_in_use_is_409(client):
    a = client.post("/v1/users", json={"name": "A", "external_id": "crm-a"}).json()
    b = client.post("/v1/users", json={"name": "B", "external_id": "crm-b"}).json()
    body = assert_problem(client.patch(users_path(b), json={"external_id": "crm-a"}), 409)
    assert body["existing_id"] == a["id"]
    assert client.get(users_path(b)).json()["external_id"] == "crm-b"
    # Setting a user's own external_id again is fine.
    assert client.patch(users_path(a), json={"external_id": "crm-a"}).status_code == 200


def test_delete_user_cascades_to_everything_it_owns(client, session):
    keep = client.post("/v1/users", json={"name": "Keep"}).json()
    gone = client.post("/v1/users", json={"name": "Gone", "external_id": "crm-gone"}).json()
    for u in (keep, gone):
        assert (
            client.put(users_path(u, "/follow-plans/x"), json={"weekly_target": 20}).status_code
            == 201
        )
        assert client.put(users_path(u, "/posting-plans/linkedin"), json={}).status_code == 201
        assert client.put(users_path(u, "/profiles/x"), json={"handle": "h"}).status_code == 201
        r = client.post(
            users_path(u, "/events:batch"),
            json={
                "events": [
                    event(external_id="e1"),
                    event(kind="reply", counterpart="bob"),
                ]
            },
        )
        assert r.status_code == 200, r.text

    r = client.delete(users_path(gone))
    assert r.status_code == 204
    assert r.content == b""
    assert_problem(client.get(users_path(gone)), 404, "not_found")
    assert_problem(client.get(users_path(gone, "/events")), 404, "not_found")
    assert_problem(client.delete(users_path(gone)), 404, "not_found")

    def count(model, uid):
        column = model.id if model is User else model.user_id
        return session.execute(
            select(func.count()).select_from(model).where(column == uuid.UUID(uid))
        ).scalar_one()

    for model in (User, Event, FollowPlan, PostingPlan, Profile):
        assert count(model, gone["id"]) == 0, model.__name__
        assert count(model, keep["id"]) == (2 if model is Event else 1), model.__name__

    # The external_id is free again, and the new user starts empty.
    again = client.post("/v1/users", json={"name": "Gone again", "external_id": "crm-gone"})
    assert again.status_code == 201, again.text
    new_id = again.json()["id"]
    assert client.get(users_path(new_id, "/events")).json()["items"] == []
    assert client.get(users_path(new_id, "/follow-plans")).json()["items"] == []
    # The other user is untouched.
    assert len(client.get(users_path(keep, "/events")).json()["items"]) == 2


def test_working_hours_are_set_merged_and_validated(client, user):
    r = client.patch(
        users_path(user), json={"settings": {"working_hours": {"start": "08:30", "end": "17:00"}}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["working_hours"] == {"start": "08:30", "end": "17:00"}
    r = client.patch(users_path(user), json={"settings": {"working_hours": {"end": "16:15"}}})
    assert r.json()["settings"]["working_hours"] == {"start": "08:30", "end": "16:15"}

    r = client.patch(users_path(user), json={"settings": {"working_hours": {"start": "9am"}}})
    assert_validation(r, "#/settings/working_hours/start")
    assert "HH:MM" in r.json()["detail"] and "9am" in r.json()["detail"]
    assert_validation(
        client.patch(users_path(user), json={"settings": {"working_hours": {"end": "24:00"}}}),
        "#/settings/working_hours/end",
    )
    r = client.patch(users_path(user), json={"settings": {"working_hours": {"start": "17:00"}}})
    assert_validation(r, "#/settings/working_hours/start")
    assert "end (16:15) must be after start (17:00)" in r.json()["detail"]
    r = client.post(
        "/v1/users",
        json={"name": "Bo", "settings": {"working_hours": {"start": "18:00", "end": "09:00"}}},
    )
    assert_validation(r, "#/settings/working_hours")
    assert "end (09:00) must be after start (18:00)" in r.json()["detail"]
    assert client.get(users_path(user)).json()["settings"]["working_hours"] == {
        "start": "08:30",
        "end": "16:15",
    }
