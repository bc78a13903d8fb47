"""Outreach pacing (SPEC §6.1): quotas, warm-up, the report and its status."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calc.pacing import (
    DayQuota,
    FollowRules,
    compute_pacing,
    daily_quotas,
    effective_daily_cap,
    follows_fetch_start,
    peak_burst,
    preset_follow_rules,
)

NY = ZoneInfo("America/New_York")
ALL_DAYS = frozenset(range(7))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(**changes) -> FollowRules:
    base = {
        "weekly_target": 14,
        "active_weekdays": ALL_DAYS,
        "daily_cap": 20,
        "burst_limit": 10,
        "burst_window_minutes": 60,
        "warmup_days": 0,
        "starts_on": date(2026, 1, 1),
        "platform_weekly_limit": None,
    }
    base.update(changes)
    return FollowRules(**base)


def pacing(r: FollowRules, as_of: datetime, follows, tz=UTC, unfollows=0, back=(0, 0)):
    return compute_pacing(r, tz, as_of, follows, unfollows, back)


@pytest.mark.parametrize(
    ("target", "active", "expected"),
    [
        # 12 over Mon/Wed/Fri: base 12 div 3 = 4, r = 0.
        (12, {0, 2, 4}, [4, 0, 4, 0, 4, 0, 0]),
        # 50 over 7 days: base 7, r = 1 -> Monday gets 8.
        (50, ALL_DAYS, [8, 7, 7, 7, 7, 7, 7]),
        # 10 over Mon-Fri: base 2, r = 0.
        (10, {0, 1, 2, 3, 4}, [2, 2, 2, 2, 2, 0, 0]),
        # 13 over Mon-Fri: base 2, r = 3 -> Mon, Tue, Wed get 3.
        (13, {0, 1, 2, 3, 4}, [3, 3, 3, 2, 2, 0, 0]),
        # 3 over Tue/Thu/Sat/Sun: base 0, r = 3 -> the first three active days get 1.
        (3, {1, 3, 5, 6}, [0, 1, 0, 1, 0, 1, 0]),
        (0, set(), [0] * 7),
    ],
)
def test_daily_quotas(target, active, expected):
    assert daily_quotas(target, active) == expected
    assert sum(expected) == target


def test_daily_quotas_rejects_a_target_without_active_days():
    with pytest.raises(ValueError):
        daily_quotas(5, set())
    with pytest.raises(ValueError):
        daily_quotas(5, {7})


@pytest.mark.parametrize(
    ("day", "cap"),
    [
        # cap 20, warm-up 5: floor(20 * (5 + 4d) / 25)
        (date(2026, 11, 1), 4),  # before starts_on: d = 0 -> 20*5/25 = 4
        (date(2026, 11, 23), 4),  # d = 0 -> 4
        (date(2026, 11, 24), 7),  # d = 1 -> 20*9/25 = 7.2 -> 7
        (date(2026, 11, 25), 10),  # d = 2 -> 20*13/25 = 10.4 -> 10
        (date(2026, 11, 26), 13),  # d = 3 -> 20*17/25 = 13.6 -> 13
        (date(2026, 11, 27), 16),  # d = 4 -> 20*21/25 = 16.8 -> 16
        (date(2026, 11, 28), 20),  # d = 5 = warmup_days -> full cap
        (date(2027, 11, 28), 20),
    ],
)
def test_effective_daily_cap_during_warm_up(day, cap):
    r = rules(daily_cap=20, warmup_days=5, starts_on=date(2026, 11, 23))
    assert effective_daily_cap(r, day) == cap


def test_effective_daily_cap_is_at_least_one_and_exact():
    # cap 2, warm-up 10, d = 0: floor(2 * 10 / 50) = 0 -> max(1, 0) = 1.
    r = rules(daily_cap=2, warmup_days=10, starts_on=date(2026, 11, 23))
    assert effective_daily_cap(r, date(2026, 11, 23)) == 1
    # cap 10, warm-up 4, d = 1: 10 * (0.2 + 0.8 * 0.25) = 4.0 exactly (floats may give 3.99...).
    r = rules(daily_cap=10, warmup_days=4, starts_on=date(2026, 11, 23))
    assert effective_daily_cap(r, date(2026, 11, 24)) == 4


def test_follows_fetch_start():
    r = rules()
    # Wednesday noon: as_of - 7 days (last Wednesday noon) is before Monday 00:00.
    assert follows_fetch_start(utc(2026, 11, 25, 12), UTC, r) == utc(2026, 11, 18, 12)
    # New York, Sunday 2026-11-01 23:30 EST (= 2026-11-02T04:30Z) ends a 169-hour week:
    # Monday 2026-10-26 00:00 EDT = 04:00Z is earlier than as_of - 7 days = 04:30Z.
    assert follows_fetch_start(utc(2026, 11, 2, 4, 30), NY, r) == utc(2026, 10, 26, 4)
    # A burst window longer than 7 days would reach further back.
    long = rules(burst_window_minutes=60 * 24 * 8)
    assert follows_fetch_start(utc(2026, 11, 25, 12), UTC, long) == utc(2026, 11, 17, 12)


def test_peak_burst_uses_half_open_windows():
    w = timedelta(minutes=60)
    assert peak_burst([], w) == 0
    # 10:00 and 11:00 are exactly one window apart: never together.
    assert peak_burst([utc(2026, 11, 25, 10), utc(2026, 11, 25, 11)], w) == 1
    times = [utc(2026, 11, 25, 10), utc(2026, 11, 25, 10, 30), utc(2026, 11, 25, 10, 59, 59)]
    assert peak_burst([*times, utc(2026, 11, 25, 11)], w) == 3
    assert peak_burst([utc(2026, 11, 25, 10)] * 4, w) == 4


# Status, on one base week: UTC, 14 a week over 7 days -> 2 a day.
# Wednesday 2026-11-25 12:00: expected_before_today = 2 + 2 = 4, expected_by_today = 6.
WED_NOON = utc(2026, 11, 25, 12)


def spread(day: int, n: int, start_hour: int = 8) -> list[datetime]:
    """n follows on 2026-11-<day>, two hours apart from start_hour."""
    return [utc(2026, 11, day, start_hour + 2 * i) for i in range(n)]


@pytest.mark.parametrize(
    ("follows", "changes", "status"),
    [
        (spread(23, 2) + spread(24, 2) + spread(25, 1), {}, "on_track"),  # 4 <= 5 <= 6
        (spread(23, 2) + spread(24, 2) + spread(25, 3, 6), {}, "ahead"),  # 7 > 6
        (spread(23, 1), {}, "behind"),  # 1 < 4
        (spread(23, 2) + spread(24, 2), {}, "on_track"),  # 4 = expected before today
        (spread(25, 4, 2), {"daily_cap": 3}, "over_limit"),  # 4 today > cap 3
        # 4 follows within 30 minutes today > burst limit 3 (also "ahead" otherwise).
        ([utc(2026, 11, 25, 9, m) for m in (0, 10, 20, 30)], {"burst_limit": 3}, "over_limit"),
    ],
)
def test_status(follows, changes, status):
    assert pacing(rules(**changes), WED_NOON, follows).status == status


def test_report_numbers_after_a_slow_monday():
    # 50 a week over 7 days: quotas 8,7,7,7,7,7,7. Monday had 2 follows.
    # Tuesday noon: recommended = min(cap 20, ceil((50 - 2) / 6 days left)) = 8.
    r = rules(weekly_target=50)
    follows = [utc(2026, 11, 23, 9), utc(2026, 11, 23, 15), utc(2026, 11, 24, 9)]
    report = pacing(r, utc(2026, 11, 24, 12), follows, unfollows=3, back=(3, 12))
    assert report.effective_daily_cap == 20
    assert report.follows_today == 1
    assert report.follows_this_week == 3
    assert report.unfollows_today == 3
    assert report.expected_before_today == 8
    assert report.expected_by_today == 15
    assert report.recommended_today == 8
    assert report.remaining_today == 7
    assert report.peak_burst_today == 1
    assert report.allowed_now == 10  # min(20 - 1 today, 10 - 0 in (11:00, 12:00])
    assert report.next_allowed_at is None
    assert report.status == "behind"  # 3 < 8
    assert report.follow_back_rate == 0.25
    assert report.days[:3] == [
        DayQuota(date(2026, 11, 23), 8, 2),
        DayQuota(date(2026, 11, 24), 7, 1),
        DayQuota(date(2026, 11, 25), 7, 0),
    ]


def test_recommended_is_capped_by_the_warm_up_cap():
    # 50 a week, nothing done by Sunday: ceil(50 / 1) = 50, but warm-up day 0 caps at 4.
    r = rules(weekly_target=50, warmup_days=5, starts_on=date(2026, 11, 29))
    report = pacing(r, utc(2026, 11, 29, 12), [])
    assert report.effective_daily_cap == 4
    assert report.recommended_today == 4


def test_inactive_weekday_has_quota_zero_and_recommends_nothing():
    # 12 over Mon/Wed/Fri; Tuesday is inactive.
    r = rules(weekly_target=12, active_weekdays={0, 2, 4})
    report = pacing(r, utc(2026, 11, 24, 12), [utc(2026, 11, 24, 9)])
    assert [d.quota for d in report.days] == [4, 0, 4, 0, 4, 0, 0]
    assert report.recommended_today == 0
    assert report.remaining_today == 0
    assert report.expected_before_today == report.expected_by_today == 4
    # The limits still allow follows on an inactive day: min(20 - 1, 10 - 0 in the last hour).
    assert report.allowed_now == 10
    # Wednesday: 1 done before today, 2 active days left -> ceil(11 / 2) = 6.
    assert pacing(r, utc(2026, 11, 25, 12), [utc(2026, 11, 24, 9)]).recommended_today == 6


def test_follows_just_before_and_after_local_midnight():
    # New York, week of Monday 2026-11-23 (EST, UTC-5).
    follows = [
        utc(2026, 11, 24, 4, 59, 59),  # Monday 23:59:59 local
        utc(2026, 11, 24, 5, 0, 0),  # Tuesday 00:00:00 local
        utc(2026, 11, 23, 4, 59, 59),  # Sunday 2026-11-22 23:59:59 local: last week
    ]
    report = pacing(rules(), utc(2026, 11, 24, 17), follows, tz=NY)  # Tuesday 12:00 local
    assert [d.follows for d in report.days] == [1, 1, 0, 0, 0, 0, 0]
    assert report.follows_today == 1
    assert report.follows_this_week == 2


def test_follows_after_as_of_are_ignored_and_order_does_not_matter():
    follows = [utc(2026, 11, 25, 13), utc(2026, 11, 25, 9), utc(2026, 11, 24, 9)]
    report = pacing(rules(), WED_NOON, follows)
    assert report.follows_today == 1
    assert report.follows_this_week == 2
    assert [d.follows for d in report.days] == [0, 1, 1, 0, 0, 0, 0]


def test_week_of_dst_end_in_new_york():
    # Sunday 2026-11-01 is 25 hours long; follows at 00:30 EDT and 23:30 EST are both on it.
    follows = [utc(2026, 11, 1, 4, 30), utc(2026, 11, 2, 4, 30), utc(2026, 11, 1, 3, 59)]
    report = pacing(rules(), utc(2026, 11, 2, 4, 45), follows, tz=NY)
    assert report.days[-1] == DayQuota(date(2026, 11, 1), 2, 2)
    assert report.days[-2].follows == 1  # 2026-11-01T03:59Z is Saturday 23:59 EDT
    assert report.follows_today == 2


def test_week_in_kiritimati_starts_on_the_utc_sunday():
    tz = ZoneInfo("Pacific/Kiritimati")
    # Monday 2026-11-23 00:00 local = 2026-11-22T10:00Z.
    follows = [utc(2026, 11, 22, 9, 59), utc(2026, 11, 22, 10, 0)]
    report = pacing(rules(), utc(2026, 11, 22, 12), follows, tz=tz)
    assert report.days[0] == DayQuota(date(2026, 11, 23), 2, 1)
    assert report.follows_this_week == report.follows_today == 1


def test_pago_pago_late_follow_counts_on_the_local_day():
    tz = ZoneInfo("Pacific/Pago_Pago")
    # 2026-11-26T10:30Z is Wednesday 2026-11-25 23:30 local (UTC-11).
    report = pacing(rules(), utc(2026, 11, 26, 10, 45), [utc(2026, 11, 26, 10, 30)], tz=tz)
    assert report.days[2] == DayQuota(date(2026, 11, 25), 2, 1)
    assert report.follows_today == 1


def test_follow_back_rate_is_null_without_outbound_follows():
    assert pacing(rules(), WED_NOON, [], back=(4, 0)).follow_back_rate is None
    assert pacing(rules(), WED_NOON, [], back=(0, 5)).follow_back_rate == 0.0


def test_rules_validation_and_presets():
    with pytest.raises(ValueError):
        rules(active_weekdays={7})
    with pytest.raises(ValueError):
        rules(daily_cap=0)
    with pytest.raises(ValueError):
        rules(weekly_target=3, active_weekdays=set())
    assert rules(active_weekdays=[0, 1]).active_weekdays == frozenset({0, 1})
    linkedin = preset_follow_rules("linkedin")
    assert (linkedin.daily_cap, linkedin.burst_limit, linkedin.platform_weekly_limit) == (
        20,
        10,
        100,
    )
    assert preset_follow_rules("x").platform_weekly_limit is None
