"""Outreach pacing (SPEC §6.1) and, re-exported from ``follow_limits``, the follow guard (§6.5).

Public API: ``FollowRules``, ``daily_quotas``, ``effective_daily_cap``,
``follows_fetch_start``, ``compute_pacing`` → ``PacingReport``, ``allowed_follows_at``,
``next_follow_allowed_at``, ``check_follow``, ``preset_follow_rules``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.calc.follow_limits import (
    SEVEN_DAYS,
    FollowLog,
    allowed_follows_at,
    check_follow,
    headroom,
    next_follow_allowed_at,
)
from app.calc.follow_rules import FollowRules, effective_daily_cap, preset_follow_rules
from app.calc.platform_rules import WindowSource
from app.calc.timewindows import day_bounds, day_start, local_date, to_utc, week_days

__all__ = [
    "DayQuota",
    "FollowRules",
    "PaceStatus",
    "PacingReport",
    "allowed_follows_at",
    "check_follow",
    "compute_pacing",
    "daily_quotas",
    "effective_daily_cap",
    "follows_fetch_start",
    "next_follow_allowed_at",
    "peak_burst",
    "preset_follow_rules",
]


def daily_quotas(weekly_target: int, active_weekdays: Iterable[int]) -> list[int]:
    """Seven quotas, Monday first: with n active days, base = T div n, and the first
    T mod n active days get base + 1; inactive days get 0. They sum to T."""
    active = sorted(set(active_weekdays))
    if not all(0 <= d <= 6 for d in active):
        raise ValueError(f"weekdays must be 0 (Monday) to 6 (Sunday), got {active}")
    if weekly_target < 0:
        raise ValueError(f"weekly_target must not be negative, got {weekly_target}")
    quotas = [0] * 7
    if not active:
        if weekly_target:
            raise ValueError(f"a weekly_target of {weekly_target} needs an active weekday")
        return quotas
    base, extra = divmod(weekly_target, len(active))
    for i, day in enumerate(active):
        quotas[day] = base + (1 if i < extra else 0)
    return quotas


def follows_fetch_start(as_of: datetime, tz: ZoneInfo, rules: FollowRules) -> datetime:
    """Earliest instant (UTC) whose outbound follows pacing needs: the service fetches
    follows in [this, as_of]. min(this week's local Monday 00:00, as_of − 7 days,
    as_of − burst window, as_of − the longest platform rule's window)."""
    as_of = to_utc(as_of)
    monday_start = day_start(week_days(local_date(as_of, tz))[0], tz)
    longest = max((r.window for r in rules.limit_rules), default=SEVEN_DAYS)
    return min(monday_start, as_of - SEVEN_DAYS, as_of - rules.burst_window, as_of - longest)


def peak_burst(instants: Sequence[datetime], window: timedelta) -> int:
    """Most of ``instants`` (sorted, UTC) inside any half-open window (t − window, t]:
    a follow at t and one at t + window are never in the same window."""
    best = 0
    for j, end in enumerate(instants):
        last = bisect_right(instants, end, lo=j) - 1  # include equal instants
        first = bisect_right(instants, end - window)
        best = max(best, last - first + 1)
    return best


# The pacing status at as_of (§6.1).
PaceStatus = Literal["over_limit", "ahead", "behind", "on_track"]


@dataclass(frozen=True)
class DayQuota:
    date: date
    quota: int
    follows: int


@dataclass(frozen=True)
class PacingReport:
    """The computed part of the pacing answer (the API adds platform, as_of and the plan)."""

    effective_daily_cap: int
    follows_today: int
    follows_this_week: int
    unfollows_today: int
    expected_by_today: int
    expected_before_today: int
    recommended_today: int
    remaining_today: int
    peak_burst_today: int
    allowed_now: int
    next_allowed_at: datetime | None
    status: PaceStatus
    follow_back_rate: float | None
    days: list[DayQuota]


def _status(
    follows_today: int, cap: int, peak: int, burst_limit: int, week: int, by: int, before: int
) -> PaceStatus:
    if follows_today > cap or peak > burst_limit:
        return "over_limit"
    if week > by:
        return "ahead"
    if week < before:
        return "behind"
    return "on_track"


def compute_pacing(
    rules: FollowRules,
    tz: ZoneInfo,
    as_of: datetime,
    follows: Sequence[datetime],
    unfollows_today: int,
    follow_back: tuple[int, int],
    source: WindowSource | None = None,
) -> PacingReport:
    """SPEC §6.1 at ``as_of``.

    ``follows``: outbound follow instants covering at least [follows_fetch_start, as_of],
    in any order (later ones are ignored). ``unfollows_today``: already counted.
    ``follow_back``: (inbound follows, outbound follows) in the follow-back window.
    ``source``: the events of the platform rules (SPEC §9.2) when a rule also counts kinds
    other than follows; by default the follows given.
    """
    as_of = to_utc(as_of)
    log = FollowLog(follows, until=as_of)
    today = local_date(as_of, tz)
    week = week_days(today)
    idx = today.weekday()
    today_start = day_start(today, tz)
    week_start = day_start(week[0], tz)

    quotas = daily_quotas(rules.weekly_target, rules.active_weekdays)
    room = headroom(rules, tz, as_of, log, source)
    cap = room.effective_cap
    follows_today = room.follows_today
    follows_this_week = log.count(week_start, as_of)
    before_today = log.count_before(week_start, today_start)

    if idx in rules.active_weekdays:
        days_left = sum(1 for d in rules.active_weekdays if d >= idx)
        still_to_do = max(0, rules.weekly_target - before_today)
        recommended = min(cap, -(-still_to_do // days_left))  # ceil division
    else:
        recommended = 0

    today_follows = log.instants[len(log.instants) - follows_today :] if follows_today else []
    peak = peak_burst(today_follows, rules.burst_window)
    expected_by = sum(quotas[: idx + 1])
    expected_before = sum(quotas[:idx])
    allowed_now = room.allowed

    days = []
    for d in week:
        start, end = day_bounds(d, tz)
        days.append(DayQuota(d, quotas[d.weekday()], log.count_before(start, end)))

    inbound, outbound = follow_back
    return PacingReport(
        effective_daily_cap=cap,
        follows_today=follows_today,
        follows_this_week=follows_this_week,
        unfollows_today=unfollows_today,
        expected_by_today=expected_by,
        expected_before_today=expected_before,
        recommended_today=recommended,
        remaining_today=max(0, recommended - follows_today),
        peak_burst_today=peak,
        allowed_now=allowed_now,
        next_allowed_at=(
            None
            if allowed_now > 0
            else next_follow_allowed_at(rules, tz, as_of, log.instants, source=source)
        ),
        status=_status(
            follows_today,
            cap,
            peak,
            rules.burst_limit,
            follows_this_week,
            expected_by,
            expected_before,
        ),
        follow_back_rate=(inbound / outbound) if outbound > 0 else None,
        days=days,
    )
