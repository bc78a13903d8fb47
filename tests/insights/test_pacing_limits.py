"""GET /pacing (SPEC §6.1): allowed_now and next_allowed_at under each binding limit, the
LinkedIn rolling 7-day limit, over_limit, and the warm-up cap.

2026-11-02 is a Monday. Users are in UTC unless said otherwise (the daily-cap case in a
non-UTC zone is in test_pacing.py::test_local_midnight_in_a_non_utc_zone).
"""

from tests.insights.helpers import follow_plan, follows, get, make_user, record


def linkedin_follows_99_in_7_days() -> list[str]:
    """20 follows a day Thu 10-29 .. Sun 11-01 and 19 on Mon 11-02, 3 minutes apart from
    09:00Z, plus one exactly 7 days before 2026-11-04T12:00Z."""
    instants = ["2026-10-28T12:00:00Z"]
    for day, n in (
        ("2026-10-29", 20),
        ("2026-10-30", 20),
        ("2026-10-31", 20),
        ("2026-11-01", 20),
        ("2026-11-02", 19),
    ):
        instants += [f"{day}T09:{3 * i:02d}:00Z" for i in range(n)]
    assert len(instants) == 100
    return instants


def test_allowed_now_bound_by_the_burst_window(client):
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
    )  # quota 3 a day
    record(
        client,
        uid,
        follows("x", "2026-11-02T10:00:00Z", "2026-11-02T10:20:00Z", "2026-11-02T10:40:00Z"),
    )

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-02T10:50:00Z")
    assert p["follows_today"] == 3
    assert p["peak_burst_today"] == 3
    # min(cap 10 - 3 = 7, burst 3 - #(09:50, 10:50] = 3 - 3 = 0) = 0
    assert p["allowed_now"] == 0
    # the 10:00 follow leaves (t - 60 min, t] at t = 11:00
    assert p["next_allowed_at"] == "2026-11-02T11:00:00Z"
    assert p["status"] == "on_track"  # peak 3 is not > 3; 3 this week = 3 expected by today

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-02T11:00:00Z")
    assert p["allowed_now"] == 1  # min(7, 3 - #{10:20, 10:40})
    assert p["next_allowed_at"] is None

    record(client, uid, follows("x", "2026-11-02T10:59:00Z"))
    p = get(client, uid, "pacing", platform="x", as_of="2026-11-02T11:05:00Z")
    assert p["peak_burst_today"] == 4  # (09:59, 10:59] holds 10:00, 10:20, 10:40, 10:59
    assert p["status"] == "over_limit"  # 4 > burst 3
    assert p["allowed_now"] == 0  # 3 - #(10:05, 11:05] = 3 - 3
    assert p["next_allowed_at"] == "2026-11-02T11:20:00Z"  # 10:20 + 60 min


def test_allowed_now_bound_by_linkedins_rolling_7_day_limit(client):
    uid = make_user(client)
    follow_plan(client, uid, "linkedin", weekly_target=70, starts_on="2026-01-01")
    # linkedin presets: daily_cap 20, burst_limit 10 per 60 min; platform limit 100 / 7 days
    record(client, uid, follows("linkedin", *linkedin_follows_99_in_7_days()))

    p = get(client, uid, "pacing", platform="linkedin", as_of="2026-11-04T12:00:00Z")  # Wed
    assert p["plan"]["daily_cap"] == 20 and p["plan"]["burst_limit"] == 10
    # 7-day window (10-28T12:00Z, 11-04T12:00Z]: 4 × 20 + 19 = 99; 10-28T12:00Z is out
    # min(20 - 0, 10 - 0, 100 - 99) = 1
    assert p["allowed_now"] == 1
    assert p["next_allowed_at"] is None
    assert p["follows_this_week"] == 19  # Monday only
    assert p["expected_by_today"] == 30 and p["expected_before_today"] == 20  # quota 10 a day
    assert p["status"] == "behind"  # 19 < 20
    assert p["recommended_today"] == 11  # min(20, ceil((70 - 19) / 5)) = ceil(10.2)

    record(client, uid, follows("linkedin", "2026-11-04T08:00:00Z"))
    p = get(client, uid, "pacing", platform="linkedin", as_of="2026-11-04T12:00:00Z")
    assert p["follows_today"] == 1
    assert p["remaining_today"] == 10  # 11 - 1
    assert p["status"] == "on_track"  # 20 this week: not > 30, not < 20
    # min(20 - 1 = 19, 10 - 0 = 10, 100 - 100 = 0) = 0
    assert p["allowed_now"] == 0
    # the oldest follow in the window, 10-29T09:00Z, leaves it 7 days later
    assert p["next_allowed_at"] == "2026-11-05T09:00:00Z"

    p = get(client, uid, "pacing", platform="linkedin", as_of="2026-11-05T09:00:00Z")
    # (10-29T09:00Z, 11-05T09:00Z] holds 19 + 20 + 20 + 20 + 19 + 1 = 99
    assert p["allowed_now"] == 1  # min(20, 10, 100 - 99)
    assert p["next_allowed_at"] is None


def test_warm_up_lowers_the_daily_cap(client):
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
    )  # Tuesday; quota 3 a day
    # effective cap = max(1, floor(7 × (0.2 + 0.8 × d / 3))) while d < 3:
    expected = {
        "2026-11-02": (
            1,
            1,
        ),  # Monday is before starts_on: d = 0 -> floor(1.4) = 1; rec min(1, ceil(21/7))
        "2026-11-03": (1, 1),  # d = 0 -> 1
        "2026-11-04": (
            3,
            3,
        ),  # d = 1 -> floor(7 × 0.4667) = floor(3.27) = 3; rec min(3, ceil(21/5) = 5)
        "2026-11-05": (
            5,
            5,
        ),  # d = 2 -> floor(7 × 0.7333) = floor(5.13) = 5; rec min(5, ceil(21/4) = 6)
        "2026-11-06": (7, 7),  # d = 3 -> full cap 7; rec min(7, ceil(21/3) = 7)
        "2026-11-07": (7, 7),  # rec min(7, ceil(21/2) = 11)
    }
    for day, (cap, recommended) in expected.items():
        p = get(client, uid, "pacing", platform="x", as_of=f"{day}T12:00:00Z")
        assert (p["effective_daily_cap"], p["recommended_today"], p["allowed_now"]) == (
            cap,
            recommended,
            cap,
        ), day  # no follows: allowed_now = min(cap, burst 10)

    record(client, uid, follows("x", "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z"))
    p = get(client, uid, "pacing", platform="x", as_of="2026-11-03T12:00:00Z")
    assert p["follows_today"] == 2
    assert p["status"] == "over_limit"  # 2 > effective cap 1
    assert p["remaining_today"] == 0  # max(0, 1 - 2)
    assert p["allowed_now"] == 0  # max(0, min(1 - 2, 10 - 0))
    assert p["next_allowed_at"] == "2026-11-04T00:00:00Z"  # Wednesday's cap is 3
    wed = get(client, uid, "pacing", platform="x", as_of="2026-11-04T12:00:00Z")
    assert wed["recommended_today"] == 3  # min(3, ceil((21 - 2) / 5)) = min(3, 4)


def test_warm_up_cap_is_at_least_one(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "facebook",
        weekly_target=7,
        daily_cap=3,
        burst_limit=10,
        warmup_days=4,
        starts_on="2026-11-02",
    )
    caps = [
        get(client, uid, "pacing", platform="facebook", as_of=f"2026-11-0{d}T12:00:00Z")[
            "effective_daily_cap"
        ]
        for d in range(2, 8)
    ]
    # d=0: max(1, floor(3 × 0.2 = 0.6)) = 1; d=1: floor(3 × 0.4 = 1.2) = 1;
    # d=2: floor(3 × 0.6 = 1.8) = 1; d=3: floor(3 × 0.8 = 2.4) = 2; d>=4: 3
    assert caps == [1, 1, 1, 2, 3, 3]


def test_next_allowed_at_when_daily_cap_and_burst_window_both_bind(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "x",
        weekly_target=14,
        daily_cap=2,
        burst_limit=1,
        burst_window_minutes=60,
        starts_on="2026-01-01",
    )
    record(client, uid, follows("x", "2026-11-02T22:00:00Z", "2026-11-02T23:30:00Z"))

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-02T23:45:00Z")
    # min(cap 2 - 2 = 0, burst 1 - #(22:45, 23:45] = 0) = 0; midnight frees the cap at
    # 00:00 but the 23:30 follow holds the burst window until 00:30
    assert p["allowed_now"] == 0
    assert p["next_allowed_at"] == "2026-11-03T00:30:00Z"

    p = get(client, uid, "pacing", platform="x", as_of="2026-11-03T00:00:00Z")
    assert (p["follows_today"], p["allowed_now"], p["next_allowed_at"]) == (
        0,
        0,
        "2026-11-03T00:30:00Z",
    )
    p = get(client, uid, "pacing", platform="x", as_of="2026-11-03T00:30:00Z")
    assert (p["allowed_now"], p["next_allowed_at"]) == (1, None)  # min(2 - 0, 1 - 0)
