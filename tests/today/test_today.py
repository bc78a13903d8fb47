"""GET /v1/users/{id}/today (SPEC §11) over HTTP, on SQLite and PostgreSQL.

Expected numbers are written out by hand.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.insights.helpers import check, ev, follow_plan, get, make_user, posting_plan, record

NY = ZoneInfo("America/New_York")
# Monday 2026-11-23, 13:00 in New York.
MONDAY_13 = "2026-11-23T18:00:00Z"


def parse(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def local(s: str) -> str:
    return parse(s).astimezone(NY).strftime("%H:%M")


def today(client, uid, as_of, **headers):
    r = client.get(f"/v1/users/{uid}/today", params={"as_of": as_of}, headers=headers)
    assert r.status_code == 200, r.text
    return r


def test_new_york_at_13_00_with_6_follows_left_on_x(client):
    """42 a week on every day: 6 on Monday. Work 09:00–18:00: 6 slots in 13:00–18:00,
    50 minutes apart, each within ±12.5 minutes of 13:25, 14:15, …, 17:35."""
    uid = make_user(client, "America/New_York")
    follow_plan(client, uid, "x", weekly_target=42)
    doc = today(client, uid, MONDAY_13).json()
    assert doc["date"] == "2026-11-23" and doc["timezone"] == "America/New_York"
    assert doc["working_hours"] == {"start": "09:00", "end": "18:00"}
    assert doc["start_of_work"] == "2026-11-23T14:00:00Z"
    assert doc["end_of_work"] == "2026-11-23T23:00:00Z"
    [x] = doc["follows"]
    assert x["platform"] == "x"
    assert (x["recommended_today"], x["follows_today"], x["remaining_today"]) == (6, 0, 6)
    assert x["allowed_now"] == 25 and x["unscheduled"] == 0
    centres = [
        datetime(2026, 11, 23, 18, 25, tzinfo=UTC) + timedelta(minutes=50 * i) for i in range(6)
    ]
    for slot, centre in zip(x["slots"], centres, strict=True):
        assert abs(parse(slot) - centre) <= timedelta(minutes=12, seconds=31)
    follow_action = next(a for a in doc["actions"] if a["code"] == "follow")
    first, last = local(x["slots"][0]), local(x["slots"][-1])
    assert follow_action == {
        "code": "follow",
        "text": f"follow 6 people on x between {first} and {last}, one at each slot",
        "platform": "x",
        "contact_id": None,
        "at": x["slots"][0],
    }
    # It agrees with /pacing at the same as_of.
    pacing = get(client, uid, "pacing", platform="x", as_of=MONDAY_13)
    for field in ("recommended_today", "follows_today", "remaining_today", "allowed_now"):
        assert x[field] == pacing[field]
    # The same request twice: the same document.
    assert today(client, uid, MONDAY_13).json() == doc


def test_following_at_every_slot_passes_the_guard_and_leaves_pacing_on_track(client):
    """LinkedIn, 100 per rolling 7 days with 96 already in the last days: 4 more fit today,
    whatever the plan asks; each slot passes POST /checks after the earlier ones are done."""
    uid = make_user(client, "America/New_York")
    follow_plan(client, uid, "linkedin", weekly_target=100, daily_cap=20, burst_limit=10)
    history = [
        ev("linkedin", "follow", f"2026-11-{d}T15:{m:02d}:00Z")
        for d in (19, 20, 21, 22)
        for m in range(24)
    ]
    record(client, uid, history)
    doc = today(client, uid, MONDAY_13).json()
    [li] = doc["follows"]
    assert li["allowed_now"] == 4
    assert len(li["slots"]) == 4 and li["unscheduled"] == li["remaining_today"] - 4
    for slot in li["slots"]:
        assert check(client, uid, action="follow", platform="linkedin", at=slot)["allowed"]
        record(client, uid, [ev("linkedin", "follow", slot)])
    after = get(client, uid, "pacing", platform="linkedin", as_of="2026-11-23T23:00:00Z")
    assert after["status"] != "over_limit" and after["peak_burst_today"] <= 10
    unscheduled = next(a for a in doc["actions"] if a["code"] == "follow_unscheduled")
    assert unscheduled["text"].startswith(f"{li['unscheduled']} follows of today's ")


def test_nothing_is_scheduled_on_an_inactive_weekday(client):
    uid = make_user(client, "America/New_York")
    follow_plan(client, uid, "x", weekly_target=10, active_weekdays=["tue", "wed"])
    [x] = today(client, uid, MONDAY_13).json()["follows"]
    assert (x["recommended_today"], x["remaining_today"], x["slots"]) == (0, 0, [])


def test_working_hours_setting_and_the_2026_03_08_jump(client):
    """Sunday 2026-03-08, work 00:00–06:00 local: 05:00Z–10:00Z (5 real hours; 02:00–03:00
    does not exist). 5 follows on Sundays: one an hour, none in the gap."""
    uid = make_user(client, "America/New_York")
    r = client.patch(
        f"/v1/users/{uid}", json={"settings": {"working_hours": {"start": "00:00", "end": "06:00"}}}
    )
    assert r.status_code == 200, r.text
    follow_plan(client, uid, "x", weekly_target=5, active_weekdays=["sun"])
    doc = today(client, uid, "2026-03-08T05:00:00Z").json()
    assert (doc["start_of_work"], doc["end_of_work"]) == (
        "2026-03-08T05:00:00Z",
        "2026-03-08T10:00:00Z",
    )
    [x] = doc["follows"]
    assert len(x["slots"]) == 5
    for i, slot in enumerate(x["slots"]):
        centre = datetime(2026, 3, 8, 5, 30, tzinfo=UTC) + timedelta(hours=i)
        assert abs(parse(slot) - centre) <= timedelta(minutes=15)
        assert not local(slot).startswith("02:")


def _inbound_history():
    """25 inbound replies on x in the 8 weeks before Monday 2026-11-23 13:00 New York, at
    minute 10 of these local hours (this week and the week before, all after the DST change
    of 2026-11-01): 10 on Mondays 12h, 8 on Wednesdays 10h, 5 on Fridays 16h, 2 on Tuesdays
    08h."""
    events = []
    for day, hour, n in ((16, 12, 10), (18, 10, 8), (20, 16, 5), (17, 8, 2)):
        base = datetime(2026, 11, day, hour, 10, tzinfo=NY)
        for k in range(n):
            at = (base - timedelta(weeks=k % 2)).astimezone(UTC)
            events.append(
                ev("x", "reply", at.isoformat(), direction="inbound", counterpart=f"fan{k}")
            )
    return events


def test_best_hours_and_post_slots_from_a_known_history(client):
    """Best hours: Mon 12h (10), Wed 10h (8), Fri 16h (5). Posting on x, at least 2 a day:
    Monday's best hour (12h) has passed at 13:00; then 10h (passed) and 16h: 16:00, then the
    first other hour that fits, 13:00 (an hour before 16:00 is fine: 60 minutes apart)."""
    uid = make_user(client, "America/New_York")
    posting_plan(client, uid, "x", min_posts_per_day=2)
    record(client, uid, _inbound_history())
    doc = today(client, uid, MONDAY_13).json()
    assert doc["best_hours"] == {
        "x": [
            {"weekday": "mon", "hour": 12, "inbound": 10},
            {"weekday": "wed", "hour": 10, "inbound": 8},
            {"weekday": "fri", "hour": 16, "inbound": 5},
        ]
    }
    [x] = doc["posts"]
    assert (x["posts_today"], x["remaining_today"]) == (0, 5)
    assert [local(s) for s in x["slots"]] == ["13:00", "16:00"]
    posts = [a for a in doc["actions"] if a["code"] == "post"]
    assert [a["text"] for a in posts] == [
        "post on x at 13:00 (1 of 2 today)",
        "post on x at 16:00 (2 of 2 today)",
    ]
    # It agrees with /posting at the same as_of.
    [section] = get(client, uid, "posting", platform="x", as_of=MONDAY_13)["platforms"]
    assert (section["posts_today"], section["remaining_today"]) == (0, 5)


def test_default_post_hours_with_fewer_than_20_inbound(client):
    """19 inbound: no best hours, so 09:00, 12:00 and 17:00. At 08:00, at least 3 posts a
    day and one at 07:40 already: 2 slots, 09:00 (an hour after 07:40 is 08:40) and 12:00."""
    uid = make_user(client, "America/New_York")
    posting_plan(client, uid, "x", min_posts_per_day=3, max_posts_per_day=5)
    record(client, uid, [*_inbound_history()[:19], ev("x", "post", "2026-11-23T12:40:00Z")])
    doc = today(client, uid, "2026-11-23T13:00:00Z").json()  # 08:00 in New York
    assert doc["best_hours"] == {"x": None}
    [x] = doc["posts"]
    assert x["posts_today"] == 1
    assert [local(s) for s in x["slots"]] == ["09:00", "12:00"]  # 3 − 1 = 2 slots


def test_contacts_profile_and_the_order_of_actions(client):
    """helpful_before_next_pitch is /sales-ratio's non_sales_needed over 30 days; the x
    profile is missing (a plan but no profile); untimed actions are due now, before later
    slots."""
    uid = make_user(client, "America/New_York")
    follow_plan(client, uid, "x", weekly_target=42)
    record(
        client,
        uid,
        [
            ev("x", "reply", "2026-11-20T15:00:00Z", counterpart="ann"),
            ev("x", "direct_message", "2026-11-21T15:00:00Z", counterpart="bob", is_sales=True),
        ],
    )
    doc = today(client, uid, MONDAY_13).json()
    ratio = get(client, uid, "sales-ratio", window_days=30, as_of=MONDAY_13)
    assert doc["contacts"]["helpful_before_next_pitch"] == ratio["non_sales_needed"] == 19
    assert doc["profile"] == get(client, uid, "profile-check")
    assert [f["code"] for p in doc["profile"]["platforms"] for f in p["findings"]] == [
        "missing_profile"
    ]
    codes = [a["code"] for a in doc["actions"]]
    assert codes == ["helpful_contacts", "missing_profile", "follow"]
    assert doc["actions"][0]["text"] == (
        "help before you sell: make 19 helpful (non-sales) contacts before your next sales message"
    )
    assert doc["actions"][0]["at"] is None


def test_the_plan_as_a_page(client):
    uid = make_user(client, "America/New_York", name="Ada <Lovelace>")
    follow_plan(client, uid, "x", weekly_target=42)
    posting_plan(client, uid, "x", min_posts_per_day=1)
    r = today(client, uid, MONDAY_13, accept="text/html")
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    doc = today(client, uid, MONDAY_13).json()
    assert "Today for Ada &lt;Lovelace&gt;" in page and "<Lovelace>" not in page
    assert 'name="viewport"' in page and "<script" not in page
    assert "Monday 23 November 2026" in page and "working hours 09:00–18:00" in page
    assert page.count("<circle") == len(doc["follows"][0]["slots"]) == 6
    for slot in doc["follows"][0]["slots"] + doc["posts"][0]["slots"]:
        assert local(slot) in page
    assert 'role="img" aria-label="Today&#x27;s working day, 09:00 to 18:00: follow X at ' in page
    for action in doc["actions"]:  # for a person: "X", not "x"; a capital first letter
        text = re.sub(r"\bx\b", "X", action["text"])
        assert (text[:1].upper() + text[1:]).replace("'", "&#x27;") in page
    assert "People to answer" in page and "Nobody is waiting for an answer." in page


def test_unknown_user_and_bad_as_of(client):
    r = client.get("/v1/users/00000000-0000-4000-8000-000000000000/today")
    assert r.status_code == 404
    uid = make_user(client)
    r = client.get(f"/v1/users/{uid}/today", params={"as_of": "2026-11-23T18:00:00"})
    assert r.status_code == 422 and "offset" in r.json()["detail"]
