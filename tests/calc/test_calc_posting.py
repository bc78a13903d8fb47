"""Posting cadence (SPEC §6.2) and the post pre-flight check (§6.5)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.calc.posting import (
    PostingDay,
    PostingRules,
    UtcDayPosts,
    check_post,
    compute_posting_section,
    utc_day_verdict,
)

NY = ZoneInfo("America/New_York")
RULES = PostingRules(min_posts_per_day=1, max_posts_per_day=2, min_gap_minutes=60)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Saturday 2026-11-21 .. Friday 2026-11-27, as_of Friday 10:00 UTC.
AS_OF = utc(2026, 11, 27, 10)
WEEK_POSTS = [
    utc(2026, 11, 21, 9),
    utc(2026, 11, 22, 8),
    utc(2026, 11, 22, 12),
    utc(2026, 11, 22, 16),  # 3 > max 2
    utc(2026, 11, 23, 9),
    utc(2026, 11, 23, 9, 30),  # 30 min apart < 60
    # 2026-11-24: none
    utc(2026, 11, 25, 9),
    utc(2026, 11, 26, 23, 30),
    utc(2026, 11, 27, 11),  # after as_of: ignored
    utc(2026, 11, 20, 9),  # before the range: ignored
]


def section(
    posts, first=date(2026, 11, 21), last=date(2026, 11, 27), as_of=AS_OF, tz=UTC, rules=RULES
):
    return compute_posting_section(rules, tz, as_of, first, last, posts)


def test_flags_and_summary():
    s = section(WEEK_POSTS)
    assert s.days == [
        PostingDay(date(2026, 11, 21), 1, []),
        PostingDay(date(2026, 11, 22), 3, ["over_posting"]),
        PostingDay(date(2026, 11, 23), 2, ["burst"]),
        PostingDay(date(2026, 11, 24), 0, ["no_post"]),
        PostingDay(date(2026, 11, 25), 1, []),
        PostingDay(date(2026, 11, 26), 1, []),
        PostingDay(date(2026, 11, 27), 0, []),  # today has not ended: no no_post yet
    ]
    assert s.posts_today == 0
    assert s.remaining_today == 2
    assert s.over_posting_days == 1
    assert s.missed_days == 1
    assert s.current_streak == 2  # none today yet: 25, 26 end yesterday
    assert s.longest_streak == 3  # 21, 22, 23


def test_a_post_today_extends_the_current_streak():
    s = section([*WEEK_POSTS, utc(2026, 11, 27, 9)])
    assert s.posts_today == 1
    assert s.remaining_today == 1
    assert s.current_streak == 3  # 25, 26, 27
    assert s.longest_streak == 3


def test_current_streak_is_zero_after_a_missed_yesterday():
    s = section([utc(2026, 11, 21, 9), utc(2026, 11, 22, 9)])
    assert s.current_streak == 0
    assert s.longest_streak == 2
    assert s.missed_days == 4  # 23, 24, 25, 26 ended without a post; today not counted


def test_over_posting_and_burst_on_the_same_day_in_order():
    posts = [utc(2026, 11, 25, 9, m) for m in (0, 5, 10)]
    assert section(posts).days[4].flags == ["over_posting", "burst"]


def test_posts_exactly_min_gap_apart_are_not_a_burst():
    posts = [utc(2026, 11, 25, 9), utc(2026, 11, 25, 10)]
    assert section(posts).days[4].flags == []


def test_no_post_uses_min_posts_per_day():
    rules = PostingRules(min_posts_per_day=2, max_posts_per_day=5, min_gap_minutes=60)
    s = section([utc(2026, 11, 25, 9)], rules=rules)
    assert s.days[4].flags == ["no_post"]  # 1 < 2
    assert s.missed_days == 6  # every ended day


def test_days_after_today_are_empty_and_unflagged():
    s = section([utc(2026, 11, 27, 9)], first=date(2026, 11, 27), last=date(2026, 11, 30))
    assert [(d.posts, d.flags) for d in s.days] == [(1, []), (0, []), (0, []), (0, [])]
    assert s.current_streak == 1 and s.longest_streak == 1


def test_day_flagged_no_post_as_soon_as_it_has_ended():
    # as_of exactly at midnight: yesterday has ended, today has just begun.
    s = section([], first=date(2026, 11, 26), last=date(2026, 11, 27), as_of=utc(2026, 11, 27))
    assert [d.flags for d in s.days] == [["no_post"], []]


def test_current_streak_counts_back_from_today_whatever_the_range():
    # SPEC §6.2: only longest_streak is bounded by the range. Today has no post: the
    # streak ends yesterday (25, 26), even when the range ends two days before today...
    s = section(WEEK_POSTS, first=date(2026, 11, 21), last=date(2026, 11, 25))
    assert s.current_streak == 2
    assert s.longest_streak == 3
    # ...or starts yesterday, or lies in another month.
    assert (
        section(WEEK_POSTS, first=date(2026, 11, 26), last=date(2026, 11, 27)).current_streak == 2
    )
    assert section(WEEK_POSTS, first=date(2026, 10, 1), last=date(2026, 10, 7)).current_streak == 2
    # A post today extends it; ten days in a row count ten with any range.
    ten = [utc(2026, 11, 18 + d, 9) for d in range(10)]
    for first, last in [
        (date(2026, 11, 21), date(2026, 11, 27)),
        (date(2026, 11, 26), date(2026, 11, 27)),
        (date(2026, 11, 1), date(2026, 11, 25)),
    ]:
        assert section(ten, first=first, last=last).current_streak == 10


def test_posts_today_is_about_today_even_outside_the_range():
    s = section(
        [*WEEK_POSTS, utc(2026, 11, 27, 9)], first=date(2026, 11, 1), last=date(2026, 11, 7)
    )
    assert s.posts_today == 1 and s.remaining_today == 1
    assert sum(d.posts for d in s.days) == 0


def test_late_evening_post_in_new_york_counts_on_the_local_day():
    # 23:30 EST on 2026-11-26 = 04:30Z on 2026-11-27.
    s = section(
        [utc(2026, 11, 27, 4, 30)],
        first=date(2026, 11, 26),
        last=date(2026, 11, 27),
        as_of=utc(2026, 11, 27, 15),
        tz=NY,
    )
    assert [d.posts for d in s.days] == [1, 0]
    assert s.posts_today == 0
    assert s.current_streak == 1


def test_twenty_five_hour_day_holds_both_one_thirties():
    # 2026-11-01 01:30 EDT (05:30Z) and 01:30 EST (06:30Z) are an hour apart: no burst.
    s = section(
        [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)],
        first=date(2026, 11, 1),
        last=date(2026, 11, 1),
        as_of=utc(2026, 11, 3),
        tz=NY,
    )
    assert s.days == [PostingDay(date(2026, 11, 1), 2, [])]


def test_range_must_not_be_reversed():
    with pytest.raises(ValueError):
        section([], first=date(2026, 11, 27), last=date(2026, 11, 26))


# check_post, UTC, Wednesday 2026-11-25 12:00; max 2 a day, 60 minutes apart.
AT = utc(2026, 11, 25, 12)


def test_post_allowed():
    result = check_post(RULES, UTC, AT, [utc(2026, 11, 25, 9)], None, 1)
    assert result.allowed and result.reasons == [] and result.next_allowed_at is None


def test_too_soon():
    result = check_post(RULES, UTC, AT, [utc(2026, 11, 25, 11, 30)], None, 1)
    assert result.codes == ["too_soon"]
    assert result.reasons[0].detail == (
        "the last post was 30 minutes before; posts should be at least 60 minutes apart, "
        "next at 2026-11-25T12:30:00Z"
    )
    assert result.next_allowed_at == utc(2026, 11, 25, 12, 30)


def test_too_soon_after_yesterdays_last_post():
    at = utc(2026, 11, 26, 0, 10)
    result = check_post(RULES, UTC, at, [], utc(2026, 11, 25, 23, 30), 1)
    assert result.codes == ["too_soon"]
    assert result.next_allowed_at == utc(2026, 11, 26, 0, 30)


def test_over_posting_waits_for_the_next_local_midnight():
    result = check_post(RULES, UTC, AT, [utc(2026, 11, 25, 8), utc(2026, 11, 25, 9)], None, 1)
    assert result.codes == ["over_posting"]
    assert result.reasons[0].detail == (
        "2 posts today of a maximum of 2 a day; 0 more allowed today, asked for 1"
    )
    assert result.next_allowed_at == utc(2026, 11, 26)
    # Asking for 2 with one post today is over too.
    assert check_post(RULES, UTC, AT, [utc(2026, 11, 25, 8)], None, 2).codes == ["over_posting"]


def test_both_reasons_and_the_later_instant():
    posts = [utc(2026, 11, 25, 8), utc(2026, 11, 25, 11, 30)]
    result = check_post(RULES, UTC, AT, posts, utc(2026, 11, 25, 11, 30), 1)
    assert result.codes == ["over_posting", "too_soon"]
    assert result.next_allowed_at == utc(2026, 11, 26)  # midnight is after 12:30
    # Gap ending after midnight: 23:45 post, asked at 23:50 -> 00:45 next day.
    late = [utc(2026, 11, 25, 8), utc(2026, 11, 25, 23, 45)]
    result = check_post(RULES, UTC, utc(2026, 11, 25, 23, 50), late, None, 1)
    assert result.next_allowed_at == utc(2026, 11, 26, 0, 45)


def test_count_above_the_daily_maximum_never_fits():
    result = check_post(RULES, UTC, AT, [], None, 3)
    assert result.codes == ["over_posting", "exceeds_limit"]
    assert result.next_allowed_at is None


def test_posts_after_at_and_on_other_days_are_ignored():
    posts = [utc(2026, 11, 24, 9), utc(2026, 11, 24, 10), utc(2026, 11, 25, 13)]
    assert check_post(RULES, UTC, AT, posts, None, 1).allowed


def test_over_posting_on_new_yorks_23_hour_day():
    # 2026-03-08 20:00 EDT = 2026-03-09T00:00Z; next midnight 2026-03-09 00:00 EDT = 04:00Z.
    posts = [utc(2026, 3, 8, 14), utc(2026, 3, 8, 18)]
    result = check_post(RULES, NY, utc(2026, 3, 9, 0), posts, None, 1)
    assert result.codes == ["over_posting"]
    assert result.next_allowed_at == utc(2026, 3, 9, 4)


# utc_day_verdict: a local day told from per-UTC-day (count, first, last) alone.
def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_verdict_from_the_tail_and_the_head_of_the_shared_utc_days():
    # A New York day (UTC-5): [05:00Z, 05:00Z next day).
    start, end = _utc(2, 5), _utc(3, 5)
    tail_only = {date(2026, 3, 2): UtcDayPosts(2, _utc(2, 1), _utc(2, 5))}
    assert utc_day_verdict(start, end, tail_only) is True  # the last post, at the start
    before_start = {date(2026, 3, 2): UtcDayPosts(2, _utc(2, 1), _utc(2, 4, 59))}
    assert utc_day_verdict(start, end, before_start) is False  # the previous local day's
    head = {date(2026, 3, 3): UtcDayPosts(1, _utc(3, 4, 59), _utc(3, 4, 59))}
    assert utc_day_verdict(start, end, head) is True
    at_end = {date(2026, 3, 3): UtcDayPosts(1, _utc(3, 5), _utc(3, 9))}
    assert utc_day_verdict(start, end, at_end) is False  # the next local day's
    assert utc_day_verdict(start, end, {}) is False


def test_verdict_of_a_short_local_day_between_two_posts_is_unknown():
    # 2026-03-08 in New York is 23 hours long: [05:00Z, 04:00Z next day). A 23-hour UTC
    # span inside one UTC day (as in a zone of offset +00:30 on such a day) with posts on
    # both sides can only be told by its events.
    start, end = _utc(8, 0, 30), _utc(8, 23, 30)
    around = {date(2026, 3, 8): UtcDayPosts(2, _utc(8, 0, 10), _utc(8, 23, 50))}
    assert utc_day_verdict(start, end, around) is None
    no_bounds = {date(2026, 3, 8): UtcDayPosts(2)}
    assert utc_day_verdict(start, end, no_bounds) is None
    # A UTC day wholly inside a 25-hour local day tells by its count alone.
    assert utc_day_verdict(_utc(7, 23), _utc(9, 0), {date(2026, 3, 8): UtcDayPosts(1)}) is True
