"""Posting cadence (SPEC §6.2) and the ``post`` pre-flight check (§6.5)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from app.calc.guard import GuardResult, Reason, plural
from app.calc.timewindows import day_start, local_date, next_day_start, to_utc

# The flags of a posting day (§6.2).
PostingFlag = Literal["over_posting", "burst", "no_post"]
OVER_POSTING: Final = "over_posting"
BURST: Final = "burst"
NO_POST: Final = "no_post"


@dataclass(frozen=True)
class PostingRules:
    min_posts_per_day: int
    max_posts_per_day: int
    min_gap_minutes: int

    def __post_init__(self) -> None:
        for name in ("min_posts_per_day", "max_posts_per_day", "min_gap_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    @property
    def min_gap(self) -> timedelta:
        return timedelta(minutes=self.min_gap_minutes)


@dataclass(frozen=True)
class PostingDay:
    date: date
    posts: int
    flags: list[PostingFlag]


@dataclass(frozen=True)
class PostingSection:
    """One platform's section; the API adds ``platform``.

    ``over_posting_days`` and ``missed_days`` are counts of days flagged ``over_posting``
    and ``no_post``.
    """

    days: list[PostingDay]
    posts_today: int
    remaining_today: int
    over_posting_days: int
    missed_days: int
    current_streak: int
    longest_streak: int


def _longest_streak(days: list[PostingDay]) -> int:
    longest = run = 0
    for day in days:
        run = run + 1 if day.posts > 0 else 0
        longest = max(longest, run)
    return longest


def streak_anchor(today: date, posts_today: int) -> date:
    """The day the current streak ends on: today once it has a post, else yesterday."""
    return today if posts_today > 0 else today - timedelta(days=1)


def run_back(anchor: date, posted: Mapping[date, bool] | Mapping[date, DaySummary]) -> int:
    """Consecutive days ending at ``anchor`` that have a post (a day missing has none)."""
    run, day = 0, anchor
    while (value := posted.get(day)) is not None and (
        value.posts > 0 if isinstance(value, DaySummary) else value
    ):
        run, day = run + 1, day - timedelta(days=1)
    return run


@dataclass(frozen=True)
class UtcDayPosts:
    """One UTC day's outbound broadcasts: how many, and the first and last instant (None
    when not known: then only the count tells, for a UTC day the local day holds wholly)."""

    count: int
    first: datetime | None = None
    last: datetime | None = None


def utc_day_verdict(
    start: datetime, end: datetime, broadcasts: Mapping[date, UtcDayPosts]
) -> bool | None:
    """Whether the local day [start, end) has a broadcast, from per-UTC-day summaries alone
    (``broadcasts``: UTC day → its posts, missing = none). A UTC day it holds wholly tells
    by its count; one it shares with a neighbour, by its bounds: the local day takes that
    UTC day's tail (a post at or after ``start`` is one ≤ the last) or its head (a post
    before ``end`` is one ≥ the first). None only when one UTC day holds the whole local
    day with posts on both sides of it (a local day shorter than a UTC day, between two
    posts): then only the events can tell."""
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    unknown = False
    for i in range((last - first).days + 1):
        day = broadcasts.get(first + timedelta(days=i))
        if day is None or day.count <= 0:
            continue
        midnight = datetime.combine(first + timedelta(days=i), datetime.min.time(), start.tzinfo)
        lo, hi = max(start, midnight), min(end, midnight + timedelta(days=1))
        if (lo, hi) == (midnight, midnight + timedelta(days=1)):
            return True  # a UTC day with posts lies wholly inside the local day
        if day.first is None or day.last is None:
            unknown = True
            continue
        if day.first >= hi or day.last < lo:
            continue  # every post of that UTC day is outside the local day
        if day.first >= lo or day.last < hi:
            return True  # the first (or the last) post lies inside [lo, hi)
        unknown = True  # posts before and after [lo, hi); inside, maybe
    return None if unknown else False


@dataclass(frozen=True)
class DaySummary:
    """What the cadence needs of one local day: its posts and whether two of them were
    closer than the minimum gap."""

    posts: int
    burst: bool


def day_summaries(
    tz: ZoneInfo, first_day: date, last_day: date, posts: Sequence[datetime], min_gap: timedelta
) -> dict[date, DaySummary]:
    """Local days ``first_day``..``last_day`` → summary, for days with at least one of
    ``posts`` (UTC instants, any order; those outside the days are ignored).

    The days' bounds are computed once and each post is placed by bisection, so a dense
    range costs no time-zone conversion per post."""
    days = []
    day = first_day
    while day <= last_day:
        days.append(day)
        day += timedelta(days=1)
    bounds = [day_start(d, tz) for d in days] + [day_start(last_day + timedelta(days=1), tz)]
    by_day: dict[int, list[datetime]] = {}
    for post in sorted(to_utc(p) for p in posts):
        i = bisect.bisect_right(bounds, post) - 1
        if 0 <= i < len(days) and post < bounds[i + 1]:
            by_day.setdefault(i, []).append(post)
    return {
        days[i]: DaySummary(len(ps), any(b - a < min_gap for a, b in itertools.pairwise(ps)))
        for i, ps in by_day.items()
    }


def compute_posting_section(
    rules: PostingRules,
    tz: ZoneInfo,
    as_of: datetime,
    first_day: date,
    last_day: date,
    posts: Sequence[datetime],
) -> PostingSection:
    """SPEC §6.2 for local days ``first_day``..``last_day`` (inclusive) at ``as_of``.

    ``posts`` are outbound broadcast instants, in any order; those outside the range or
    after ``as_of`` are ignored for ``days``. ``posts_today`` / ``remaining_today`` are
    about as_of's local day whatever the range, counted from the given posts, so the
    caller must include today's posts even when today is outside the range.
    """
    if last_day < first_day:
        raise ValueError(f"the range ends ({last_day}) before it starts ({first_day})")
    as_of = to_utc(as_of)
    posts = [p for p in (to_utc(p) for p in posts) if p <= as_of]
    today = local_date(as_of, tz)
    today_start = day_start(today, tz)
    posts_today = sum(1 for p in posts if today_start <= p)
    # The current streak counts back from today whatever the range: summarise every day
    # from the earliest post on, and let the section pick the range's days.
    earliest = min([first_day, today, *(local_date(p, tz) for p in posts)])
    summaries = day_summaries(tz, earliest, max(last_day, today), posts, rules.min_gap)
    return section_from_days(
        rules,
        tz,
        as_of,
        first_day,
        last_day,
        summaries,
        posts_today,
        run_back(streak_anchor(today, posts_today), summaries),
    )


def section_from_days(
    rules: PostingRules,
    tz: ZoneInfo,
    as_of: datetime,
    first_day: date,
    last_day: date,
    summaries: Mapping[date, DaySummary],
    posts_today: int,
    current_streak: int | None = None,
) -> PostingSection:
    """The section from per-day summaries (days up to ``as_of``; a day missing has no
    posts) and the number of posts on as_of's local day so far.

    ``current_streak`` (SPEC §6.2): consecutive days with ≥ 1 post ending today, or ending
    yesterday when today has no post yet, counted back from today whatever the range; the
    caller gives it (it reaches outside the range), else it is counted over ``summaries``.
    ``longest_streak``: the longest run of posting days inside the range.
    """
    if last_day < first_day:
        raise ValueError(f"the range ends ({last_day}) before it starts ({first_day})")
    as_of = to_utc(as_of)
    today = local_date(as_of, tz)
    nothing = DaySummary(0, False)
    days = []
    day = first_day
    while day <= last_day:
        summary = summaries.get(day, nothing)
        # A day has ended by as_of exactly when it is before as_of's local day (local days
        # start in order), so no time-zone arithmetic per day.
        ended = day < today
        flags: list[PostingFlag] = []
        if summary.posts > rules.max_posts_per_day:
            flags.append(OVER_POSTING)
        if summary.burst:
            flags.append(BURST)
        if ended and summary.posts < rules.min_posts_per_day:
            flags.append(NO_POST)
        days.append(PostingDay(day, summary.posts, flags))
        day += timedelta(days=1)

    if current_streak is None:
        current_streak = run_back(streak_anchor(today, posts_today), summaries)
    return PostingSection(
        days=days,
        posts_today=posts_today,
        remaining_today=max(0, rules.max_posts_per_day - posts_today),
        over_posting_days=sum(1 for d in days if OVER_POSTING in d.flags),
        missed_days=sum(1 for d in days if NO_POST in d.flags),
        current_streak=current_streak,
        longest_streak=_longest_streak(days),
    )


def check_post(
    rules: PostingRules,
    tz: ZoneInfo,
    at: datetime,
    posts_today: Sequence[datetime],
    last_post_before: datetime | None,
    count: int = 1,
) -> GuardResult:
    """The ``post`` pre-flight check (SPEC §6.5) at ``at``.

    ``posts_today``: broadcast instants of at's local day (others and those after ``at``
    are ignored). ``last_post_before``: the latest broadcast at or before ``at`` (from any
    day), or None; the later of it and today's posts is used.

    Codes: ``over_posting`` when today's posts + count > max; ``too_soon`` when the last
    post is less than ``min_gap_minutes`` before ``at``; ``exceeds_limit`` (and no
    ``next_allowed_at``) when count > ``max_posts_per_day``. Otherwise ``next_allowed_at``
    is the earliest instant when neither applies: the next local midnight clears
    over-posting, the last post + min gap clears too-soon. None when allowed.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    at = to_utc(at)
    start = day_start(local_date(at, tz), tz)
    today = [p for p in (to_utc(p) for p in posts_today) if start <= p <= at]
    candidates = today + ([to_utc(last_post_before)] if last_post_before is not None else [])
    last = max((p for p in candidates if p <= at), default=None)

    reasons: list[Reason] = []
    ready_at = at
    if len(today) + count > rules.max_posts_per_day:
        left = max(0, rules.max_posts_per_day - len(today))
        reasons.append(
            Reason(
                OVER_POSTING,
                f"{plural(len(today), 'post')} today of a maximum of {rules.max_posts_per_day} "
                f"a day; {left} more allowed today, asked for {count}",
            )
        )
        ready_at = max(ready_at, next_day_start(at, tz))
    if last is not None and at - last < rules.min_gap:
        gap_end = last + rules.min_gap
        waited = int((at - last).total_seconds() // 60)
        reasons.append(
            Reason(
                "too_soon",
                f"the last post was {plural(waited, 'minute')} before; posts should be at "
                f"least {rules.min_gap_minutes} minutes apart, next at "
                f"{gap_end.isoformat().replace('+00:00', 'Z')}",
            )
        )
        ready_at = max(ready_at, gap_end)
    if count > rules.max_posts_per_day:
        reasons.append(
            Reason(
                "exceeds_limit",
                f"{plural(count, 'post')} can never be allowed in one day: the maximum is "
                f"{rules.max_posts_per_day} a day",
            )
        )
        return GuardResult(allowed=False, reasons=reasons, next_allowed_at=None)
    if not reasons:
        return GuardResult(allowed=True, reasons=[], next_allowed_at=None)
    return GuardResult(allowed=False, reasons=reasons, next_allowed_at=ready_at)
