"""POST /checks with action "post" (SPEC §6.5) and its agreement with GET /posting."""

from tests.insights.helpers import (
    check,
    codes,
    ev,
    get,
    make_user,
    numbers_in,
    posting_plan,
    record,
)


def post(client, uid, platform, at, count=1):
    return check(client, uid, action="post", platform=platform, at=at, count=count)


def build_poster(client) -> str:
    uid = make_user(client)  # UTC
    posting_plan(client, uid, "x", max_posts_per_day=3, min_gap_minutes=60)
    record(
        client,
        uid,
        [
            ev("x", "post", "2026-11-02T23:30:00Z"),  # yesterday
            ev("x", "post", "2026-11-03T09:00:00Z"),
            ev("x", "share", "2026-11-03T11:00:00Z"),  # shares are posts too
            ev("x", "post", "2026-11-03T13:00:00Z"),
            ev("x", "reply", "2026-11-03T13:30:00Z"),  # not a post
            ev("x", "post", "2026-11-03T13:40:00Z", direction="inbound"),  # not the user's
            ev("linkedin", "post", "2026-11-03T13:50:00Z"),  # other platform
        ],
    )
    return uid


def test_too_soon_and_over_posting(client):
    uid = build_poster(client)

    r = post(client, uid, "x", "2026-11-03T00:10:00Z")
    assert codes(r) == ["too_soon"]  # yesterday 23:30 was 40 < 60 minutes before
    assert {40, 60} <= set(numbers_in(r["reasons"][0]["detail"]))  # 40 minutes of 60
    assert r["next_allowed_at"] == "2026-11-03T00:30:00Z"  # 23:30 + 60 min
    assert post(client, uid, "x", "2026-11-03T00:30:00Z")["allowed"] is True  # exactly 60

    r = post(client, uid, "x", "2026-11-03T09:30:00Z")  # 1 today + 1 <= 3
    assert codes(r) == ["too_soon"]
    assert r["next_allowed_at"] == "2026-11-03T10:00:00Z"

    r = post(client, uid, "x", "2026-11-03T09:30:00Z", count=3)  # 1 + 3 > 3
    assert codes(r) == ["over_posting", "too_soon"]
    assert r["next_allowed_at"] == "2026-11-04T00:00:00Z"  # max(next midnight, 10:00)

    r = post(client, uid, "x", "2026-11-03T13:50:00Z")  # 3 today, and 50 min after 13:00
    assert codes(r) == ["over_posting", "too_soon"]
    assert r["next_allowed_at"] == "2026-11-04T00:00:00Z"

    r = post(client, uid, "x", "2026-11-03T14:00:00Z")
    assert codes(r) == ["over_posting"]  # 3 + 1 > 3
    assert numbers_in(r["reasons"][0]["detail"])[:2] == [3, 3]  # 3 posts today of a maximum of 3
    assert r["next_allowed_at"] == "2026-11-04T00:00:00Z"

    r = post(client, uid, "x", "2026-11-03T14:00:00Z", count=4)  # 4 > max 3 a day
    assert codes(r) == ["exceeds_limit", "over_posting"]
    assert r["next_allowed_at"] is None

    assert post(client, uid, "x", "2026-11-04T00:00:00Z")["allowed"] is True


def test_presets_and_local_midnight(client):
    uid = make_user(client, "Asia/Tokyo")
    # facebook without a plan: max 2 a day, min gap 60
    record(
        client,
        uid,
        [
            ev("facebook", "share", "2026-11-03T01:00:00Z"),  # 10:00 JST
            ev("facebook", "post", "2026-11-03T03:00:00Z"),
        ],
    )  # 12:00 JST
    r = post(client, uid, "facebook", "2026-11-03T05:00:00Z")  # 14:00 JST
    assert codes(r) == ["over_posting"]  # 2 + 1 > 2
    assert r["next_allowed_at"] == "2026-11-03T15:00:00Z"  # 11-04 00:00 JST
    assert post(client, uid, "facebook", "2026-11-03T15:00:00Z")["allowed"] is True


def test_post_check_agrees_with_posting(client):
    uid = build_poster(client)
    for at, remaining in (
        ("2026-11-03T08:00:00Z", 3),  # no post today yet; 23:30 was 8.5 h ago
        ("2026-11-03T10:30:00Z", 2),  # 09:00
        ("2026-11-03T12:30:00Z", 1),  # 09:00, 11:00
        ("2026-11-03T14:30:00Z", 0),  # 09:00, 11:00, 13:00
    ):
        section = get(client, uid, "posting", platform="x", as_of=at)["platforms"][0]
        assert section["remaining_today"] == remaining  # max(0, 3 - posts today)
        for count in range(1, 4):  # at these instants the last post is >= 60 min old
            answer = post(client, uid, "x", at, count)
            assert answer["allowed"] == (count <= section["remaining_today"]), (at, count)
