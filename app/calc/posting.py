"""Posting cadence (SPEC §6.2) and the ``post`` pre-flight check (§6.5)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.calc.guard import GuardResult, Reason, plural
from app.calc.timewindows import day_start, local_date, next_day_start, to_utc

OVER_POSTING = "over_posting"
BURST = "burst"
NO_POST = "no_post"


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
    flags: list[str]


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


def _streaks(days: list[PostingDay], anchor: date) -> tuple[int, int]:
    """(run of posting days ending at ``anchor``, longest run) over the given days."""
    longest = run = 0
    current = 0
    for day in days:
        run = run + 1 if day.posts > 0 else 0
        longest = max(longest, run)
        if day.date == anchor:
            current = run
    return current, longest


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
    today_start = day_start(local_date(as_of, tz), tz)
    posts_today = sum(1 for p in posts if today_start <= p)
    return section_from_days(
        rules,
        tz,
        as_of,
        first_day,
        last_day,
        day_summaries(tz, first_day, last_day, posts, rules.min_gap),
        posts_today,
    )


def section_from_days(
    rules: PostingRules,
    tz: ZoneInfo,
    as_of: datetime,
    first_day: date,
    last_day: date,
    summaries: Mapping[date, DaySummary],
    posts_today: int,
) -> PostingSection:
    """The section from per-day summaries (days up to ``as_of``; a day missing has no
    posts) and the number of posts on as_of's local day so far.

    ``current_streak``: consecutive days with ≥ 1 post ending today, or ending yesterday
    when today has no post yet, counted only over days inside the range (0 when that day
    is outside it). ``longest_streak``: the longest such run inside the range.
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
        flags = []
        if summary.posts > rules.max_posts_per_day:
            flags.append(OVER_POSTING)
        if summary.burst:
            flags.append(BURST)
        if ended and summary.posts < rules.min_posts_per_day:
            flags.append(NO_POST)
        days.append(PostingDay(day, summary.posts, flags))
        day += timedelta(days=1)

    anchor = today if posts_today > 0 else today - timedelta(days=1)
    current, longest = _streaks(days, anchor)
    return PostingSection(
        days=days,
        posts_today=posts_today,
        remaining_today=max(0, rules.max_posts_per_day - posts_today),
        over_posting_days=sum(1 for d in days if OVER_POSTING in d.flags),
        missed_days=sum(1 for d in days if NO_POST in d.flags),
        current_streak=current,
        longest_streak=longest,
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
