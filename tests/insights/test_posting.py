"""GET /v1/users/{id}/posting (SPEC §6.2): per-day flags, streaks, today's numbers,
sections, ranges and local days across DST and far-off zones."""

from tests.insights.helpers import ev, get, make_user, posting_plan, record


def posts(platform: str, *instants: str, **fields) -> list[dict]:
    return [ev(platform, "post", t, **fields) for t in instants]


def flagged(section: dict) -> dict[str, tuple[int, list[str]]]:
    return {d["date"]: (d["posts"], sorted(d["flags"])) for d in section["days"]}


def test_flags_streaks_and_today(client, user):
    uid = user["id"]  # UTC
    posting_plan(client, uid, "x", min_posts_per_day=1, max_posts_per_day=2, min_gap_minutes=60)
    record(
        client,
        uid,
        [
            *posts("x", "2026-10-29T12:00:00Z"),  # before the range
            *posts(
                "x",
                "2026-10-30T12:00:00Z",
                "2026-10-31T12:00:00Z",
                "2026-11-01T12:00:00Z",
                "2026-11-02T09:00:00Z",
                "2026-11-03T09:00:00Z",
                "2026-11-03T12:00:00Z",
            ),
            ev("x", "share", "2026-11-03T09:30:00Z"),  # shares are broadcasts too
            ev("x", "reply", "2026-11-04T10:00:00Z"),  # not a broadcast
            ev("x", "post", "2026-11-04T11:00:00Z", direction="inbound"),  # not the user's
            ev("linkedin", "post", "2026-11-04T12:00:00Z"),  # other platform
            *posts(
                "x",
                "2026-11-05T10:00:00Z",
                "2026-11-05T11:00:00Z",  # exactly 60 min apart
                "2026-11-06T23:59:59Z",
                "2026-11-07T00:00:00Z",  # one second apart, two days
                "2026-11-08T13:00:00Z",
            ),  # after the first as_of
        ],
    )

    r = get(
        client,
        uid,
        "posting",
        platform="x",
        from_="2026-10-30",
        to="2026-11-08",
        as_of="2026-11-08T12:00:00Z",
    )
    assert (r["from"], r["to"], r["as_of"]) == ("2026-10-30", "2026-11-08", "2026-11-08T12:00:00Z")
    assert len(r["platforms"]) == 1
    x = r["platforms"][0]
    assert x["platform"] == "x"
    assert (x["min_posts_per_day"], x["max_posts_per_day"], x["min_gap_minutes"]) == (1, 2, 60)
    assert flagged(x) == {
        "2026-10-30": (1, []),
        "2026-10-31": (1, []),
        "2026-11-01": (1, []),
        "2026-11-02": (1, []),
        "2026-11-03": (3, ["burst", "over_posting"]),  # 3 > 2; 09:00 -> 09:30 is 30 < 60 min
        "2026-11-04": (0, ["no_post"]),  # 0 < 1 and the day has ended
        "2026-11-05": (2, []),  # 2 <= 2; a 60-minute gap is not closer than 60
        "2026-11-06": (1, []),
        "2026-11-07": (1, []),  # 1 s after Friday's post, but burst is within a day
        "2026-11-08": (0, []),  # today: no no_post before it ends
    }
    assert [d["date"] for d in x["days"]] == sorted(flagged(x))  # in date order
    assert x["posts_today"] == 0
    assert x["remaining_today"] == 2  # max(0, 2 - 0)
    assert x["over_posting_days"] == 1
    assert x["missed_days"] == 1
    # today has no post yet: run ending yesterday = Thu, Fri, Sat
    assert x["current_streak"] == 3
    # 10-30 .. 11-03 (10-29 is outside the range)
    assert x["longest_streak"] == 5

    r = get(
        client,
        uid,
        "posting",
        platform="x",
        from_="2026-10-30",
        to="2026-11-08",
        as_of="2026-11-08T14:00:00Z",
    )
    x = r["platforms"][0]
    assert x["days"][-1] == {"date": "2026-11-08", "posts": 1, "flags": []}
    assert x["posts_today"] == 1
    assert x["remaining_today"] == 1  # 2 - 1
    assert x["current_streak"] == 4  # Thu, Fri, Sat and today


def test_no_post_only_for_days_that_ended(client):
    uid = make_user(client)
    # Monday 11-02 without posts; as_of is exactly its end
    r = get(
        client,
        uid,
        "posting",
        platform="facebook",
        from_="2026-11-02",
        to="2026-11-03",
        as_of="2026-11-03T00:00:00Z",
    )
    assert flagged(r["platforms"][0]) == {"2026-11-02": (0, ["no_post"]), "2026-11-03": (0, [])}
    r = get(
        client,
        uid,
        "posting",
        platform="facebook",
        from_="2026-11-02",
        to="2026-11-03",
        as_of="2026-11-02T23:59:59Z",
    )
    assert flagged(r["platforms"][0]) == {"2026-11-02": (0, []), "2026-11-03": (0, [])}


def test_sections_follow_plans_and_posts_in_platform_order(client):
    uid = make_user(client)
    posting_plan(client, uid, "facebook", max_posts_per_day=1)  # a plan, no posts
    record(
        client,
        uid,
        [
            *posts("linkedin", "2026-11-05T09:00:00Z"),  # posts, no plan
            *posts("x", "2026-11-06T09:00:00Z"),
            ev("instagram", "post", "2026-10-01T09:00:00Z"),  # before the range
            ev("instagram", "reply", "2026-11-06T09:00:00Z"),  # not a broadcast
        ],
    )
    as_of = "2026-11-08T12:00:00Z"

    r = get(client, uid, "posting", as_of=as_of)  # default: the 7 days ending today
    assert (r["from"], r["to"]) == ("2026-11-02", "2026-11-08")
    assert [s["platform"] for s in r["platforms"]] == ["x", "facebook", "linkedin"]
    for s in r["platforms"]:
        assert [d["date"] for d in s["days"]] == [f"2026-11-0{i}" for i in range(2, 9)]
    fb = r["platforms"][1]
    assert fb["max_posts_per_day"] == 1 and fb["min_posts_per_day"] == 1  # plan + default min
    assert fb["missed_days"] == 6  # 11-02 .. 11-07 ended without a post; today has not
    li = r["platforms"][2]
    assert (li["min_posts_per_day"], li["max_posts_per_day"], li["min_gap_minutes"]) == (1, 2, 60)
    assert li["days"][3] == {"date": "2026-11-05", "posts": 1, "flags": []}
    assert li["current_streak"] == 0  # Saturday had none
    assert li["longest_streak"] == 1

    only = get(client, uid, "posting", platform="instagram", as_of=as_of)
    assert [s["platform"] for s in only["platforms"]] == ["instagram"]
    ig = only["platforms"][0]
    assert (ig["max_posts_per_day"], ig["posts_today"], ig["remaining_today"]) == (2, 0, 2)
    assert ig["missed_days"] == 6

    one_bound = get(client, uid, "posting", from_="2026-11-05", as_of=as_of)
    assert (one_bound["from"], one_bound["to"]) == ("2026-11-05", "2026-11-11")


def test_range_validation(client):
    uid = make_user(client)
    base = f"/v1/users/{uid}/posting"
    as_of = "2026-11-08T12:00:00Z"
    # 2025-11-02 .. 2026-11-02 is 365 + 1 = 366 days: allowed; one more day is not
    ok = client.get(base, params={"from": "2025-11-02", "to": "2026-11-02", "as_of": as_of})
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["platforms"]) == 0
    r = client.get(base, params={"from": "2025-11-01", "to": "2026-11-02", "as_of": as_of})
    assert r.status_code == 422
    assert "366" in r.json()["detail"]
    r = client.get(base, params={"from": "2026-11-05", "to": "2026-11-04", "as_of": as_of})
    assert r.status_code == 422
    r = client.get(base, params={"platform": "myspace", "as_of": as_of})
    assert r.status_code == 422
    r = client.get(base, params={"as_of": "2026-11-08T12:00:00"})
    assert r.status_code == 422 and "UTC offset" in r.json()["detail"]


def test_new_york_23_hour_day(client):
    uid = make_user(client, "America/New_York")  # EST -5 until 2026-03-08 02:00, then EDT -4
    record(
        client,
        uid,
        posts(
            "x",
            "2026-03-08T04:59:00Z",  # 03-07 23:59 EST
            "2026-03-08T05:00:00Z",  # 03-08 00:00 EST
            "2026-03-09T03:30:00Z",  # 03-08 23:30 EDT: already 03-09 in UTC
            "2026-03-09T04:00:00Z",  # 03-09 00:00 EDT
        ),
    )
    r = get(
        client,
        uid,
        "posting",
        platform="x",
        from_="2026-03-07",
        to="2026-03-09",
        as_of="2026-03-10T12:00:00Z",
    )
    # by UTC date this would be 03-08: 2 (1 minute apart: burst) and 03-09: 2
    assert flagged(r["platforms"][0]) == {
        "2026-03-07": (1, []),
        "2026-03-08": (2, []),
        "2026-03-09": (1, []),
    }


def test_new_york_25_hour_day(client):
    uid = make_user(client, "America/New_York")  # EDT -4 until 2026-11-01 02:00, then EST -5
    record(
        client,
        uid,
        posts(
            "x",
            "2026-11-01T03:59:59Z",  # 10-31 23:59:59 EDT
            "2026-11-01T04:00:00Z",  # 11-01 00:00 EDT
            "2026-11-01T05:30:00Z",  # 11-01 01:30 EDT
            "2026-11-01T06:30:00Z",  # 11-01 01:30 EST: same wall clock, 60 real minutes later
            "2026-11-02T04:30:00Z",  # 11-01 23:30 EST: already 11-02 in UTC
            "2026-11-02T05:00:00Z",  # 11-02 00:00 EST
        ),
    )
    r = get(
        client,
        uid,
        "posting",
        platform="x",
        from_="2026-10-31",
        to="2026-11-02",
        as_of="2026-11-03T12:00:00Z",
    )
    # x defaults: max 5, min gap 60 -> 60 real minutes between the two 01:30s is no burst
    assert flagged(r["platforms"][0]) == {
        "2026-10-31": (1, []),
        "2026-11-01": (4, []),
        "2026-11-02": (1, []),
    }


def test_kiritimati_utc_plus_14(client):
    uid = make_user(client, "Pacific/Kiritimati")
    record(
        client,
        uid,
        posts(
            "x",
            "2026-11-04T09:30:00Z",  # 11-04 23:30 local
            "2026-11-04T10:30:00Z",  # 11-05 00:30 local
            "2026-11-05T09:59:00Z",  # 11-05 23:59 local
            "2026-11-05T10:00:00Z",  # 11-06 00:00 local
        ),
    )
    # as_of 11-05T12:00Z is 11-06 02:00 local: today is 11-06 (in UTC it is still 11-05)
    r = get(client, uid, "posting", platform="x", as_of="2026-11-05T12:00:00Z")
    assert (r["from"], r["to"]) == ("2026-10-31", "2026-11-06")
    x = r["platforms"][0]
    assert [(d["date"], d["posts"]) for d in x["days"]][-3:] == [
        ("2026-11-04", 1),
        ("2026-11-05", 2),
        ("2026-11-06", 1),
    ]
    assert x["posts_today"] == 1
    assert x["remaining_today"] == 4  # x max 5 - 1
    assert x["current_streak"] == 3  # 11-04, 11-05, 11-06
    assert x["missed_days"] == 4  # 10-31 .. 11-03


def test_pago_pago_utc_minus_11(client):
    uid = make_user(client, "Pacific/Pago_Pago")
    record(
        client,
        uid,
        posts(
            "x",
            "2026-11-04T10:00:00Z",  # 11-03 23:00 local
            "2026-11-05T10:59:00Z",  # 11-04 23:59 local
            "2026-11-05T11:00:00Z",  # 11-05 00:00 local
        ),
    )
    # as_of 11-06T05:00Z is 11-05 18:00 local: today is 11-05 (in UTC already 11-06)
    r = get(client, uid, "posting", platform="x", as_of="2026-11-06T05:00:00Z")
    assert (r["from"], r["to"]) == ("2026-10-30", "2026-11-05")
    x = r["platforms"][0]
    assert [(d["date"], d["posts"]) for d in x["days"]][-3:] == [
        ("2026-11-03", 1),
        ("2026-11-04", 1),
        ("2026-11-05", 1),
    ]
    assert x["posts_today"] == 1
    assert x["current_streak"] == 3
    assert x["longest_streak"] == 3
    assert x["missed_days"] == 4  # 10-30 .. 11-02


def test_a_post_at_the_midnight_after_the_range_is_today_not_in_the_range(client):
    uid = make_user(client)  # UTC
    record(client, uid, posts("linkedin", "2026-11-08T00:00:00Z"))  # first instant of 11-08
    as_of = "2026-11-08T12:00:00Z"

    r = get(client, uid, "posting", from_="2026-11-02", to="2026-11-07", as_of=as_of)
    assert r["platforms"] == []  # no plan and no post in 11-02 .. 11-07

    r = get(
        client,
        uid,
        "posting",
        platform="linkedin",
        from_="2026-11-02",
        to="2026-11-07",
        as_of=as_of,
    )
    li = r["platforms"][0]
    assert [d["posts"] for d in li["days"]] == [0] * 6  # 11-02 .. 11-07
    assert li["posts_today"] == 1  # today (11-08) is outside the range but still reported
    assert li["remaining_today"] == 1  # linkedin max 2 - 1
    # and the post check agrees: 1 + 1 <= 2, 1 + 2 > 2
    one = client.post(
        f"/v1/users/{uid}/checks", json={"action": "post", "platform": "linkedin", "at": as_of}
    )
    assert one.json()["allowed"] is True
    two = client.post(
        f"/v1/users/{uid}/checks",
        json={"action": "post", "platform": "linkedin", "at": as_of, "count": 2},
    )
    assert [x["code"] for x in two.json()["reasons"]] == ["over_posting"]
