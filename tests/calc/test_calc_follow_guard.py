"""allowed_now / next_allowed_at (SPEC §6.1) and the follow pre-flight check (§6.5)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calc.pacing import (
    FollowRules,
    allowed_follows_at,
    check_follow,
    compute_pacing,
    next_follow_allowed_at,
)

NY = ZoneInfo("America/New_York")
WED_NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(**changes) -> FollowRules:
    base = {
        "weekly_target": 14,
        "active_weekdays": frozenset(range(7)),
        "daily_cap": 20,
        "burst_limit": 10,
        "burst_window_minutes": 60,
        "warmup_days": 0,
        "starts_on": date(2026, 1, 1),
        "platform_weekly_limit": None,
    }
    base.update(changes)
    return FollowRules(**base)


def agree(r: FollowRules, tz, at: datetime, follows) -> None:
    """The pacing answer and the guard agree at the same instant."""
    report = compute_pacing(r, tz, at, follows, 0, (0, 0))
    guard = check_follow(r, tz, at, follows, 1)
    assert guard.allowed == (report.allowed_now >= 1)
    assert guard.next_allowed_at == report.next_allowed_at


def test_bound_by_the_daily_cap():
    # cap 5; five follows today two hours apart (never two in one burst window).
    r = rules(daily_cap=5)
    follows = [utc(2026, 11, 25, h) for h in (1, 3, 5, 7, 9)]
    assert allowed_follows_at(r, UTC, WED_NOON, follows) == 0  # min(5 - 5, 10 - 0)
    assert allowed_follows_at(r, UTC, WED_NOON, follows[:3]) == 2  # min(5 - 3, 10 - 0)
    # The next local midnight clears it.
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows) == utc(2026, 11, 26)
    result = check_follow(r, UTC, WED_NOON, follows, 1)
    assert not result.allowed
    assert result.codes == ["daily_cap"]
    assert result.reasons[0].detail == (
        "5 follows today of an effective cap of 5; 0 more allowed today, asked for 1"
    )
    assert result.next_allowed_at == utc(2026, 11, 26)
    agree(r, UTC, WED_NOON, follows)


def test_bound_by_the_burst_window():
    # burst 3 per 60 minutes: follows at 11:10, 11:20, 11:30 are all in (11:00, 12:00].
    r = rules(burst_limit=3)
    follows = [utc(2026, 11, 25, 11, m) for m in (10, 20, 30)]
    assert allowed_follows_at(r, UTC, WED_NOON, follows) == 0
    # The 11:10 follow leaves the window at exactly 12:10.
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows) == utc(2026, 11, 25, 12, 10)
    assert allowed_follows_at(r, UTC, utc(2026, 11, 25, 12, 9, 59), follows) == 0
    assert allowed_follows_at(r, UTC, utc(2026, 11, 25, 12, 10), follows) == 1
    # Two at once need the 11:20 one gone too.
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows, 2) == utc(2026, 11, 25, 12, 20)
    result = check_follow(r, UTC, WED_NOON, follows, 2)
    assert result.codes == ["burst_limit"]
    assert result.reasons[0].detail == (
        "3 follows in the last 60 minutes of a burst limit of 3; 0 more allowed now, asked for 2"
    )
    assert result.next_allowed_at == utc(2026, 11, 25, 12, 20)
    agree(r, UTC, WED_NOON, follows)


def linkedin_week() -> list[datetime]:
    """100 follows: 20 a day on 2026-11-19..23, every 30 minutes from 08:00 to 17:30."""
    return [
        utc(2026, 11, day, 8) + timedelta(minutes=30 * i)
        for day in range(19, 24)
        for i in range(20)
    ]


def test_bound_by_linkedins_rolling_seven_days():
    r = rules(platform_weekly_limit=100)
    follows = linkedin_week()
    # All 100 are in (2026-11-18 12:00, 2026-11-25 12:00]: min(20 - 0, 10 - 0, 100 - 100) = 0.
    assert allowed_follows_at(r, UTC, WED_NOON, follows) == 0
    # The first (11-19 08:00) leaves the 7-day window at 11-26 08:00; the 5th (10:00) at 10:00.
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows) == utc(2026, 11, 26, 8)
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows, 5) == utc(2026, 11, 26, 10)
    result = check_follow(r, UTC, WED_NOON, follows, 5)
    assert result.codes == ["weekly_limit"]
    assert result.reasons[0].detail == (
        "100 follows in the last 7 days of the platform's limit of 100 per rolling 7 days; "
        "0 more allowed now, asked for 5"
    )
    assert result.next_allowed_at == utc(2026, 11, 26, 10)
    agree(r, UTC, WED_NOON, follows)
    # Without the platform limit the same follows are fine.
    assert allowed_follows_at(rules(), UTC, WED_NOON, follows) == 10


def test_every_binding_limit_is_listed_and_the_latest_wins():
    # cap 3 with 3 today, burst 3 with 3 in the last hour: both bind.
    r = rules(daily_cap=3, burst_limit=3)
    follows = [utc(2026, 11, 25, 11, m) for m in (10, 20, 30)]
    result = check_follow(r, UTC, WED_NOON, follows, 1)
    assert result.codes == ["daily_cap", "burst_limit"]
    assert result.next_allowed_at == utc(2026, 11, 26)  # midnight is later than 12:10


def test_allowed_follows():
    r = rules()
    result = check_follow(r, UTC, WED_NOON, [utc(2026, 11, 25, 11, 30)], 9)
    assert result.allowed and result.reasons == [] and result.next_allowed_at is None
    assert not check_follow(r, UTC, WED_NOON, [utc(2026, 11, 25, 11, 30)], 10).allowed
    assert next_follow_allowed_at(r, UTC, WED_NOON, [], 10) == WED_NOON


def test_counts_that_can_never_fit():
    r = rules(platform_weekly_limit=100)
    result = check_follow(r, UTC, WED_NOON, [], 11)  # burst limit 10
    assert result.codes == ["burst_limit", "exceeds_limit"]
    assert result.next_allowed_at is None
    assert result.reasons[1].detail == (
        "11 follows at once can never be allowed: the burst limit is 10 per 60 minutes; "
        "split them into smaller batches"
    )
    big = rules(daily_cap=20, burst_limit=30, platform_weekly_limit=100)
    assert check_follow(big, UTC, WED_NOON, [], 21).codes == ["daily_cap", "exceeds_limit"]
    assert next_follow_allowed_at(big, UTC, WED_NOON, [], 21) is None
    huge = rules(daily_cap=200, burst_limit=200, platform_weekly_limit=100)
    assert check_follow(huge, UTC, WED_NOON, [], 101).codes == ["weekly_limit", "exceeds_limit"]
    with pytest.raises(ValueError):
        check_follow(r, UTC, WED_NOON, [], 0)


def test_warm_up_next_allowed_at_jumps_to_the_first_day_with_room():
    # cap 20, warm-up 5 from Monday 2026-11-23: caps 4, 7, 10, 13, 16, 20.
    r = rules(daily_cap=20, burst_limit=20, warmup_days=5, starts_on=date(2026, 11, 23))
    monday_noon = utc(2026, 11, 23, 12)
    follows = [utc(2026, 11, 23, h) for h in (1, 3, 5, 7)]  # 4 = the day-0 cap
    assert allowed_follows_at(r, UTC, monday_noon, follows) == 0
    assert next_follow_allowed_at(r, UTC, monday_noon, follows, 1) == utc(2026, 11, 24)
    assert next_follow_allowed_at(r, UTC, monday_noon, follows, 7) == utc(2026, 11, 24)
    assert next_follow_allowed_at(r, UTC, monday_noon, follows, 8) == utc(2026, 11, 25)  # cap 10
    assert next_follow_allowed_at(r, UTC, monday_noon, follows, 17) == utc(2026, 11, 28)  # cap 20
    result = check_follow(r, UTC, monday_noon, follows, 10)
    assert result.reasons[0].detail == (
        "4 follows today of an effective cap of 4 (warm-up day 1 of 5, full cap 20); "
        "0 more allowed today, asked for 10"
    )
    assert result.next_allowed_at == utc(2026, 11, 25)
    # Before starts_on the cap stays at the day-0 value until the plan starts growing it.
    early = utc(2026, 11, 20, 12)
    assert next_follow_allowed_at(r, UTC, early, [utc(2026, 11, 20, 1)], 5) == utc(2026, 11, 24)


def test_long_warm_up_is_solved_without_walking_every_day():
    r = rules(daily_cap=400, burst_limit=400, warmup_days=100_000, starts_on=date(2026, 11, 25))
    # floor(400 * (w + 4d) / 5w) >= 400 only at d = w: 100000 days later.
    nxt = next_follow_allowed_at(r, UTC, WED_NOON, [], 400)
    assert nxt == datetime.combine(
        date(2026, 11, 25) + timedelta(days=100_000), datetime.min.time(), tzinfo=UTC
    )


def test_next_local_midnight_on_new_yorks_25_hour_day():
    # 2026-11-01 20:00 EST = 2026-11-02T01:00Z, cap reached; next midnight 00:00 EST = 05:00Z.
    r = rules(daily_cap=2)
    follows = [utc(2026, 11, 1, 14), utc(2026, 11, 1, 18)]
    at = utc(2026, 11, 2, 1)
    assert allowed_follows_at(r, NY, at, follows) == 0
    assert next_follow_allowed_at(r, NY, at, follows) == utc(2026, 11, 2, 5)
    agree(r, NY, at, follows)


def test_next_day_start_in_santiagos_midnight_gap():
    # Cap reached on Saturday 2026-09-05; Sunday starts at 01:00 -03 = 04:00Z.
    tz = ZoneInfo("America/Santiago")
    r = rules(daily_cap=1)
    at = utc(2026, 9, 6, 2)  # Saturday 22:00 -04
    follows = [utc(2026, 9, 5, 20)]
    assert next_follow_allowed_at(r, tz, at, follows) == utc(2026, 9, 6, 4)


def test_follows_after_the_instant_do_not_count():
    r = rules(burst_limit=1)
    later = [utc(2026, 11, 25, 12, 30)]
    assert allowed_follows_at(r, UTC, WED_NOON, later) == 1
    assert check_follow(r, UTC, WED_NOON, later, 1).allowed
    assert next_follow_allowed_at(r, UTC, WED_NOON, later) == WED_NOON


def test_plan_starting_later_does_not_delay_the_next_day_without_warm_up():
    # No warm-up: starts_on in the future changes nothing, tomorrow has room again.
    r = rules(daily_cap=1, starts_on=date(2026, 12, 25))
    assert next_follow_allowed_at(r, UTC, WED_NOON, [utc(2026, 11, 25, 9)]) == utc(2026, 11, 26)
    # With warm-up, day 0's cap lasts until starts_on: cap 20, w 5 -> 4 every day before it.
    r = rules(daily_cap=20, warmup_days=5, starts_on=date(2026, 12, 25))
    follows = [utc(2026, 11, 25, h) for h in (1, 3, 5, 7)]
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows, 4) == utc(2026, 11, 26)
    # 5 needs d >= ceil(5 * (25 - 20) / 80) = 1: the day after starts_on.
    assert next_follow_allowed_at(r, UTC, WED_NOON, follows, 5) == utc(2026, 12, 26)
