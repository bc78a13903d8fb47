"""current_streak counts back from today whatever the range (SPEC §6.2; issue 10, 10a).

Only longest_streak is bounded by the range. Before the fix, ten daily posts up to today
gave 7 with the default range, 2 with from = yesterday and 0 with to = two days ago.
The walk back reads the per-UTC-day counters and, for the local days they cannot tell
apart, one EXISTS probe per day, in chunks that double: a 400-day streak costs a handful
of statements, not 400.
"""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from app.calc.posting import PostingRules, compute_posting_section
from tests.insights.helpers import ev, get, make_user, record

AS_OF = "2026-11-27T12:00:00Z"
TODAY = date(2026, 11, 27)


def _at(day: date, hour: int, minute: int, tz: str) -> str:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _posts(
    days: list[date], tz: str, hour: int = 9, minute: int = 0, platform: str = "x"
) -> list[dict]:
    return [ev(platform, "post", _at(d, hour, minute, tz)) for d in days]


def _streak(client, uid, platform="x", **params) -> tuple[int, int]:
    section = get(client, uid, "posting", platform=platform, as_of=AS_OF, **params)["platforms"][0]
    return section["current_streak"], section["longest_streak"]


def test_ten_daily_posts_up_to_today_are_a_streak_of_ten_with_any_range(client):
    uid = make_user(client)
    record(client, uid, _posts([TODAY - timedelta(days=i) for i in range(10)], "UTC"))
    assert _streak(client, uid) == (10, 7)  # default: 7 days
    assert _streak(client, uid, from_="2026-11-26") == (10, 2)  # from yesterday
    assert _streak(client, uid, to="2026-11-25") == (10, 7)  # to two days ago
    assert _streak(client, uid, from_="2026-10-01", to="2026-10-07") == (10, 0)  # another month


@pytest.mark.parametrize(
    "tz", ["America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]
)
def test_streak_ends_yesterday_and_crosses_a_dst_change(client, tz):
    # Late-evening posts share their UTC day with the next local day: only the events can
    # tell the days apart. 2026-11-01 is a 25-hour day in New York. Nothing today yet.
    uid = make_user(client, tz)
    today = datetime.fromisoformat(AS_OF).astimezone(ZoneInfo(tz)).date()  # 11-28 in Kiritimati
    days = [today - timedelta(days=i) for i in range(1, 31)]
    record(client, uid, _posts(days, tz, 23, 30) + _posts([today - timedelta(days=33)], tz, 0, 10))
    assert _streak(client, uid, to="2026-11-10")[0] == 30
    assert _streak(client, uid)[0] == 30
    # Today's first post (at 00:10 local, before as_of everywhere) makes it 31.
    record(client, uid, _posts([today], tz, 0, 10))
    assert _streak(client, uid, from_="2026-10-01", to="2026-10-07")[0] == 31


def _pure_streak(tz: str, instants: list[str]) -> int:
    rules = PostingRules(1, 5, 60)
    posts = [datetime.fromisoformat(t) for t in instants]
    as_of = datetime.fromisoformat(AS_OF)
    return compute_posting_section(rules, ZoneInfo(tz), as_of, TODAY, TODAY, posts).current_streak


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_gaps_anywhere_agree_with_counting_the_posts(client, tz):
    uid = make_user(client, tz)
    rows = []
    for i in range(1, 60):
        if i in (17, 41):
            continue  # two missed days
        rows += _posts([TODAY - timedelta(days=i)], tz, (i * 7) % 24, (i * 13) % 60)
    record(client, uid, rows)
    expected = _pure_streak(tz, [r["occurred_at"] for r in rows])
    assert expected == 16  # yesterday back to the day after the first gap
    assert _streak(client, uid)[0] == expected
    assert _streak(client, uid, from_="2026-09-01", to="2026-09-30")[0] == expected
    # Posts of another platform, inbound posts and likes do not extend x's streak.
    record(
        client,
        uid,
        [
            ev("linkedin", "post", _at(TODAY - timedelta(days=17), 12, 0, tz)),
            ev("x", "post", _at(TODAY - timedelta(days=17), 12, 0, tz), direction="inbound"),
            ev("x", "like", _at(TODAY - timedelta(days=17), 12, 0, tz)),
        ],
    )
    assert _streak(client, uid)[0] == expected
    # A share on the missing day joins the runs.
    record(client, uid, [ev("x", "share", _at(TODAY - timedelta(days=17), 12, 0, tz))])
    assert _streak(client, uid)[0] == _pure_streak(
        tz, [r["occurred_at"] for r in rows] + [_at(TODAY - timedelta(days=17), 12, 0, tz)]
    )


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_a_400_day_streak_costs_a_few_statements(client, connection, tz):
    uid = make_user(client, tz)
    record(client, uid, _posts([TODAY - timedelta(days=i) for i in range(1, 401)], tz, 21, 0))
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        assert _streak(client, uid) == (400, 6)  # nothing today yet: 400 days up to yesterday
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    # Auth, plans, the range's posts, and per chunk (8, 16, … 256 days) one counter read and
    # at most one probe statement: far fewer than one statement per day.
    print(f"{tz}: {len(statements)} statements")
    assert len(statements) <= 25, len(statements)


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Kathmandu", "Pacific/Chatham"])
def test_streak_follows_back_dated_writes_and_deletes_request_after_request(client, tz):
    """The run before today is kept between requests with the fingerprint of the UTC days
    it read; every write or delete on those days, also one at a local day's first or last
    minute (the shared UTC days), must show in the next answer."""
    rng = random.Random(tz)
    uid = make_user(client, tz)
    today = datetime.fromisoformat(AS_OF).astimezone(ZoneInfo(tz)).date()
    rows = []
    for i in range(1, 90):
        if i % 29 == 0:
            continue  # missed days: 29, 58, 87
        hour, minute = rng.choice([(0, 0), (0, 1), (23, 59), (12, 0), (rng.randrange(24), 30)])
        rows += _posts([today - timedelta(days=i)], tz, hour, minute)
    record(client, uid, rows)
    kept = [r["occurred_at"] for r in rows]
    assert _streak(client, uid)[0] == _pure_streak(tz, kept) == 28
    assert _streak(client, uid)[0] == 28  # warm
    # A post on a missed day at its first minute joins two runs.
    record(client, uid, _posts([today - timedelta(days=29)], tz, 0, 0))
    kept.append(_at(today - timedelta(days=29), 0, 0, tz))
    assert _streak(client, uid)[0] == _pure_streak(tz, kept) == 57
    # Deleting days' only posts, picked at random, one request after another.
    listed = client.get(f"/v1/users/{uid}/events", params={"limit": 500}).json()["items"]
    for item in rng.sample(listed, 6):
        assert client.delete(f"/v1/users/{uid}/events/{item['id']}").status_code == 204
        kept.remove(item["occurred_at"].replace("+00:00", "Z"))
        assert _streak(client, uid)[0] == _pure_streak(tz, kept), item["occurred_at"]


def test_a_warm_streak_reads_no_day_of_the_run(client, connection):
    uid = make_user(client, "America/New_York")
    record(
        client,
        uid,
        _posts([TODAY - timedelta(days=i) for i in range(1, 401)], "America/New_York", 23, 59),
    )
    assert _streak(client, uid) == (400, 6)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        assert _streak(client, uid) == (400, 6)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert not [s for s in statements if "EXISTS" in s.upper()], statements
    day_reads = [s for s in statements if "first_broadcast_out_at" in s]
    assert day_reads == [], day_reads  # one fingerprint sum instead of the walk
