"""POST /v1/users/{id}/checks with action "follow" (SPEC §6.5), and its agreement with
GET /pacing (§6.1) at the same instant. 2026-11-02 is a Monday; users in UTC unless said."""

from tests.insights.helpers import (
    check,
    codes,
    follow_plan,
    follows,
    get,
    make_user,
    numbers_in,
    record,
)
from tests.insights.test_pacing_limits import linkedin_follows_99_in_7_days


def follow(client, uid, platform, at, count=1):
    return check(client, uid, action="follow", platform=platform, at=at, count=count)


def test_daily_cap(client):
    uid = make_user(client)
    follow_plan(
        client, uid, "x", weekly_target=21, daily_cap=5, burst_limit=10, starts_on="2026-01-01"
    )
    record(
        client,
        uid,
        follows(
            "x",
            "2026-11-02T08:00:00Z",
            "2026-11-02T09:00:00Z",
            "2026-11-02T10:00:00Z",
            "2026-11-02T11:00:00Z",
        ),
    )
    at = "2026-11-02T12:00:00Z"

    ok = follow(client, uid, "x", at)  # cap 5 - 4 = 1 >= 1; burst 10 - 0
    assert ok == {"allowed": True, "at": at, "reasons": [], "next_allowed_at": None}

    r = follow(client, uid, "x", at, count=2)  # 2 > 1 left today
    assert codes(r) == ["daily_cap"]
    assert r["allowed"] is False
    detail = r["reasons"][0]["detail"]
    assert {4, 5, 1, 2} <= set(numbers_in(detail))  # 4 today, cap 5, 1 more allowed, asked 2
    assert r["next_allowed_at"] == "2026-11-03T00:00:00Z"  # next local midnight

    r = follow(client, uid, "x", at, count=6)  # 6 > daily_cap 5 can never fit
    assert codes(r) == ["daily_cap", "exceeds_limit"]
    assert r["next_allowed_at"] is None

    r = follow(client, uid, "x", at, count=11)  # also > burst_limit 10
    assert codes(r) == ["burst_limit", "daily_cap", "exceeds_limit"]
    assert r["next_allowed_at"] is None


def test_burst_limit(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=21,
        daily_cap=10,
        burst_limit=3,
        burst_window_minutes=60,
        starts_on="2026-01-01",
    )
    record(
        client,
        uid,
        follows("x", "2026-11-02T10:00:00Z", "2026-11-02T10:20:00Z", "2026-11-02T10:40:00Z"),
    )
    at = "2026-11-02T10:50:00Z"  # 3 follows in (09:50, 10:50]

    r = follow(client, uid, "x", at)
    assert codes(r) == ["burst_limit"] and r["allowed"] is False
    assert r["next_allowed_at"] == "2026-11-02T11:00:00Z"  # 10:00 + 60 min
    r = follow(client, uid, "x", at, count=2)
    assert codes(r) == ["burst_limit"]
    assert r["next_allowed_at"] == "2026-11-02T11:20:00Z"  # 10:00 and 10:20 must leave
    r = follow(client, uid, "x", at, count=3)
    assert r["next_allowed_at"] == "2026-11-02T11:40:00Z"  # all three must leave
    r = follow(client, uid, "x", at, count=4)  # 4 > burst_limit 3
    assert codes(r) == ["burst_limit", "exceeds_limit"]
    assert r["next_allowed_at"] is None

    assert follow(client, uid, "x", "2026-11-02T11:00:00Z")["allowed"] is True


def test_weekly_limit_with_linkedin_presets_and_no_plan(client):
    uid = make_user(client)
    record(client, uid, follows("linkedin", *linkedin_follows_99_in_7_days()))
    at = "2026-11-04T12:00:00Z"
    # no follow plan: linkedin presets daily_cap 20, burst 10 / 60 min, 100 per rolling 7 days;
    # 99 follows in (10-28T12:00Z, 11-04T12:00Z]
    assert (
        client.get(
            f"/v1/users/{uid}/pacing", params={"platform": "linkedin", "as_of": at}
        ).status_code
        == 404
    )

    assert follow(client, uid, "linkedin", at)["allowed"] is True  # 100 - 99 = 1
    r = follow(client, uid, "linkedin", at, count=2)
    assert codes(r) == ["weekly_limit"]
    assert {99, 100, 1, 2} <= set(
        numbers_in(r["reasons"][0]["detail"])
    )  # 99 of 100: 1 more, asked 2
    # one follow must leave: 10-29T09:00Z + 7 days
    assert r["next_allowed_at"] == "2026-11-05T09:00:00Z"
    r = follow(client, uid, "linkedin", at, count=5)
    # four must leave: the fourth oldest is 10-29T09:09Z
    assert r["next_allowed_at"] == "2026-11-05T09:09:00Z"
    r = follow(client, uid, "linkedin", at, count=11)  # 11 > burst 10
    assert codes(r) == ["burst_limit", "exceeds_limit", "weekly_limit"]
    assert r["next_allowed_at"] is None
    r = follow(client, uid, "linkedin", at, count=101)
    assert codes(r) == ["burst_limit", "daily_cap", "exceeds_limit", "weekly_limit"]
    assert r["next_allowed_at"] is None


def test_preset_caps_without_a_plan(client):
    uid = make_user(client)
    # x presets: daily_cap 100, burst 25 per 60 min; 25 follows 10:00 .. 10:24
    record(client, uid, follows("x", *[f"2026-11-02T10:{i:02d}:00Z" for i in range(25)]))
    r = follow(client, uid, "x", "2026-11-02T10:30:00Z")
    assert codes(r) == ["burst_limit"]
    assert r["next_allowed_at"] == "2026-11-02T11:00:00Z"  # 10:00 + 60 min
    r = follow(client, uid, "x", "2026-11-02T10:30:00Z", count=26)
    assert codes(r) == ["burst_limit", "exceeds_limit"]

    # facebook presets: daily_cap 30, burst 10; 30 follows 10 minutes apart from 00:00
    record(
        client,
        uid,
        follows("facebook", *[f"2026-11-02T0{i // 6}:{10 * (i % 6):02d}:00Z" for i in range(30)]),
    )
    r = follow(client, uid, "facebook", "2026-11-02T12:00:00Z")
    assert codes(r) == ["daily_cap"]  # 30 - 30 = 0 left today
    assert r["next_allowed_at"] == "2026-11-03T00:00:00Z"


def test_warm_up_next_allowed_at(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=21,
        daily_cap=7,
        burst_limit=10,
        warmup_days=3,
        starts_on="2026-11-03",
    )
    at = "2026-11-03T12:00:00Z"  # Tuesday, d = 0: cap floor(7 × 0.2) = 1
    assert follow(client, uid, "x", at)["allowed"] is True
    # first days with room: Wed cap 3 (d=1), Thu cap 5 (d=2), Fri cap 7 (d=3)
    for count, day in ((2, "2026-11-04"), (3, "2026-11-04"), (4, "2026-11-05"), (6, "2026-11-06")):
        r = follow(client, uid, "x", at, count=count)
        assert codes(r) == ["daily_cap"], count
        assert {1, 7} <= set(numbers_in(r["reasons"][0]["detail"]))  # effective cap 1 of full cap 7
        assert r["next_allowed_at"] == f"{day}T00:00:00Z", count
    r = follow(client, uid, "x", at, count=8)  # 8 > full cap 7
    assert codes(r) == ["daily_cap", "exceeds_limit"]
    assert r["next_allowed_at"] is None


def build_agreement_user(client) -> str:
    uid = make_user(client, "Asia/Tokyo")
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=21,
        daily_cap=4,
        burst_limit=3,
        burst_window_minutes=60,
        starts_on="2026-01-01",
    )
    follow_plan(client, uid, "linkedin", weekly_target=70, starts_on="2026-01-01")
    follow_plan(
        client,
        uid,
        "facebook",
        weekly_target=7,
        daily_cap=7,
        burst_limit=10,
        warmup_days=3,
        starts_on="2026-11-03",
    )
    record(
        client,
        uid,
        [
            *follows(
                "x",
                "2026-11-02T01:00:00Z",
                "2026-11-02T01:20:00Z",
                "2026-11-02T01:40:00Z",
                "2026-11-02T14:59:00Z",
                "2026-11-02T15:00:00Z",
            ),  # 23:59 and 00:00 JST
            *follows("linkedin", *linkedin_follows_99_in_7_days(), "2026-11-04T02:00:00Z"),
            *follows("facebook", "2026-11-03T01:00:00Z"),
        ],
    )
    return uid


AGREEMENT_CASES = [
    ("x", "2026-11-02T01:50:00Z"),  # burst binds (3 in the last hour)
    ("x", "2026-11-02T02:00:00Z"),  # the first one has just left the window
    ("x", "2026-11-02T02:00:00.500Z"),
    ("x", "2026-11-02T14:59:30Z"),  # daily cap 4 reached at 23:59 JST
    ("x", "2026-11-02T15:00:00Z"),  # a new local day
    ("linkedin", "2026-11-04T01:59:59Z"),  # 99 in 7 days
    ("linkedin", "2026-11-04T12:00:00Z"),  # 100 in 7 days
    ("linkedin", "2026-11-05T09:00:00Z"),
    ("facebook", "2026-11-03T02:00:00Z"),  # warm-up cap 1 used
    ("facebook", "2026-11-04T02:00:00Z"),
]


def test_follow_check_agrees_with_pacing(client):
    uid = build_agreement_user(client)
    seen = set()
    for platform, at in AGREEMENT_CASES:
        p = get(client, uid, "pacing", platform=platform, as_of=at)
        seen.add(p["allowed_now"] >= 1)
        one = follow(client, uid, platform, at)
        assert one["allowed"] == (p["allowed_now"] >= 1), (platform, at)
        assert one["next_allowed_at"] == p["next_allowed_at"], (platform, at)
        if p["allowed_now"] >= 1:
            assert follow(client, uid, platform, at, count=p["allowed_now"])["allowed"] is True
        more = follow(client, uid, platform, at, count=p["allowed_now"] + 1)
        assert more["allowed"] is False, (platform, at)
    assert seen == {True, False}  # the cases cover both answers
