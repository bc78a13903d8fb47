"""app.calc.webhooks: the retry schedule with jitter, the 5-day disable rule, the weekly due
instant (DST), and the trigger conditions of one local day (DST days included)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calc.follow_rules import FollowRules, preset_follow_rules
from app.calc.posting import PostingRules
from app.calc.webhooks import (
    RETRY_DELAYS,
    next_weekly_report_at,
    pacing_breaches,
    posting_flags,
    reported_week,
    retry_delay,
    should_disable,
)

NY = ZoneInfo("America/New_York")


def test_retry_schedule_is_the_spec_s():
    assert [retry_delay(n, 0.5) for n in range(1, 8)] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
    ]
    assert retry_delay(8) is None


@pytest.mark.parametrize("n", range(1, 8))
def test_jitter_stays_within_ten_percent(n):
    base = RETRY_DELAYS[n - 1]
    assert retry_delay(n, 0.0) == base * 0.9 and retry_delay(n, 1.0) == base * 1.1
    for _ in range(50):
        d = retry_delay(n)
        assert d is not None and base * 0.9 <= d <= base * 1.1


def test_disable_after_five_days_of_failures():
    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert not should_disable(since, since + timedelta(days=5) - timedelta(seconds=1))
    assert should_disable(since, since + timedelta(days=5))
    assert not should_disable(None, since + timedelta(days=50))


def test_weekly_due_at_the_next_local_monday_across_dst():
    # Sunday 2026-11-01 (25 h in New York): the next Monday 00:00 is EST, 05:00 UTC.
    now = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    assert next_weekly_report_at(now, NY) == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    # Sunday 2026-03-08 (23 h): the next Monday 00:00 is EDT, 04:00 UTC.
    now = datetime(2026, 3, 8, 15, 0, tzinfo=UTC)
    assert next_weekly_report_at(now, NY) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    # At Monday 00:00 exactly, the next one is a week later.
    monday = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    assert next_weekly_report_at(monday, NY) == datetime(2026, 11, 9, 5, 0, tzinfo=UTC)
    assert reported_week(monday, NY) == date(2026, 10, 26)


def _rules(**overrides) -> FollowRules:
    base = preset_follow_rules("x")
    values = {f: getattr(base, f) for f in base.__dataclass_fields__}
    values.update({"daily_cap": 3, "burst_limit": 2, **overrides})
    return FollowRules(**values)


def test_pacing_breaches_count_the_whole_25_hour_day():
    day = date(2026, 11, 1)  # New York falls back: 04:00Z to 05:00Z next day
    start = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    follows = [start + timedelta(hours=h) for h in (0, 3, 6, 24.5)]  # the last at 23:30 EST
    assert pacing_breaches(_rules(), NY, day, follows) == ["daily_cap"]
    # One hour later it is the next day: only 3 on 2026-11-01.
    moved = [*follows[:3], start + timedelta(hours=25)]
    assert pacing_breaches(_rules(), NY, day, moved) == []


def test_pacing_breaches_burst_and_platform_rule():
    day = date(2026, 11, 4)
    start = datetime(2026, 11, 4, tzinfo=UTC)
    follows = [start + timedelta(minutes=m) for m in range(401)]
    rules = _rules(daily_cap=100, burst_limit=50)  # one a minute: 60 in an hour
    assert pacing_breaches(rules, UTC, day, follows[:400]) == ["daily_cap", "burst_limit"]
    assert pacing_breaches(rules, UTC, day, follows) == [
        "daily_cap",
        "burst_limit",
        "follows_per_local_day",
    ]
    # A burst of 3 inside 60 minutes, never more than the cap.
    three = [start, start + timedelta(minutes=59), start + timedelta(minutes=59, seconds=30)]
    assert pacing_breaches(_rules(), UTC, day, three) == ["burst_limit"]
    # A follow at t and one at t + window are not in the same window.
    apart = [start, start + timedelta(minutes=30), start + timedelta(minutes=60)]
    assert pacing_breaches(_rules(), UTC, day, apart) == []


def test_posting_flags_of_a_day():
    rules = PostingRules(min_posts_per_day=1, max_posts_per_day=2, min_gap_minutes=60)
    day = date(2026, 3, 8)  # 23 h in New York
    start = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert posting_flags(rules, NY, day, [start, start + timedelta(hours=2)]) == []
    three = [start, start + timedelta(hours=2), start + timedelta(hours=2, minutes=30)]
    assert posting_flags(rules, NY, day, three) == ["over_posting", "burst"]
    # A post just before local midnight of the 23-hour day (03:59Z next day) is on it.
    late = [
        start,
        datetime(2026, 3, 9, 3, 59, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 59, 30, tzinfo=UTC),
    ]
    assert posting_flags(rules, NY, day, late) == ["over_posting", "burst"]


def _rolling_breach_by_hand(rule, tz, day, instants):
    """The rule's definition, counted naively: some window (t - window, t] ending at one of
    the day's events holds more than the limit."""
    start = datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    return any(
        sum(1 for u in instants if t - rule.window < u <= t) > rule.limit
        for t in instants
        if start <= t < end
    )


@pytest.mark.parametrize("seed", range(40))
def test_rolling_platform_rules_match_their_definition(seed):
    """PacingDays skips a rolling rule's windows when the span they lie in holds no more than
    the limit; the names it reports are the naive count's, dense days and sparse ones."""
    import random

    from app.calc.platform_rules import PlatformRule
    from app.calc.webhooks import PacingDays

    rng = random.Random(seed)
    rule = PlatformRule(
        "follows_per_3_hours",
        ("follow",),
        limit=rng.choice([1, 3, 8, 20]),
        window=timedelta(hours=3),
        label="follows",
    )
    rules = FollowRules(
        weekly_target=1000,
        active_weekdays=frozenset(range(7)),
        daily_cap=1000,
        burst_limit=1000,
        burst_window_minutes=60,
        warmup_days=0,
        starts_on=date(2026, 1, 1),
        platform_weekly_limit=None,
        platform_rules=(rule,),
    )
    base = datetime(2026, 3, 7, tzinfo=UTC)  # NY's spring-forward is on the 8th
    follows = sorted(
        base + timedelta(minutes=rng.randrange(4 * 1440)) for _ in range(rng.randrange(1, 60))
    )
    days = PacingDays(rules, NY, follows)
    for d in range(4):
        day = date(2026, 3, 7) + timedelta(days=d)
        expected = _rolling_breach_by_hand(rule, NY, day, follows)
        assert (rule.name in days.breaches(day)) is expected
