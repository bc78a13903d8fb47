"""The platforms of §9 over HTTP (both databases): their rules in pacing, the follow and post
checks and plan validation, text and bio lengths, and GET /v1/platforms.

2026-11-03 is a Tuesday; users are in UTC. Expected numbers are worked out by hand in the
comments.
"""

from datetime import UTC, datetime, timedelta

from tests.insights.helpers import check, ev, follow_plan, get, make_user, posting_plan

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def record_many(client, uid: str, events: list[dict]) -> None:
    for i in range(0, len(events), 1000):
        r = client.post(f"/v1/users/{uid}/events:batch", json={"events": events[i : i + 1000]})
        assert r.status_code == 200, r.text


def codes_in_order(answer: dict) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


T0 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


# --- Mastodon: 400 follows per 24 h ---------------------------------------------------------


def test_mastodon_pacing_at_399_and_400_follows_in_24_hours(client):
    uid = make_user(client)
    follow_plan(
        client,
        uid,
        "mastodon",
        weekly_target=100,
        daily_cap=400,
        burst_limit=1000,
        starts_on="2026-01-01",
    )
    # 399 follows every 2 minutes from Tue 12:00Z: Tue 12:00 .. Wed 01:16 (360 on Tue, 39 on Wed)
    record_many(
        client,
        uid,
        [ev("mastodon", "follow", z(T0 + timedelta(minutes=2 * i))) for i in range(399)],
    )
    as_of = "2026-11-04T10:00:00Z"
    p = get(client, uid, "pacing", platform="mastodon", as_of=as_of)
    assert p["follows_today"] == 39
    # min(cap 400 − 39, burst 1000 − 0, mastodon 400 − 399 in (Tue 10:00, Wed 10:00]) = 1
    assert p["allowed_now"] == 1 and p["next_allowed_at"] is None
    assert check(client, uid, action="follow", platform="mastodon", at=as_of)["allowed"] is True

    record_many(client, uid, [ev("mastodon", "follow", "2026-11-04T09:30:00Z")])  # the 400th
    p = get(client, uid, "pacing", platform="mastodon", as_of=as_of)
    assert p["allowed_now"] == 0
    assert p["next_allowed_at"] == "2026-11-04T12:00:00Z"  # the oldest, Tue 12:00, + 24 h
    c = check(client, uid, action="follow", platform="mastodon", at=as_of)
    assert c["allowed"] is False and codes_in_order(c) == ["platform_limit"]
    assert c["reasons"][0]["detail"] == (
        "mastodon allows 400 follows per 24 hours; 400 in the "
        "last 24 hours; 0 more allowed now, asked for 1"
    )
    assert c["next_allowed_at"] == "2026-11-04T12:00:00Z"
    # at 12:00 the Tue 12:00 follow has left: 399 in the window
    p = get(client, uid, "pacing", platform="mastodon", as_of="2026-11-04T12:00:00Z")
    assert p["allowed_now"] == 1
    assert (
        get(client, uid, "pacing", platform="mastodon", as_of="2026-11-04T11:59:59Z")["allowed_now"]
        == 0
    )
    # 401 at once never fit the rule (nor the cap of 400)
    never = check(client, uid, action="follow", platform="mastodon", count=401, at=as_of)
    assert codes_in_order(never)[-1] == "exceeds_limit" and never["next_allowed_at"] is None
    assert "mastodon allows 400 follows per 24 hours" in never["reasons"][-1]["detail"]


def test_mastodon_plan_validation_uses_the_rule(client):
    uid = make_user(client)
    r = client.put(
        f"/v1/users/{uid}/follow-plans/mastodon", json={"weekly_target": 10, "daily_cap": 401}
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "plan_exceeds_limit" and body["errors"][0]["pointer"] == "#/daily_cap"
    assert "401" in body["detail"] and "400" in body["detail"] and "per 24 hours" in body["detail"]
    plan = follow_plan(client, uid, "mastodon", weekly_target=10)
    assert (plan["daily_cap"], plan["burst_limit"], plan["burst_window_minutes"]) == (50, 15, 60)


# --- Mastodon: 300 posts per 3 h ------------------------------------------------------------


def test_mastodon_300_posts_in_3_hours_block_a_post(client):
    uid = make_user(client)
    # 300 statuses every 36 s from 09:00:00 to 11:59:24: posts at 09:00 and 10:00, a share at
    # 09:30 (3 broadcasts today, under mastodon's default max of 5), replies and mentions else.
    start = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    kinds = {0: "post", 50: "share", 100: "post"}
    events = [
        ev(
            "mastodon",
            kinds.get(i, ("reply", "mention")[i % 2]),
            z(start + timedelta(seconds=36 * i)),
            counterpart=None if i in kinds else f"p{i}",
        )
        for i in range(300)
    ]
    record_many(client, uid, events[:299])
    at = "2026-11-03T11:59:30Z"
    assert check(client, uid, action="post", platform="mastodon", at=at) == {
        "allowed": True,
        "at": at,
        "reasons": [],
        "next_allowed_at": None,
    }
    record_many(client, uid, events[299:])
    c = check(client, uid, action="post", platform="mastodon", at=at)
    assert c["allowed"] is False and codes_in_order(c) == ["platform_limit"]
    assert c["reasons"][0]["detail"] == (
        "mastodon allows 300 posts per 3 hours; 300 in the last "
        "3 hours; 0 more allowed now, asked for 1"
    )
    assert c["next_allowed_at"] == "2026-11-03T12:00:00Z"  # the 09:00:00 post + 3 h
    assert (
        check(client, uid, action="post", platform="mastodon", at="2026-11-03T12:00:00Z")["allowed"]
        is True
    )


# --- Bluesky: one budget of record creates ---------------------------------------------------


def bluesky_events(n: int, start: datetime) -> list[dict]:
    """n creates 2 s apart from start: 10 follows, then posts, likes, replies and likes."""
    kinds = ["follow"] * 10 + ["post", "like", "reply", "like"] * 500
    return [
        ev(
            "bluesky",
            kinds[i],
            z(start + timedelta(seconds=2 * i)),
            counterpart=f"p{i}" if kinds[i] == "reply" else None,
        )
        for i in range(n)
    ]


def test_bluesky_hourly_budget_used_by_posts_likes_and_follows(client):
    uid = make_user(client)
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    events = bluesky_events(1666, start)  # 10:00:00 .. 10:55:30
    record_many(client, uid, events[:1665])
    at = "2026-11-03T10:59:00Z"
    # 1,665 creates in the hour: one more follow fits (10 follows: preset cap 50, burst 15)
    assert check(client, uid, action="follow", platform="bluesky", at=at)["allowed"] is True
    follow_plan(client, uid, "bluesky", weekly_target=70, starts_on="2026-01-01")
    assert get(client, uid, "pacing", platform="bluesky", as_of=at)["allowed_now"] == 1

    record_many(client, uid, events[1665:])  # a like: the 1,666th create
    c = check(client, uid, action="follow", platform="bluesky", at=at)
    assert c["allowed"] is False and codes_in_order(c) == ["platform_limit"]
    assert c["reasons"][0]["detail"] == (
        "bluesky allows 1,666 record creates per hour; 1,666 in "
        "the last hour; 0 more allowed now, asked for 1"
    )
    assert c["next_allowed_at"] == "2026-11-03T11:00:00Z"  # the 10:00:00 follow + 1 h
    p = get(client, uid, "pacing", platform="bluesky", as_of=at)
    assert p["follows_today"] == 10
    assert (p["allowed_now"], p["next_allowed_at"]) == (0, "2026-11-03T11:00:00Z")
    # the same budget refuses a post
    post = check(client, uid, action="post", platform="bluesky", at=at)
    assert "platform_limit" in codes_in_order(post)
    assert post["reasons"][codes_in_order(post).index("platform_limit")]["detail"].startswith(
        "bluesky allows 1,666 record creates per hour; 1,666 in the last hour"
    )
    # an hour after the first create, one fits again
    assert (
        check(client, uid, action="follow", platform="bluesky", at="2026-11-03T11:00:00Z")[
            "allowed"
        ]
        is True
    )
    # inbound events and direct messages are not the user's creates
    record_many(
        client,
        uid,
        [
            ev("bluesky", "like", "2026-11-03T11:00:00Z", direction="inbound"),
            ev("bluesky", "direct_message", "2026-11-03T11:00:00Z", counterpart="x"),
        ],
    )
    assert (
        check(client, uid, action="follow", platform="bluesky", at="2026-11-03T11:00:00Z")[
            "allowed"
        ]
        is True
    )


# --- Threads: 250 posts and 1,000 replies per 24 h ------------------------------------------


def test_threads_250_posts_in_24_hours_block_a_post_and_replies_do_not(client):
    uid = make_user(client)
    # 1,000 replies and comments, a minute apart from Mon 20:00Z: they count against the
    # replies rule only, never against posts
    monday = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
    record_many(
        client,
        uid,
        [
            ev(
                "threads",
                ("reply", "comment")[i % 2],
                z(monday + timedelta(minutes=i)),
                counterpart=f"p{i}",
            )
            for i in range(1000)
        ],
    )
    at = "2026-11-03T20:00:00Z"
    assert check(client, uid, action="post", platform="threads", at=at)["allowed"] is True
    # 250 mentions (posts that mention someone: the posts rule counts them, the posting plan's
    # broadcasts do not) every 3 minutes from Mon 21:00Z
    start = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    record_many(
        client,
        uid,
        [
            ev("threads", "mention", z(start + timedelta(minutes=3 * i)), counterpart=f"m{i}")
            for i in range(250)
        ],
    )  # Mon 21:00 .. Tue 09:27
    c = check(client, uid, action="post", platform="threads", at=at)
    assert c["allowed"] is False and codes_in_order(c) == ["platform_limit"]
    assert c["reasons"][0]["detail"] == (
        "threads allows 250 posts per 24 hours; 250 in the last "
        "24 hours; 0 more allowed now, asked for 1"
    )
    assert c["next_allowed_at"] == "2026-11-03T21:00:00Z"  # Mon 21:00 + 24 h
    posting_plan(client, uid, "threads", max_posts_per_day=3)
    # 251 posts at once: never
    never = check(client, uid, action="post", platform="threads", count=251, at=at)
    assert never["next_allowed_at"] is None and codes_in_order(never)[-1] == "exceeds_limit"
    assert "threads allows 250 posts per 24 hours" in never["reasons"][-1]["detail"]


# --- text_too_long --------------------------------------------------------------------------


def test_text_too_long_in_each_platforms_unit(client):
    uid = make_user(client)
    at = "2026-11-03T12:00:00Z"

    def post(platform, text):
        return check(client, uid, action="post", platform=platform, at=at, text=text)

    assert post("x", "日" * 140)["allowed"] is True  # 280 weighted
    c = post("x", "日" * 140 + "a")
    assert (c["allowed"], codes_in_order(c), c["next_allowed_at"]) == (
        False,
        ["text_too_long"],
        None,
    )
    assert c["reasons"][0]["detail"].startswith("281 of 280 weighted characters")
    assert (
        post("x", "a" * 256 + " https://example.com/" + "p" * 200)["allowed"] is True
    )  # 256 + 1 + 23
    assert post("bluesky", FAMILY * 300)["allowed"] is True
    c = post("bluesky", "a" * 312)
    assert (
        c["reasons"][0]["detail"].startswith("312 of 300 graphemes")
        and c["next_allowed_at"] is None
    )
    assert post("tiktok", "\U0001f431" * 1100)["allowed"] is True  # 2,200 UTF-16 code units
    assert codes_in_order(post("tiktok", "\U0001f431" * 1100 + "a")) == ["text_too_long"]
    nfd = "e\u0301" * 500  # 500 characters after NFC
    assert post("mastodon", nfd)["allowed"] is True
    assert codes_in_order(post("mastodon", nfd + "e")) == ["text_too_long"]
    # text is checked with the other reasons, and waiting does not fix it
    record_many(client, uid, [ev("x", "post", "2026-11-03T11:30:00Z")])
    c = post("x", "日" * 141)
    assert codes_in_order(c) == ["too_soon", "text_too_long"] and c["next_allowed_at"] is None
    r = client.post(
        f"/v1/users/{uid}/checks",
        json={"action": "post", "platform": "x", "at": at, "text": "a" * 100_001},
    )
    assert r.status_code == 422


# --- the v1 platforms keep their answers with the new fields -------------------------------


def test_old_platforms_have_no_new_reasons(client):
    uid = make_user(client)
    at = "2026-11-03T12:00:00Z"
    for platform in ("x", "facebook", "linkedin", "instagram"):
        assert check(client, uid, action="follow", platform=platform, at=at)["allowed"] is True
        assert (
            check(client, uid, action="post", platform=platform, at=at, text="hello")["allowed"]
            is True
        )


# --- events, plans, profiles and the listing accept the new platforms ---------------------


def test_new_platforms_everywhere(client):
    uid = make_user(client)
    for platform in ("bluesky", "threads", "mastodon", "tiktok"):
        r = client.post(
            f"/v1/users/{uid}/events", json=ev(platform, "post", "2026-11-03T08:00:00Z")
        )
        assert r.status_code == 201, r.text
        assert client.put(f"/v1/users/{uid}/posting-plans/{platform}", json={}).status_code == 201
        assert (
            client.put(
                f"/v1/users/{uid}/follow-plans/{platform}", json={"weekly_target": 7}
            ).status_code
            == 201
        )
    listed = client.get(f"/v1/users/{uid}/posting-plans").json()["items"]
    assert [p["platform"] for p in listed] == ["bluesky", "threads", "mastodon", "tiktok"]
    assert [p["max_posts_per_day"] for p in listed] == [5, 3, 5, 3]
    posting = get(client, uid, "posting", as_of="2026-11-03T12:00:00Z")
    assert [s["platform"] for s in posting["platforms"]] == [
        "bluesky",
        "threads",
        "mastodon",
        "tiktok",
    ]
    assert get(client, uid, "events", platform="tiktok")["items"][0]["platform"] == "tiktok"
    # profiles: bluesky bio in graphemes (256), tiktok 80 characters
    r = client.put(
        f"/v1/users/{uid}/profiles/bluesky",
        json={
            "handle": "ada",
            "bio": FAMILY * 256,
            "photo_url": "https://e.com/a.jpg",
            "photo_smiling": True,
        },
    )
    assert r.status_code in (200, 201), r.text
    r = client.put(
        f"/v1/users/{uid}/profiles/tiktok",
        json={
            "handle": "ada",
            "bio": "b" * 81,
            "photo_url": "https://e.com/a.jpg",
            "photo_smiling": True,
        },
    )
    assert r.status_code in (200, 201), r.text
    body = client.get(f"/v1/users/{uid}/profile-check").json()
    by = {s["platform"]: s for s in body["platforms"]}
    assert [s["platform"] for s in body["platforms"]] == [
        "bluesky",
        "threads",
        "mastodon",
        "tiktok",
    ]
    assert (
        by["bluesky"]["bio_length"],
        by["bluesky"]["bio_max_length"],
        by["bluesky"]["findings"],
    ) == (256, 256, [])
    assert [f["code"] for f in by["tiktok"]["findings"]] == ["bio_too_long"]
    assert [f["code"] for f in by["threads"]["findings"]] == ["missing_profile"]


def test_platforms_listing_serves_rules_units_and_sources(client):
    items = client.get("/v1/platforms").json()["items"]
    by = {p["platform"]: p for p in items}
    assert [p["platform"] for p in items] == [
        "x",
        "facebook",
        "linkedin",
        "instagram",
        "bluesky",
        "threads",
        "mastodon",
        "tiktok",
    ]
    assert by["x"]["rules"] == [
        {
            "name": "follows_per_local_day",
            "kinds": ["follow"],
            "limit": 400,
            "window": "P1D",
            "calendar": "local_day",
            "description": "at most 400 follows per local day",
        }
    ]
    assert [(r["name"], r["limit"], r["window"]) for r in by["linkedin"]["rules"]] == [
        ("follows_per_7_days", 100, "P7D")
    ]
    assert [(r["limit"], r["window"], r["calendar"]) for r in by["bluesky"]["rules"]] == [
        (1666, "PT1H", None),
        (11666, "P1D", None),
    ]
    assert by["bluesky"]["rules"][0]["kinds"] == [
        "follow",
        "post",
        "share",
        "reply",
        "mention",
        "comment",
        "like",
    ]
    assert [(r["name"], r["limit"], r["window"]) for r in by["threads"]["rules"]] == [
        ("posts_per_24_hours", 250, "P1D"),
        ("replies_per_24_hours", 1000, "P1D"),
    ]
    assert [(r["name"], r["limit"], r["window"]) for r in by["mastodon"]["rules"]] == [
        ("follows_per_24_hours", 400, "P1D"),
        ("posts_per_3_hours", 300, "PT3H"),
    ]
    assert by["tiktok"]["rules"] == [] and by["facebook"]["rules"] == []
    table = {
        p: (
            by[p]["daily_cap"],
            by[p]["burst_limit"],
            by[p]["max_posts_per_day"],
            by[p]["bio_limit"],
            by[p]["bio_unit"],
            by[p]["post_text_limit"],
            by[p]["post_text_unit"],
        )
        for p in by
    }
    assert table == {
        "x": (100, 25, 5, 160, "chars", 280, "weighted"),
        "facebook": (30, 10, 2, 101, "chars", 63206, "chars"),
        "linkedin": (20, 10, 2, 220, "chars", 3000, "chars"),
        "instagram": (50, 15, 2, 150, "chars", 2200, "chars"),
        "bluesky": (50, 15, 5, 256, "graphemes", 300, "graphemes"),
        "threads": (30, 10, 3, 150, "chars", 500, "chars"),
        "mastodon": (50, 15, 5, 500, "chars", 500, "chars"),
        "tiktok": (30, 10, 3, 80, "chars", 2200, "utf16_code_units"),
    }
    for p in ("bluesky", "threads", "mastodon", "tiktok"):
        assert by[p]["sources"] and all(s["checked"] == "2026-12-01" for s in by[p]["sources"])
        assert (
            by[p]["min_posts_per_day"],
            by[p]["min_gap_minutes"],
            by[p]["burst_window_minutes"],
        ) == (1, 60, 60)


def test_csv_sales_ratio_engagement_and_relationships_take_the_new_platforms(client):
    uid = make_user(client)
    body = (
        "platform,kind,direction,occurred_at,counterpart,is_sales\n"
        "threads,reply,outbound,2026-11-03T08:00:00Z,grace,false\n"
        "tiktok,comment,outbound,2026-11-03T08:10:00Z,grace,true\n"
        "mastodon,mention,inbound,2026-11-03T08:20:00Z,grace,false\n"
        "bluesky,post,outbound,2026-11-03T08:30:00Z,,false\n"
    )
    r = client.post(
        f"/v1/users/{uid}/events:import",
        content=body.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code in (200, 201), r.text
    exported = client.get(f"/v1/users/{uid}/events", headers={"Accept": "text/csv"}).text
    assert all(p in exported for p in ("threads", "tiktok", "mastodon", "bluesky"))
    ratio = get(client, uid, "sales-ratio", as_of="2026-11-03T12:00:00Z")
    assert (ratio["non_sales"], ratio["sales"]) == (
        2,
        1,
    )  # threads reply, bluesky post; tiktok comment
    assert [p["platform"] for p in ratio["by_platform"]] == ["bluesky", "threads", "tiktok"]
    assert (
        get(client, uid, "sales-ratio", as_of="2026-11-03T12:00:00Z", platform="tiktok")["sales"]
        == 1
    )
    e = get(client, uid, "engagement", as_of="2026-11-03T12:00:00Z")
    assert (e["broadcasts"], e["interactions"], e["inbound"], e["people_engaged"]) == (1, 2, 1, 1)
    [grace] = get(client, uid, "relationships", as_of="2026-11-03T12:00:00Z")["items"]
    assert (grace["counterpart"], grace["outbound"], grace["inbound"], grace["stage"]) == (
        "grace",
        2,
        1,
        "like",
    )
    check_sales = check(
        client, uid, action="sales_contact", platform="tiktok", at="2026-11-03T12:00:00Z"
    )
    assert check_sales["allowed"] is False  # floor(2 / 10) − 1 < 1
