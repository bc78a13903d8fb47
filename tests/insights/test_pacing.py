"""GET /v1/users/{id}/pacing (SPEC §6.1): the whole answer for a known week, quotas,
local days in a non-UTC zone, recommended_today and status.

Calendar used throughout: 2026-11-02 is a Monday, 2026-11-08 a Sunday.
"""

from tests.insights.helpers import ev, follow_plan, follows, get, make_user, record


def test_known_week_every_field(client, user):
    uid = user["id"]  # timezone UTC
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=30,
        daily_cap=10,
        burst_limit=3,
        burst_window_minutes=60,
        starts_on="2026-01-01",
    )
    record(
        client,
        uid,
        [
            *follows(
                "x",
                "2026-10-05T23:59:59Z",  # before the 30-day window
                "2026-10-06T00:00:00Z",  # first instant of the 30-day window
                "2026-11-01T23:59:59Z",  # Sunday: previous ISO week
                "2026-11-02T09:00:00Z",
                "2026-11-02T10:00:00Z",
                "2026-11-02T11:00:00Z",  # Mon
                "2026-11-03T09:00:00Z",
                "2026-11-03T09:10:00Z",
                "2026-11-03T15:00:00Z",  # Tue
                "2026-11-04T08:00:00Z",
                "2026-11-04T08:30:00Z",
                "2026-11-04T09:00:00Z",  # Wed
                "2026-11-04T11:30:00Z",
                "2026-11-04T13:00:00Z",
            ),  # after as_of: ignored
            ev("linkedin", "follow", "2026-11-04T11:45:00Z"),  # other platform
            *follows(
                "x",
                "2026-10-05T23:00:00Z",
                "2026-11-02T12:00:00Z",
                "2026-11-03T12:00:00Z",
                "2026-11-04T09:30:00Z",
                "2026-11-04T12:30:00Z",
                direction="inbound",
            ),
            ev("x", "unfollow", "2026-11-03T10:00:00Z"),  # yesterday
            ev("x", "unfollow", "2026-11-04T10:00:00Z"),
            ev("x", "unfollow", "2026-11-04T10:05:00Z"),
            ev("x", "unfollow", "2026-11-04T12:00:00Z"),  # exactly as_of: counts
            ev("x", "unfollow", "2026-11-04T10:10:00Z", direction="inbound"),  # not the user's
            ev("linkedin", "unfollow", "2026-11-04T10:15:00Z"),  # other platform
        ],
    )

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-04T13:00:00+01:00")

    assert p["platform"] == "x"
    assert p["as_of"] == "2026-11-04T12:00:00Z"  # 13:00+01:00 answered in UTC
    assert p["window_days"] == 30
    assert p["effective_daily_cap"] == 10  # no warm-up
    # today (Wed) up to 12:00Z: 08:00, 08:30, 09:00, 11:30
    assert p["follows_today"] == 4
    # since Mon 00:00Z: Mon 3 + Tue 3 + Wed 4 (Sunday 23:59:59 is last week)
    assert p["follows_this_week"] == 10
    # outbound x unfollows on Wed ≤ 12:00: 10:00, 10:05, 12:00
    assert p["unfollows_today"] == 3
    # quotas: 30 div 7 = 4 rem 2 -> Mon 5, Tue 5, Wed..Sun 4
    assert p["expected_by_today"] == 14  # 5 + 5 + 4
    assert p["expected_before_today"] == 10  # 5 + 5
    # min(cap 10, ceil((30 - 6 before today) / 5 days Wed..Sun)) = min(10, ceil(4.8)) = 5
    assert p["recommended_today"] == 5
    assert p["remaining_today"] == 1  # 5 - 4
    # (08:00, 09:00] holds 08:30 and 09:00; 08:00 and 09:00 are not in one window
    assert p["peak_burst_today"] == 2
    # min(cap 10 - 4 = 6, burst 3 - #(11:00, 12:00] = 3 - 1 = 2); x has no weekly limit
    assert p["allowed_now"] == 2
    assert p["next_allowed_at"] is None
    # 4 <= 10 and 2 <= 3; 10 > 14? no; 10 < 10? no
    assert p["status"] == "on_track"
    # window from 2026-10-06T00:00Z: outbound 10-06, 11-01, 3 + 3 + 4 = 12; inbound 3 -> 3/12
    assert p["follow_back_rate"] == 0.25
    assert p["days"] == [
        {"date": "2026-11-02", "quota": 5, "follows": 3},
        {"date": "2026-11-03", "quota": 5, "follows": 3},
        {"date": "2026-11-04", "quota": 4, "follows": 4},  # 13:00 is after as_of
        {"date": "2026-11-05", "quota": 4, "follows": 0},
        {"date": "2026-11-06", "quota": 4, "follows": 0},
        {"date": "2026-11-07", "quota": 4, "follows": 0},
        {"date": "2026-11-08", "quota": 4, "follows": 0},
    ]
    plan = p["plan"]
    assert {
        k: plan[k]
        for k in (
            "platform",
            "weekly_target",
            "active_weekdays",
            "daily_cap",
            "burst_limit",
            "burst_window_minutes",
            "warmup_days",
            "starts_on",
        )
    } == {
        "platform": "x",
        "weekly_target": 30,
        "active_weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "daily_cap": 10,
        "burst_limit": 3,
        "burst_window_minutes": 60,
        "warmup_days": 0,
        "starts_on": "2026-01-01",
    }

    # window_days=3 -> Mon..Wed: outbound 3 + 3 + 4 = 10, inbound 11-02, 11-03, 11-04 09:30 = 3
    p3 = get(client, uid, "pacing", platform="x", as_of="2026-11-04T12:00:00Z", window_days=3)
    assert p3["window_days"] == 3
    assert p3["follow_back_rate"] == 0.3
    # window_days=1 on Thursday 01:00: no outbound follow today -> null
    p1 = get(client, uid, "pacing", platform="x", as_of="2026-11-05T01:00:00Z", window_days=1)
    assert p1["follow_back_rate"] is None


def test_quotas_with_fewer_active_weekdays_and_remainders(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=12,
        active_weekdays=["fri", "mon", "wed"],
        starts_on="2026-01-01",
    )
    follow_plan(client, uid, "facebook", weekly_target=50, starts_on="2026-01-01")
    follow_plan(
        client,
        uid,
        "instagram",
        weekly_target=14,
        active_weekdays=["mon", "wed", "fri"],
        starts_on="2026-01-01",
    )
    follow_plan(
        client,
        uid,
        "linkedin",
        weekly_target=5,
        active_weekdays=["sun", "sat"],
        starts_on="2026-01-01",
    )
    as_of = "2026-11-04T12:00:00Z"  # Wednesday

    def quotas(platform):
        days = get(client, uid, "pacing", platform=platform, as_of=as_of)["days"]
        assert [d["date"] for d in days] == [f"2026-11-0{i}" for i in range(2, 9)]
        return [d["quota"] for d in days]

    assert quotas("x") == [4, 0, 4, 0, 4, 0, 0]  # 12 = 3 × 4
    assert quotas("facebook") == [8, 7, 7, 7, 7, 7, 7]  # 50 = 7 × 7 + 1: Monday gets the 1
    assert quotas("instagram") == [5, 0, 5, 0, 4, 0, 0]  # 14 = 3 × 4 + 2: Mon and Wed get +1
    assert quotas("linkedin") == [0, 0, 0, 0, 0, 3, 2]  # 5 = 2 × 2 + 1: Saturday comes first

    x = get(client, uid, "pacing", platform="x", as_of=as_of)
    assert x["plan"]["active_weekdays"] == ["mon", "wed", "fri"]
    assert x["expected_by_today"] == 8  # 4 + 0 + 4
    assert x["expected_before_today"] == 4  # 4 + 0
    assert x["recommended_today"] == 6  # min(100, ceil((12 - 0) / 2 days Wed, Fri))
    assert x["status"] == "behind"  # 0 < 4


def test_inactive_weekday_has_no_quota_and_no_recommendation(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=12,
        active_weekdays=["mon", "wed", "fri"],
        starts_on="2026-01-01",
    )
    record(client, uid, follows("x", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z"))

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-03T12:00:00Z")  # Tuesday
    assert p["days"][1] == {"date": "2026-11-03", "quota": 0, "follows": 1}
    assert p["recommended_today"] == 0
    assert p["remaining_today"] == 0  # max(0, 0 - 1)
    assert p["expected_by_today"] == 4  # Mon 4 + Tue 0
    assert p["expected_before_today"] == 4
    assert p["follows_this_week"] == 2
    assert p["status"] == "behind"  # 2 < 4
    # allowed_now ignores the weekday: min(x cap 100 - 1 = 99, x burst 25 - #(11:00, 12:00] = 25)
    assert p["allowed_now"] == 25
    assert p["next_allowed_at"] is None


def test_local_midnight_in_a_non_utc_zone(client):
    uid = make_user(client, "Asia/Tokyo")  # UTC+9, no DST
    follow_plan(
        client, uid, "x", weekly_target=14, daily_cap=2, burst_limit=10, starts_on="2026-01-01"
    )  # quotas 2 a day
    record(
        client,
        uid,
        follows(
            "x",
            "2026-11-01T14:30:00Z",  # Sun 11-01 23:30 JST: previous week
            "2026-11-01T15:30:00Z",  # Mon 11-02 00:30 JST (a Sunday in UTC)
            "2026-11-02T14:50:00Z",  # Mon 11-02 23:50 JST
            "2026-11-02T15:10:00Z",  # Tue 11-03 00:10 JST (a Monday in UTC)
            "2026-11-03T00:00:00Z",  # Tue 11-03 09:00 JST
        ),
    )
    record(
        client,
        uid,
        [
            ev("x", "unfollow", "2026-11-02T14:55:00Z"),  # Mon 23:55 JST
            ev("x", "unfollow", "2026-11-02T15:05:00Z"),  # Tue 00:05 JST
            ev("x", "follow", "2026-11-02T14:59:00Z", direction="inbound"),  # Mon 23:59 JST
            ev("x", "follow", "2026-11-02T15:01:00Z", direction="inbound"),  # Tue 00:01 JST
        ],
    )

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-03T10:00:00+09:00")
    assert p["as_of"] == "2026-11-03T01:00:00Z"
    assert p["follows_today"] == 2  # 00:10 and 09:00 JST
    assert p["follows_this_week"] == 4  # Mon 00:30, Mon 23:50, Tue 00:10, Tue 09:00 JST
    assert [(d["date"], d["follows"]) for d in p["days"][:3]] == [
        ("2026-11-02", 2),
        ("2026-11-03", 2),
        ("2026-11-04", 0),
    ]
    assert p["expected_by_today"] == 4  # 2 + 2
    assert p["expected_before_today"] == 2
    assert p["recommended_today"] == 2  # min(2, ceil((14 - 2) / 6 days Tue..Sun)) = min(2, 2)
    assert p["remaining_today"] == 0
    assert p["peak_burst_today"] == 1
    # daily cap binds: 2 - 2 = 0 (burst: 10 - #(00:00Z, 01:00Z] = 10)
    assert p["allowed_now"] == 0
    # next local midnight: Wed 11-04 00:00 JST = 11-03 15:00Z
    assert p["next_allowed_at"] == "2026-11-03T15:00:00Z"
    assert p["status"] == "on_track"  # 2 <= 2; 4 > 4 no; 4 < 2 no
    assert p["unfollows_today"] == 1  # 00:05 JST
    # 30 local days from 10-05 00:00 JST: 5 outbound follows, 2 inbound -> 0.4
    assert p["follow_back_rate"] == 0.4
    today_only = get(
        client, uid, "pacing", platform="x", as_of="2026-11-03T10:00:00+09:00", window_days=1
    )
    assert today_only["follow_back_rate"] == 0.5  # Tue JST: outbound 00:10, 09:00; inbound 00:01

    at_midnight = get(client, uid, "pacing", platform="x", as_of="2026-11-03T15:00:00Z")
    assert at_midnight["follows_today"] == 0
    assert at_midnight["allowed_now"] == 2  # min(2 - 0, 10 - 0)
    assert at_midnight["next_allowed_at"] is None


def test_recommended_today_after_a_slow_monday(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=30,
        daily_cap=10,
        burst_limit=10,
        active_weekdays=["mon", "tue", "wed", "thu", "fri"],
        starts_on="2026-01-01",
    )
    record(client, uid, follows("x", "2026-11-02T09:00:00Z"))  # one follow on Monday

    monday = get(client, uid, "pacing", platform="x", as_of="2026-11-02T08:00:00Z")
    assert monday["recommended_today"] == 6  # min(10, ceil(30 / 5))

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-03T09:00:00Z")  # Tuesday
    # min(10, ceil((30 - 1) / 4 days Tue..Fri)) = min(10, ceil(7.25)) = 8
    assert p["recommended_today"] == 8
    assert p["remaining_today"] == 8
    assert p["expected_by_today"] == 12  # 6 + 6
    assert p["expected_before_today"] == 6
    assert p["status"] == "behind"  # 1 < 6
    assert p["days"][5]["quota"] == 0 and p["days"][6]["quota"] == 0  # Sat, Sun

    follow_plan(
        client,
        uid,
        "x",
        weekly_target=30,
        daily_cap=7,
        burst_limit=10,
        active_weekdays=["mon", "tue", "wed", "thu", "fri"],
    )  # 30 <= 7 × 5
    capped = get(client, uid, "pacing", platform="x", as_of="2026-11-03T09:00:00Z")
    assert capped["recommended_today"] == 7  # min(cap 7, 8)
    assert capped["plan"]["starts_on"] == "2026-01-01"  # a replacement keeps starts_on


def test_status_ahead(client):
    uid = make_user(client)
    follow_plan(
        client, uid, "x", weekly_target=7, daily_cap=5, burst_limit=5, starts_on="2026-01-01"
    )  # quota 1 a day
    record(
        client,
        uid,
        follows("x", "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z"),
    )
    p = get(client, uid, "pacing", platform="x", as_of="2026-11-02T12:00:00Z")
    assert p["status"] == "ahead"  # 3 this week > 1 expected by today
    assert p["recommended_today"] == 1  # min(5, ceil(7 / 7))
    assert p["remaining_today"] == 0  # max(0, 1 - 3)
    # min(5 - 3 = 2, 5 - #(11:00, 12:00] = 5 - 0): 11:00 itself is out of the window
    assert p["allowed_now"] == 2


def test_errors(client, user):
    uid = user["id"]
    r = client.get(
        f"/v1/users/{uid}/pacing", params={"platform": "x", "as_of": "2026-11-04T12:00:00Z"}
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "no_follow_plan"

    follow_plan(client, uid, "x", weekly_target=7)
    ok = {"platform": "x", "as_of": "2026-11-04T12:00:00Z"}
    for params in (
        {**ok, "platform": "tiktok"},
        {"as_of": ok["as_of"]},
        {**ok, "window_days": 0},
        {**ok, "window_days": 3651},
    ):
        r = client.get(f"/v1/users/{uid}/pacing", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["code"] == "validation_error"
    for days in (1, 3650):
        assert (
            client.get(f"/v1/users/{uid}/pacing", params={**ok, "window_days": days}).status_code
            == 200
        )

    r = client.get(
        f"/v1/users/{uid}/pacing", params={"platform": "x", "as_of": "2026-11-04T12:00:00"}
    )
    assert r.status_code == 422
    assert "UTC offset" in r.json()["detail"]
    assert r.json()["errors"][0]["parameter"] == "as_of"


def test_week_and_burst_across_the_new_york_fall_back(client):
    uid = make_user(client, "America/New_York")  # EDT -4 until 2026-11-01 02:00, then EST -5
    follow_plan(
        client, uid, "x", weekly_target=7, daily_cap=10, burst_limit=2, starts_on="2026-01-01"
    )
    record(
        client,
        uid,
        follows(
            "x",
            "2026-11-01T03:59:59Z",  # Sat 10-31 23:59:59 EDT
            "2026-11-01T04:00:00Z",  # Sun 11-01 00:00 EDT
            "2026-11-01T05:30:00Z",  # Sun 01:30 EDT
            "2026-11-01T06:30:00Z",  # Sun 01:30 EST: same wall clock, 60 real minutes later
            "2026-11-02T04:30:00Z",  # Sun 11-01 23:30 EST (Monday in UTC)
            "2026-11-02T05:00:00Z",  # Mon 11-02 00:00 EST
        ),
    )

    sun = get(client, uid, "pacing", platform="x", as_of="2026-11-01T07:00:00Z")  # Sun 02:00 EST
    assert sun["follows_today"] == 3  # 00:00 EDT, 01:30 EDT, 01:30 EST
    assert sun["follows_this_week"] == 4  # + Saturday
    assert sun["peak_burst_today"] == 1  # no two follows in one 60-minute window
    # min(10 - 3, 2 - #(06:00Z, 07:00Z] = 2 - 1) = 1
    assert sun["allowed_now"] == 1
    assert [(d["date"], d["follows"]) for d in sun["days"][5:]] == [
        ("2026-10-31", 1),
        ("2026-11-01", 3),
    ]

    mon = get(client, uid, "pacing", platform="x", as_of="2026-11-02T06:00:00Z")  # Mon 01:00 EST
    assert mon["follows_today"] == 1
    assert mon["follows_this_week"] == 1  # the week starts at Mon 00:00 EST = 05:00Z
    assert mon["days"][0] == {"date": "2026-11-02", "quota": 1, "follows": 1}
