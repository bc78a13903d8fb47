"""Platform limits as data and their evaluator (SPEC §9.2): hand-computed tables per rule and
hypothesis properties over random rules and histories."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calc.follow_limits import allowed_follows_at, check_follow, next_follow_allowed_at
from app.calc.follow_rules import preset_follow_rules
from app.calc.platform_rules import (
    LOCAL_DAY,
    EventLog,
    PlatformRule,
    evaluate_rules,
    format_duration,
    parse_duration,
)
from app.calc.vocabulary import PLATFORM_PRESETS, PLATFORM_RULES, PLATFORMS

T0 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # a Tuesday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def rule(platform: str, name: str) -> PlatformRule:
    return next(r for r in PLATFORM_RULES[platform] if r.name == name)


def test_the_rules_of_the_spec_table():
    table = {
        p: [
            (r.name, r.kinds, r.limit, format_duration(r.window), r.calendar)
            for r in PLATFORM_RULES[p]
        ]
        for p in PLATFORMS
    }
    creates = ("follow", "post", "share", "reply", "mention", "comment", "like")
    assert table == {
        "x": [("follows_per_local_day", ("follow",), 400, "P1D", "local_day")],
        "facebook": [],
        "linkedin": [("follows_per_7_days", ("follow",), 100, "P7D", None)],
        "instagram": [],
        "bluesky": [
            ("record_creates_per_hour", creates, 1666, "PT1H", None),
            ("record_creates_per_24_hours", creates, 11666, "P1D", None),
        ],
        "threads": [
            ("posts_per_24_hours", ("post", "share", "mention"), 250, "P1D", None),
            ("replies_per_24_hours", ("reply", "comment"), 1000, "P1D", None),
        ],
        "mastodon": [
            ("follows_per_24_hours", ("follow",), 400, "P1D", None),
            ("posts_per_3_hours", ("post", "share", "reply", "mention"), 300, "PT3H", None),
        ],
        "tiktok": [],
    }
    assert all(PLATFORM_PRESETS[p].rules == PLATFORM_RULES[p] for p in PLATFORMS)


def test_durations_round_trip():
    for text, delta in (
        ("PT1H", timedelta(hours=1)),
        ("PT3H", timedelta(hours=3)),
        ("P1D", timedelta(days=1)),
        ("P7D", timedelta(days=7)),
        ("P1DT12H", timedelta(hours=36)),
        ("PT90M", timedelta(minutes=90)),
    ):
        assert parse_duration(text) == delta
    assert format_duration(timedelta(minutes=90)) == "PT1H30M"
    for bad in ("P", "PT", "1H", "P1W", "PT1.5H"):
        with pytest.raises(ValueError):
            parse_duration(bad)


# --- Mastodon: 400 follows per rolling 24 h ------------------------------------------------


def test_mastodon_follows_399_and_400_in_24_hours():
    follows = rule("mastodon", "follows_per_24_hours")
    # 399 follows every 2 minutes from T0: T0 .. T0 + 796 min
    log = [("follow", at(2 * i)) for i in range(399)]
    as_of = at(22 * 60)  # T0 + 22 h: all 399 are in (as_of − 24 h, as_of]
    v = evaluate_rules([follows], UTC, as_of, EventLog(log))
    assert (v.states[0].used, v.allowed, v.blocking) == (399, 1, [])
    log.append(("follow", at(21 * 60)))  # the 400th
    v = evaluate_rules([follows], UTC, as_of, EventLog(log))
    assert (v.states[0].used, v.allowed) == (400, 0)
    # the oldest, at T0, leaves the window 24 h later
    assert v.fits_at == T0 + timedelta(hours=24)
    assert evaluate_rules([follows], UTC, T0 + timedelta(hours=24), EventLog(log)).allowed == 1
    assert (
        evaluate_rules([follows], UTC, T0 + timedelta(hours=24, seconds=-1), EventLog(log)).allowed
        == 0
    )
    # 3 at once need the 3 oldest gone: the 3rd oldest is at T0 + 4 min
    assert evaluate_rules([follows], UTC, as_of, EventLog(log), count=3).fits_at == at(24 * 60 + 4)
    assert evaluate_rules([follows], UTC, as_of, EventLog(log), count=401).fits_at is None


def test_mastodon_follow_guard_names_the_rule():
    rules = preset_follow_rules("mastodon")  # daily_cap 50, burst 15 / 60 min
    # 400 follows over the 20 hours before as_of, 3 minutes apart: 20 per hour
    follows = [T0 + timedelta(minutes=3 * i) for i in range(400)]  # T0 .. T0 + 1197 min
    as_of = T0 + timedelta(hours=23)
    # today (Wed, from 00:00Z = T0 + 720 min) holds 3i ≥ 720: i = 240 .. 399, 160 follows > cap 50
    result = check_follow(rules, UTC, as_of, follows)
    assert result.codes == ["daily_cap", "platform_limit"]
    assert result.reasons[1].detail == (
        "mastodon allows 400 follows per 24 hours; 400 in the last 24 hours; 0 more allowed "
        "now, asked for 1"
    )
    # the daily cap frees at midnight (T0 + 36 h), later than the oldest leaving (T0 + 24 h)
    assert result.next_allowed_at == T0 + timedelta(hours=36)


# --- Mastodon: 300 posts per 3 h -----------------------------------------------------------


def test_mastodon_300_posts_in_3_hours_block_a_post():
    posts = rule("mastodon", "posts_per_3_hours")
    kinds = ("post", "share", "reply", "mention")
    log = [
        (kinds[i % 4], T0 + timedelta(seconds=36 * i)) for i in range(300)
    ]  # 12:00:00 .. 14:59:24
    as_of = datetime(2026, 11, 3, 14, 59, 30, tzinfo=UTC)
    v = evaluate_rules([posts], UTC, as_of, EventLog(log[:299]))
    assert (v.states[0].used, v.allowed) == (299, 1)
    v = evaluate_rules([posts], UTC, as_of, EventLog(log))
    assert (v.states[0].used, v.allowed, v.fits_at) == (300, 0, T0 + timedelta(hours=3))
    # likes and follows are not posts
    more = [*log, ("like", as_of), ("follow", as_of)]
    assert evaluate_rules([posts], UTC, as_of, EventLog(more)).states[0].used == 300


# --- Bluesky: one budget of record creates --------------------------------------------------


def bluesky_hour(n: int) -> list[tuple[str, datetime]]:
    """n creates every 2 seconds from T0: 10 follows first, then posts, likes and replies."""
    kinds = ["follow"] * 10 + ["post", "like", "reply", "like"] * 500
    return [(kinds[i], T0 + timedelta(seconds=2 * i)) for i in range(n)]


def test_bluesky_hourly_budget_used_up_by_a_mix():
    rules = PLATFORM_RULES["bluesky"]
    as_of = at(59)
    v = evaluate_rules(rules, UTC, as_of, EventLog(bluesky_hour(1665)))
    assert [s.used for s in v.states] == [1665, 1665] and v.allowed == 1
    v = evaluate_rules(rules, UTC, as_of, EventLog(bluesky_hour(1666)))
    assert [s.used for s in v.states] == [1666, 1666] and v.allowed == 0
    assert [s.rule.name for s in v.blocking] == ["record_creates_per_hour"]
    assert v.fits_at == T0 + timedelta(hours=1)  # the oldest create leaves the hour


def test_bluesky_follow_guard_counts_posts_and_likes():
    rules = preset_follow_rules("bluesky")
    events = bluesky_hour(1666)
    follows = [t for k, t in events if k == "follow"]  # only 10: caps 50 / 15 are far
    as_of = at(59)
    assert allowed_follows_at(rules, UTC, as_of, follows) == 5  # follows alone: burst 15 − 10
    source = EventLog(events)
    assert allowed_follows_at(rules, UTC, as_of, follows, source) == 0
    result = check_follow(rules, UTC, as_of, follows, 1, source)
    assert result.codes == ["platform_limit"]
    assert result.reasons[0].detail == (
        "bluesky allows 1,666 record creates per hour; 1,666 in the last hour; 0 more allowed "
        "now, asked for 1"
    )
    assert result.next_allowed_at == T0 + timedelta(hours=1)
    assert next_follow_allowed_at(rules, UTC, as_of, follows, 1, source) == T0 + timedelta(hours=1)
    # a post uses up what a follow could have used: 1,665 and one more post
    fewer = bluesky_hour(1665)
    assert check_follow(rules, UTC, as_of, follows, 1, EventLog(fewer)).allowed
    assert not check_follow(
        rules, UTC, as_of, follows, 1, EventLog([*fewer, ("post", at(58))])
    ).allowed
    # 1,667 at once never fit
    never = check_follow(rules, UTC, as_of, [], 1667, EventLog([]))
    assert "exceeds_limit" in never.codes and never.next_allowed_at is None
    assert "bluesky allows 1,666 record creates per hour" in never.reasons[-1].detail


def test_bluesky_daily_budget():
    day = PLATFORM_RULES["bluesky"]
    # 11,666 creates, 7 seconds apart: T0 .. T0 + 81,655 s
    events = [("like", T0 + timedelta(seconds=7 * i)) for i in range(11666)]
    as_of = T0 + timedelta(seconds=81660)
    v = evaluate_rules(day, UTC, as_of, EventLog(events))
    # the hour (78,060 s, 81,660 s] holds 7i for i = 11,152 .. 11,665: 514
    assert [s.used for s in v.states] == [514, 11666]
    assert [s.rule.name for s in v.blocking] == ["record_creates_per_24_hours"]
    assert v.fits_at == T0 + timedelta(hours=24)


# --- Threads: 250 posts and 1,000 replies per 24 h -----------------------------------------


def test_threads_250_posts_and_1000_replies():
    posts, replies = PLATFORM_RULES["threads"]
    as_of = at(24 * 60 - 1)
    log = [
        (("post", "share", "mention")[i % 3], at(5 * i)) for i in range(250)
    ]  # T0 .. T0 + 1245 min
    v = evaluate_rules([posts, replies], UTC, as_of, EventLog(log))
    assert [s.used for s in v.states] == [250, 0]
    assert [s.rule.name for s in v.blocking] == ["posts_per_24_hours"]
    assert v.fits_at == T0 + timedelta(hours=24)
    # 1,000 replies and comments block the next reply, not a post
    talk = [(("reply", "comment")[i % 2], at(i)) for i in range(1000)]  # T0 .. T0 + 999 min
    v = evaluate_rules([replies], UTC, as_of, EventLog(talk))
    assert (v.states[0].used, v.allowed, v.fits_at) == (1000, 0, T0 + timedelta(hours=24))
    assert evaluate_rules([posts], UTC, as_of, EventLog(talk)).allowed == 250
    assert evaluate_rules([replies], UTC, as_of, EventLog(talk[:999])).allowed == 1


# --- x and LinkedIn: the old limits as rules ------------------------------------------------


def test_x_400_per_local_day_restarts_at_local_midnight():
    tz = ZoneInfo("America/New_York")
    x = rule("x", "follows_per_local_day")
    assert x.calendar == LOCAL_DAY
    # 400 follows on Tue 2026-11-03 local (from 08:00 local = 13:00Z), 1 a minute
    log = [
        ("follow", datetime(2026, 11, 3, 13, 0, tzinfo=UTC) + timedelta(minutes=i))
        for i in range(400)
    ]
    as_of = datetime(2026, 11, 4, 4, 0, tzinfo=UTC)  # 23:00 local on the 3rd
    v = evaluate_rules([x], tz, as_of, EventLog(log))
    assert (v.states[0].used, v.allowed) == (400, 0)
    assert v.fits_at == datetime(2026, 11, 4, 5, 0, tzinfo=UTC)  # local midnight
    assert evaluate_rules([x], tz, v.fits_at, EventLog(log)).allowed == 400


def test_linkedin_rule_answers_as_the_weekly_limit():
    rules = preset_follow_rules("linkedin")
    assert [r.name for r in rules.limit_rules] == ["follows_per_7_days"]
    follows = [T0 - timedelta(days=6) + timedelta(minutes=i) for i in range(100)]
    result = check_follow(rules, UTC, T0, follows)
    assert result.codes == ["weekly_limit"]
    assert result.next_allowed_at == T0 + timedelta(days=1)  # the oldest leaves the 7 days


# --- properties -----------------------------------------------------------------------------

KINDS = ("follow", "post", "like", "reply")


@st.composite
def rule_sets(draw):
    n = draw(st.integers(1, 3))
    rules = []
    for i in range(n):
        kinds = tuple(draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4, unique=True)))
        if draw(st.booleans()) and draw(st.booleans()):
            rules.append(
                PlatformRule(
                    f"r{i}",
                    kinds,
                    draw(st.integers(1, 6)),
                    timedelta(days=1),
                    "events",
                    LOCAL_DAY,
                    "p",
                )
            )
        else:
            window = timedelta(seconds=draw(st.integers(60, 6 * 3600)))
            rules.append(
                PlatformRule(f"r{i}", kinds, draw(st.integers(1, 6)), window, "events", None, "p")
            )
    return rules


def holds(rules, tz, events) -> bool:
    """No window of any rule holds more than its limit: checked at every event instant."""
    log = EventLog(events)
    for _, t in events:
        for r in rules:
            lower, inclusive = r.window_bounds(t, tz)
            if log.count(r.kinds, lower, inclusive, t) > r.limit:
                return False
    return True


@settings(max_examples=150, deadline=None)
@given(
    rules=rule_sets(),
    tries=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3 * 3600)), max_size=60),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_allowed_never_lets_a_sequence_exceed_a_rule(rules, tries, zone):
    """Record an event only when every rule that counts its kind allows one more: no rule
    is ever exceeded."""
    tz = ZoneInfo(zone)
    events: list[tuple[str, datetime]] = []
    t = T0
    for kind, gap in tries:
        t += timedelta(seconds=gap)
        applying = [r for r in rules if kind in r.kinds]
        if not applying or evaluate_rules(applying, tz, t, EventLog(events)).allowed >= 1:
            events.append((kind, t))
    assert holds(rules, tz, events)


@settings(max_examples=150, deadline=None)
@given(
    rules=rule_sets(),
    history=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 2 * 3600)), max_size=60),
    count=st.integers(1, 4),
    zone=st.sampled_from(["UTC", "America/New_York", "Europe/London"]),
)
def test_next_allowed_at_is_the_first_instant(rules, history, count, zone):
    """At fits_at ``count`` more are allowed; one second earlier they are not."""
    tz = ZoneInfo(zone)
    events, t = [], T0
    for kind, gap in history:
        t += timedelta(seconds=gap)
        events.append((kind, t))
    as_of = t
    log = EventLog(events)
    v = evaluate_rules(rules, tz, as_of, log, count)
    if any(count > r.limit for r in rules):
        assert v.fits_at is None
        return
    fits = v.fits_at
    assert fits is not None and fits >= as_of
    assert min(s.room for s in evaluate_rules(rules, tz, fits, log, count).states) >= count
    if fits > as_of:
        before = fits - timedelta(seconds=1)
        if before >= as_of:
            assert min(s.room for s in evaluate_rules(rules, tz, before, log, count).states) < count
    else:
        assert not v.blocking


@settings(max_examples=100, deadline=None)
@given(
    follows=st.lists(st.integers(0, 30 * 3600), max_size=80), platform=st.sampled_from(PLATFORMS)
)
def test_follow_guard_and_pacing_agree_with_the_rules(follows, platform):
    """allowed_now is never above any rule's room, and a guard that allows one follow
    agrees with allowed_now ≥ 1."""
    rules = preset_follow_rules(platform)
    instants = sorted(T0 + timedelta(seconds=s) for s in follows)
    as_of = T0 + timedelta(hours=31)
    allowed = allowed_follows_at(rules, UTC, as_of, instants)
    log = EventLog(("follow", f) for f in instants)
    for state in evaluate_rules(rules.limit_rules, UTC, as_of, log).states:
        assert allowed <= max(0, state.room)
    assert check_follow(rules, UTC, as_of, instants).allowed == (allowed >= 1)
