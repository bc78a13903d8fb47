"""A hand-computed week (2026-W45, Europe/Berlin = UTC+1) for the report tests.

Local Monday 2026-11-02 00:00 is 2026-11-01T23:00Z; the week ends 2026-11-08T23:00Z.
"""

from tests.knowledge.helpers import add_events, ev, make_user, put


def follows():
    times = [
        "2026-11-01T22:30:00Z",  # W44 (Sun 23:30 local)
        "2026-11-02T08:00:00Z",
        "2026-11-02T10:00:00Z",  # Mon: 2
        "2026-11-03T08:00:00Z",
        "2026-11-03T08:10:00Z",  # Tue: 4, burst of 3
        "2026-11-03T08:20:00Z",
        "2026-11-03T12:00:00Z",
        "2026-11-05T09:00:00Z",
        "2026-11-05T09:30:00Z",  # Thu: 2, burst of 2
        "2026-11-08T22:59:00Z",  # Sun 23:59 local
        "2026-11-08T23:30:00Z",
    ]  # W46 (Mon 00:30 local)
    return [ev("x", "follow", t) for t in times]


def posts():
    times = [
        "2026-11-01T22:50:00Z",  # W44
        "2026-11-02T08:00:00Z",  # Mon: 1
        "2026-11-03T08:00:00Z",
        "2026-11-03T11:00:00Z",
        "2026-11-03T14:00:00Z",  # Tue: 3
        "2026-11-06T09:00:00Z",
        "2026-11-06T09:30:00Z",  # Fri: 2, 30 min apart
        "2026-11-08T23:10:00Z",
    ]  # W46
    events = [ev("linkedin", "post", t) for t in times]
    events.append(ev("linkedin", "share", "2026-11-05T09:00:00Z"))  # Thu: 1
    return events


def contacts():
    return [
        ev("x", "comment", "2026-11-02T11:00:00Z", "dana"),
        ev("x", "reply", "2026-11-03T11:00:00Z", "dana"),
        ev("x", "direct_message", "2026-11-04T11:00:00Z", "erin", is_sales=True),
        ev("x", "like", "2026-11-05T11:00:00Z", "erin"),
        ev("x", "mention", "2026-11-06T11:00:00Z", "fay"),
        ev("x", "wall_post", "2026-11-07T11:00:00Z", "fay"),
        ev("x", "reply", "2026-11-03T17:00:00Z", "dana", direction="inbound"),
        ev("x", "comment", "2026-11-05T17:00:00Z", "dana", direction="inbound"),
        ev("x", "like", "2026-11-07T17:00:00Z", "dana", direction="inbound"),
        ev("x", "follow", "2026-11-04T17:00:00Z", "gus", direction="inbound"),
        ev("x", "mention", "2026-11-06T17:00:00Z", "erin", direction="inbound"),
        ev("x", "comment", "2026-09-01T12:00:00Z", "hal"),  # stale
        ev("x", "comment", "2026-11-10T12:00:00Z", "ivy"),  # after the week
    ]


def seed(client, name: str = "Ada") -> str:
    uid = make_user(client, name, "Europe/Berlin")
    put(
        client,
        uid,
        "/follow-plans/x",
        {
            "weekly_target": 10,
            "active_weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "daily_cap": 3,
            "burst_limit": 2,
            "starts_on": "2026-10-01",
        },
    )
    put(client, uid, "/posting-plans/linkedin", {"min_posts_per_day": 1, "max_posts_per_day": 2})
    put(
        client,
        uid,
        "/profiles/x",
        {
            "handle": "ada",
            "bio": "a" * 161,
            "photo_url": "https://e.com/ada.jpg",
            "photo_smiling": True,
        },
    )
    add_events(client, uid, follows() + posts() + contacts())
    return uid


AS_OF = "2026-11-08T22:59:59.999999Z"


def _day(date, quota, n, peak, over=False):
    return {
        "date": date,
        "quota": quota,
        "follows": n,
        "effective_cap": 3,
        "peak_burst": peak,
        "over_limit": over,
    }


FOLLOWS = [
    {
        "platform": "x",
        "weekly_target": 10,
        "follows": 9,
        "remaining_to_target": 1,
        "over_limit_days": 1,
        "daily_cap": 3,
        "burst_limit": 2,
        "burst_window_minutes": 60,
        "status": "behind",
        "remaining_today": 0,
        "days": [
            _day("2026-11-02", 2, 2, 1),
            _day("2026-11-03", 2, 4, 3, True),
            _day("2026-11-04", 2, 0, 0),
            _day("2026-11-05", 2, 2, 2),
            _day("2026-11-06", 2, 0, 0),
            _day("2026-11-07", 0, 0, 0),
            _day("2026-11-08", 0, 1, 1),
        ],
    }
]

POSTING = [
    {
        "platform": "linkedin",
        "min_posts_per_day": 1,
        "max_posts_per_day": 2,
        "posts": 7,
        "days_posted": 4,
        "missed_days": 3,
        "over_posting_days": 1,
        "days": [
            {"date": "2026-11-02", "posts": 1, "flags": []},
            {"date": "2026-11-03", "posts": 3, "flags": ["over_posting"]},
            {"date": "2026-11-04", "posts": 0, "flags": ["no_post"]},
            {"date": "2026-11-05", "posts": 1, "flags": []},
            {"date": "2026-11-06", "posts": 2, "flags": ["burst"]},
            {"date": "2026-11-07", "posts": 0, "flags": ["no_post"]},
            {"date": "2026-11-08", "posts": 0, "flags": ["no_post"]},
        ],
    }
]

ENGAGEMENT = {
    "as_of": AS_OF,
    "window_days": 7,
    "broadcasts": 7,
    "interactions": 6,
    "inbound": 4,
    "people_engaged": 3,
    "interaction_share": 6 / 13,
    "interaction_share_target": 0.5,
    "flags": ["broadcast_heavy"],
}


def _ratio(non_sales, sales, ratio, compliant, allowed, needed):
    return {
        "non_sales": non_sales,
        "sales": sales,
        "ratio": ratio,
        "required_ratio": 10.0,
        "compliant": compliant,
        "sales_allowed_now": allowed,
        "non_sales_needed": needed,
    }


SALES_RATIO = {
    "as_of": AS_OF,
    "window_days": 7,
    "platform": None,
    **_ratio(11, 1, 11.0, True, 0, 9),
    "by_platform": [
        {"platform": "x", **_ratio(4, 1, 4.0, False, 0, 16)},
        {"platform": "linkedin", **_ratio(7, 0, None, True, 0, 3)},
    ],
    "by_counterpart": [{"counterpart": "erin", **_ratio(0, 1, 0.0, False, 0, 20)}],
}

RELATIONSHIPS = {"know": 2, "like": 3, "trust": 0, "stale": 1, "total": 5}

NEXT_ACTIONS = [
    ("follow_slower", "x", 1),
    ("post_less", "linkedin", 1),
    ("helpful_contacts", None, 9),
    ("bio_too_long", "x", 1),
    ("missing_profile", "linkedin", None),
    ("follow_shortfall", "x", 1),
    ("post_missed", "linkedin", 3),
    ("interact_more", None, 1),
    ("reconnect", None, 1),
]
