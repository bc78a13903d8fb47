"""SPEC §4, §5, §6.1: follow plans and posting plans — defaults, limits, replace, delete."""

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.api.helpers import assert_problem, assert_validation, users_path

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FOLLOW_DEFAULTS = {  # §5: daily_cap, burst_limit
    "x": (100, 25),
    "linkedin": (20, 10),
    "instagram": (50, 15),
    "facebook": (30, 10),
}
MAX_POSTS = {"x": 5, "linkedin": 2, "instagram": 2, "facebook": 2}


def _today(tz: str) -> str:
    return datetime.now(ZoneInfo(tz)).date().isoformat()


def test_put_follow_plan_fills_the_x_defaults(client):
    # UTC+14: the user's local day differs from the UTC day for most of the UTC day.
    tz = "Pacific/Kiritimati"
    u = client.post("/v1/users", json={"name": "Kiri", "timezone": tz}).json()
    before = _today(tz)
    r = client.put(users_path(u, "/follow-plans/x"), json={"weekly_target": 140})
    after = _today(tz)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["platform"] == "x"
    assert plan["weekly_target"] == 140
    assert plan["daily_cap"] == 100
    assert plan["burst_limit"] == 25
    assert plan["burst_window_minutes"] == 60
    assert plan["warmup_days"] == 0
    assert plan["active_weekdays"] == ALL_DAYS
    assert plan["starts_on"] in {before, after}
    assert plan["created_at"].endswith("Z") and plan["updated_at"].endswith("Z")


def test_follow_plan_defaults_per_platform(client, user):
    for platform, (cap, burst) in FOLLOW_DEFAULTS.items():
        r = client.put(users_path(user, f"/follow-plans/{platform}"), json={"weekly_target": 10})
        assert r.status_code == 201, r.text
        got = (r.json()["daily_cap"], r.json()["burst_limit"], r.json()["burst_window_minutes"])
        assert got == (cap, burst, 60), platform


def test_put_follow_plan_201_then_200_on_replace(client, user):
    path = users_path(user, "/follow-plans/x")
    first = client.put(
        path,
        json={
            "weekly_target": 30,
            "daily_cap": 10,
            "active_weekdays": ["fri", "mon", "wed"],
            "warmup_days": 14,
            "starts_on": "2026-11-02",
            "burst_limit": 5,
            "burst_window_minutes": 30,
        },
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["active_weekdays"] == ["mon", "wed", "fri"]  # stored in week order
    assert (body["daily_cap"], body["burst_limit"], body["burst_window_minutes"]) == (10, 5, 30)
    assert (body["warmup_days"], body["starts_on"]) == (14, "2026-11-02")

    second = client.put(path, json={"weekly_target": 12})
    assert second.status_code == 200, second.text
    replaced = second.json()
    # A replacement: left-out values go back to the defaults; starts_on (the warm-up
    # anchor) is kept when not sent.
    assert replaced["weekly_target"] == 12
    assert replaced["daily_cap"] == 100 and replaced["active_weekdays"] == ALL_DAYS
    assert replaced["warmup_days"] == 0
    assert replaced["starts_on"] == "2026-11-02"
    assert replaced["created_at"] == body["created_at"]
    assert client.get(path).json() == replaced
    assert len(client.get(users_path(user, "/follow-plans")).json()["items"]) == 1


def test_get_list_and_delete_follow_plans(client, user):
    for platform in ("instagram", "x", "linkedin"):
        assert (
            client.put(
                users_path(user, f"/follow-plans/{platform}"), json={"weekly_target": 5}
            ).status_code
            == 201
        )
    listed = client.get(users_path(user, "/follow-plans"))
    assert listed.status_code == 200
    assert [p["platform"] for p in listed.json()["items"]] == ["x", "linkedin", "instagram"]
    assert listed.json()["next_cursor"] is None

    one = client.get(users_path(user, "/follow-plans/linkedin"))
    assert one.status_code == 200 and one.json()["platform"] == "linkedin"

    r = client.delete(users_path(user, "/follow-plans/linkedin"))
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(users_path(user, "/follow-plans/linkedin")), 404, "no_follow_plan")
    assert_problem(client.delete(users_path(user, "/follow-plans/linkedin")), 404, "not_found")
    assert [
        p["platform"] for p in client.get(users_path(user, "/follow-plans")).json()["items"]
    ] == ["x", "instagram"]


def test_missing_follow_plan_is_404_no_follow_plan(client, user):
    body = assert_problem(
        client.get(users_path(user, "/follow-plans/facebook")), 404, "no_follow_plan"
    )
    assert "facebook" in body["detail"]
    assert client.get(users_path(user, "/follow-plans")).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_daily_cap_over_the_platform_limit_is_422_with_numbers(client, user):
    r = client.put(
        users_path(user, "/follow-plans/x"), json={"weekly_target": 10, "daily_cap": 401}
    )
    body = assert_validation(r, "#/daily_cap")
    assert "401" in body["detail"] and "400" in body["detail"]
    assert_problem(client.get(users_path(user, "/follow-plans/x")), 404, "no_follow_plan")
    ok = client.put(
        users_path(user, "/follow-plans/x"), json={"weekly_target": 10, "daily_cap": 400}
    )
    assert ok.status_code == 201, ok.text


def test_weekly_target_over_the_platform_limit_is_422_with_numbers(client, user):
    r = client.put(users_path(user, "/follow-plans/linkedin"), json={"weekly_target": 101})
    body = assert_validation(r, "#/weekly_target")
    assert "101" in body["detail"] and "100" in body["detail"]
    ok = client.put(users_path(user, "/follow-plans/linkedin"), json={"weekly_target": 100})
    assert ok.status_code == 201, ok.text


def test_weekly_target_over_cap_times_active_days_is_422_with_numbers(client, user):
    r = client.put(
        users_path(user, "/follow-plans/x"),
        json={"weekly_target": 21, "daily_cap": 10, "active_weekdays": ["mon", "tue"]},
    )
    body = assert_validation(r, "#/weekly_target")
    for number in ("21", "10", "2", "20"):
        assert number in body["detail"], body["detail"]
    ok = client.put(
        users_path(user, "/follow-plans/x"),
        json={"weekly_target": 20, "daily_cap": 10, "active_weekdays": ["mon", "tue"]},
    )
    assert ok.status_code == 201, ok.text
    # The default cap counts too: instagram 50 × 7 = 350.
    assert_validation(
        client.put(users_path(user, "/follow-plans/instagram"), json={"weekly_target": 351}),
        "#/weekly_target",
    )


FOLLOW_PLAN_ERRORS = [
    ({}, "#/weekly_target"),
    ({"weekly_target": 0}, "#/weekly_target"),
    ({"weekly_target": "ten"}, "#/weekly_target"),
    ({"weekly_target": 5, "active_weekdays": []}, "#/active_weekdays"),
    ({"weekly_target": 5, "active_weekdays": ["mon", "mon"]}, "#/active_weekdays"),
    ({"weekly_target": 5, "active_weekdays": ["monday"]}, "#/active_weekdays/0"),
    ({"weekly_target": 5, "warmup_days": -1}, "#/warmup_days"),
    ({"weekly_target": 5, "daily_cap": 0}, "#/daily_cap"),
    ({"weekly_target": 5, "burst_limit": 0}, "#/burst_limit"),
    ({"weekly_target": 5, "burst_window_minutes": 0}, "#/burst_window_minutes"),
    ({"weekly_target": 5, "starts_on": "2026-13-01"}, "#/starts_on"),
    ({"weekly_target": 5, "colour": "red"}, "#/colour"),
]


def test_follow_plan_field_validation(client, user):
    for body, pointer in FOLLOW_PLAN_ERRORS:
        assert_validation(client.put(users_path(user, "/follow-plans/x"), json=body), pointer)
    assert client.get(users_path(user, "/follow-plans")).json()["items"] == []


def test_unknown_platform_in_the_path_is_422(client, user):
    for path in ("/follow-plans/myspace", "/posting-plans/myspace", "/profiles/myspace"):
        r = client.put(
            users_path(user, path),
            json={"weekly_target": 5, "handle": "h"}
            if "follow" in path
            else ({"handle": "h"} if "profiles" in path else {}),
        )
        body = assert_validation(r, "platform")
        assert body["code"] == "validation_error"
    assert_validation(client.get(users_path(user, "/follow-plans/X")), "platform")
    assert_validation(client.get(users_path(user, "/posting-plans/tiktok")), "platform")
    assert_validation(client.delete(users_path(user, "/follow-plans/tiktok")), "platform")


def test_plans_of_an_unknown_user_are_404(client):
    missing = "/v1/users/00000000-0000-4000-8000-000000000000"
    assert_problem(
        client.put(missing + "/follow-plans/x", json={"weekly_target": 5}), 404, "not_found"
    )
    assert_problem(client.get(missing + "/posting-plans"), 404, "not_found")


# --- posting plans ----------------------------------------------------------------------


def test_posting_plan_defaults(client, user):
    for platform, max_posts in MAX_POSTS.items():
        r = client.put(users_path(user, f"/posting-plans/{platform}"), json={})
        assert r.status_code == 201, r.text
        plan = r.json()
        assert plan["platform"] == platform
        assert (plan["min_posts_per_day"], plan["max_posts_per_day"], plan["min_gap_minutes"]) == (
            1,
            max_posts,
            60,
        )


def test_posting_plan_replace_get_list_delete(client, user):
    path = users_path(user, "/posting-plans/x")
    first = client.put(
        path, json={"min_posts_per_day": 2, "max_posts_per_day": 3, "min_gap_minutes": 90}
    )
    assert first.status_code == 201
    assert (
        first.json()["min_posts_per_day"],
        first.json()["max_posts_per_day"],
        first.json()["min_gap_minutes"],
    ) == (2, 3, 90)
    second = client.put(path, json={"min_posts_per_day": 0})
    assert second.status_code == 200
    assert (
        second.json()["min_posts_per_day"],
        second.json()["max_posts_per_day"],
        second.json()["min_gap_minutes"],
    ) == (0, 5, 60)
    assert client.get(path).json() == second.json()

    assert client.put(users_path(user, "/posting-plans/instagram"), json={}).status_code == 201
    assert client.put(users_path(user, "/posting-plans/facebook"), json={}).status_code == 201
    listed = client.get(users_path(user, "/posting-plans")).json()
    assert [p["platform"] for p in listed["items"]] == ["x", "facebook", "instagram"]

    assert client.delete(path).status_code == 204
    assert_problem(client.get(path), 404, "not_found")
    assert_problem(client.delete(path), 404, "not_found")
    assert [
        p["platform"] for p in client.get(users_path(user, "/posting-plans")).json()["items"]
    ] == ["facebook", "instagram"]


def test_posting_plan_min_above_max_is_422(client, user):
    r = client.put(
        users_path(user, "/posting-plans/x"), json={"min_posts_per_day": 3, "max_posts_per_day": 2}
    )
    body = assert_validation(r, "#/min_posts_per_day")
    assert "3" in body["detail"] and "2" in body["detail"]
    # Against the default maximum too: linkedin allows 2.
    assert_validation(
        client.put(users_path(user, "/posting-plans/linkedin"), json={"min_posts_per_day": 3}),
        "#/min_posts_per_day",
    )
    assert client.get(users_path(user, "/posting-plans")).json()["items"] == []


POSTING_PLAN_ERRORS = [
    ({"max_posts_per_day": 0}, "#/max_posts_per_day"),
    ({"min_posts_per_day": -1}, "#/min_posts_per_day"),
    ({"min_gap_minutes": -5}, "#/min_gap_minutes"),
    ({"max_posts_per_day": 2.5}, "#/max_posts_per_day"),
    ({"posts": 1}, "#/posts"),
]


def test_posting_plan_field_validation(client, user):
    for body, pointer in POSTING_PLAN_ERRORS:
        assert_validation(client.put(users_path(user, "/posting-plans/x"), json=body), pointer)
    assert client.get(users_path(user, "/posting-plans")).json()["items"] == []


# --- profiles -----------------------------------------------------------------------------


def test_put_profile_201_then_200_and_list_in_platform_order(client, user):
    r = client.put(
        users_path(user, "/profiles/linkedin"),
        json={
            "handle": "ada-l",
            "bio": "I help founders.",
            "photo_url": "https://e.example/a.jpg",
            "photo_smiling": True,
        },
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["platform"] == "linkedin" and created["handle"] == "ada-l"
    assert created["bio"] == "I help founders." and created["photo_smiling"] is True
    assert created["photo_url"] == "https://e.example/a.jpg"

    r = client.put(users_path(user, "/profiles/linkedin"), json={"handle": "ada-lovelace"})
    assert r.status_code == 200, r.text
    replaced = r.json()
    assert replaced["handle"] == "ada-lovelace"
    assert (
        replaced["bio"] is None
        and replaced["photo_url"] is None
        and replaced["photo_smiling"] is None
    )
    assert replaced["created_at"] == created["created_at"]

    for platform in ("instagram", "x", "facebook"):
        assert (
            client.put(
                users_path(user, f"/profiles/{platform}"), json={"handle": platform}
            ).status_code
            == 201
        )
    listed = client.get(users_path(user, "/profiles"))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [p["platform"] for p in items] == ["x", "facebook", "linkedin", "instagram"]
    assert items[2] == replaced


PROFILE_ERRORS = [
    ({}, "#/handle"),
    ({"handle": ""}, "#/handle"),
    ({"handle": "h" * 201}, "#/handle"),
    ({"handle": "h", "bio": "b" * 2001}, "#/bio"),
    ({"handle": "h", "photo_smiling": "sometimes"}, "#/photo_smiling"),
    ({"handle": "h", "followers": 3}, "#/followers"),
]


def test_profile_validation(client, user):
    for body, pointer in PROFILE_ERRORS:
        assert_validation(client.put(users_path(user, "/profiles/x"), json=body), pointer)
    assert client.get(users_path(user, "/profiles")).json()["items"] == []
