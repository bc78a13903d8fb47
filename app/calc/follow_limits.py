"""How many follows the limits allow at an instant, when more fit, and the follow guard.

SPEC §6.1 (``allowed_now``, ``next_allowed_at``) and the ``follow`` action of §6.5.
Re-exported by ``app.calc.pacing``; import from there.

For instants t ≥ as_of with no new follows, each limit's headroom only grows: follows
leave the burst window at f + window and the 7-day window at f + 7 days (a follow at f is
inside (t − w, t] iff f > t − w), and at each local midnight the day count restarts while
the warm-up cap never shrinks. So the earliest instant at which ``count`` fits is the
latest of the instants at which each limit alone lets it fit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.calc.follow_rules import (
    FollowRules,
    days_since_start,
    effective_daily_cap,
    first_day_with_cap,
)
from app.calc.guard import GuardResult, Reason, plural
from app.calc.timewindows import day_start, local_date, to_utc

SEVEN_DAYS = timedelta(days=7)


class FollowLog:
    """Outbound follow instants in UTC, sorted, with range counts."""

    def __init__(self, follows: Iterable[datetime], until: datetime | None = None) -> None:
        instants = (to_utc(f) for f in follows)
        if until is not None:
            until = to_utc(until)
            instants = (f for f in instants if f <= until)
        self.instants: list[datetime] = sorted(instants)

    def count(self, start: datetime, end: datetime) -> int:
        """Follows with start ≤ f ≤ end."""
        return max(0, bisect_right(self.instants, end) - bisect_left(self.instants, start))

    def count_before(self, start: datetime, end: datetime) -> int:
        """Follows with start ≤ f < end."""
        return max(0, bisect_left(self.instants, end) - bisect_left(self.instants, start))

    def within(self, after: datetime, end: datetime) -> list[datetime]:
        """Follows with after < f ≤ end, oldest first."""
        return self.instants[bisect_right(self.instants, after) : bisect_right(self.instants, end)]


@dataclass(frozen=True)
class FollowHeadroom:
    """The numbers behind ``allowed_now`` at one instant."""

    rules: FollowRules
    effective_cap: int
    follows_today: int
    follows_in_burst_window: int
    follows_in_7_days: int

    @property
    def daily(self) -> int:
        """More follows the (warm-up) daily cap alone allows today; may be negative."""
        return self.effective_cap - self.follows_today

    @property
    def burst(self) -> int:
        return self.rules.burst_limit - self.follows_in_burst_window

    @property
    def weekly(self) -> int | None:
        if self.rules.platform_weekly_limit is None:
            return None
        return self.rules.platform_weekly_limit - self.follows_in_7_days

    @property
    def allowed(self) -> int:
        limits = [self.daily, self.burst] + ([self.weekly] if self.weekly is not None else [])
        return max(0, min(limits))


def headroom(rules: FollowRules, tz: ZoneInfo, t: datetime, log: FollowLog) -> FollowHeadroom:
    """Headroom at ``t`` counting only the logged follows at or before ``t``."""
    t = to_utc(t)
    day = local_date(t, tz)
    return FollowHeadroom(
        rules=rules,
        effective_cap=effective_daily_cap(rules, day),
        follows_today=log.count(day_start(day, tz), t),
        follows_in_burst_window=len(log.within(t - rules.burst_window, t)),
        follows_in_7_days=len(log.within(t - SEVEN_DAYS, t)),
    )


def allowed_follows_at(
    rules: FollowRules, tz: ZoneInfo, t: datetime, follows: Iterable[datetime]
) -> int:
    """SPEC ``allowed_now`` at ``t``, counting the given follows that happened by ``t``."""
    return headroom(rules, tz, t, FollowLog(follows, until=t)).allowed


def limits_never_fitting(rules: FollowRules, count: int) -> list[str]:
    """Sentences for each limit that ``count`` follows at once exceed whatever the wait."""
    parts = []
    if count > rules.daily_cap:
        parts.append(f"the daily cap is {rules.daily_cap}")
    if count > rules.burst_limit:
        parts.append(
            f"the burst limit is {rules.burst_limit} per {rules.burst_window_minutes} minutes"
        )
    if rules.platform_weekly_limit is not None and count > rules.platform_weekly_limit:
        parts.append(f"the platform allows {rules.platform_weekly_limit} per rolling 7 days")
    return parts


def _check_count(count: int) -> None:
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")


def _next_allowed(
    rules: FollowRules, tz: ZoneInfo, as_of: datetime, log: FollowLog, count: int
) -> datetime | None:
    if limits_never_fitting(rules, count):
        return None
    room = headroom(rules, tz, as_of, log)
    t = as_of
    if room.daily < count:
        day = first_day_with_cap(rules, local_date(as_of, tz), count)
        assert day is not None  # count ≤ daily_cap
        t = max(t, day_start(day, tz))
    for window, limit in (
        (rules.burst_window, rules.burst_limit),
        (SEVEN_DAYS, rules.platform_weekly_limit),
    ):
        if limit is None:
            continue
        inside = log.within(as_of - window, as_of)
        must_leave = len(inside) - (limit - count)
        if must_leave > 0:
            t = max(t, inside[must_leave - 1] + window)
    return t


def next_follow_allowed_at(
    rules: FollowRules,
    tz: ZoneInfo,
    as_of: datetime,
    follows: Iterable[datetime],
    count: int = 1,
) -> datetime | None:
    """Earliest instant t ≥ as_of at which ``count`` follows are allowed if nothing else
    happens: ``as_of`` itself when they already are; None when they never can (count
    above the daily cap, the burst limit or the platform's weekly limit). Follows after
    ``as_of`` are ignored.
    """
    _check_count(count)
    as_of = to_utc(as_of)
    return _next_allowed(rules, tz, as_of, FollowLog(follows, until=as_of), count)


def check_follow(
    rules: FollowRules, tz: ZoneInfo, at: datetime, follows: Sequence[datetime], count: int = 1
) -> GuardResult:
    """The ``follow`` pre-flight check (SPEC §6.5) at instant ``at``.

    Codes: ``daily_cap``, ``burst_limit``, ``weekly_limit`` for each limit that alone
    allows fewer than ``count`` follows at ``at``; ``exceeds_limit`` (and no
    ``next_allowed_at``) when ``count`` can never fit. When allowed, ``next_allowed_at``
    is None, as in the pacing answer.
    """
    _check_count(count)
    at = to_utc(at)
    log = FollowLog(follows, until=at)
    room = headroom(rules, tz, at, log)
    asked = f"asked for {count}"
    reasons: list[Reason] = []
    if count > room.daily:
        warmup = ""
        if room.effective_cap < rules.daily_cap:
            d = days_since_start(rules, local_date(at, tz))
            warmup = f" (warm-up day {d + 1} of {rules.warmup_days}, full cap {rules.daily_cap})"
        reasons.append(
            Reason(
                "daily_cap",
                f"{plural(room.follows_today, 'follow')} today of an effective cap of "
                f"{room.effective_cap}{warmup}; {max(0, room.daily)} more allowed today, {asked}",
            )
        )
    if count > room.burst:
        reasons.append(
            Reason(
                "burst_limit",
                f"{plural(room.follows_in_burst_window, 'follow')} in the last "
                f"{rules.burst_window_minutes} minutes of a burst limit of {rules.burst_limit}; "
                f"{max(0, room.burst)} more allowed now, {asked}",
            )
        )
    if room.weekly is not None and count > room.weekly:
        reasons.append(
            Reason(
                "weekly_limit",
                f"{plural(room.follows_in_7_days, 'follow')} in the last 7 days of the "
                f"platform's limit of {rules.platform_weekly_limit} per rolling 7 days; "
                f"{max(0, room.weekly)} more allowed now, {asked}",
            )
        )
    never = limits_never_fitting(rules, count)
    if never:
        reasons.append(
            Reason(
                "exceeds_limit",
                f"{plural(count, 'follow')} at once can never be allowed: "
                + "; ".join(never)
                + "; split them into smaller batches",
            )
        )
        return GuardResult(allowed=False, reasons=reasons, next_allowed_at=None)
    if not reasons:
        return GuardResult(allowed=True, reasons=[], next_allowed_at=None)
    return GuardResult(
        allowed=False, reasons=reasons, next_allowed_at=_next_allowed(rules, tz, at, log, count)
    )
