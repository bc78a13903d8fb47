"""Per-day follow limits over one week, for the weekly report (SPEC §6.8).

A local day is over the limit when its follows exceed that day's effective cap (warm-up
included) or its peak burst (the most of that day's follows inside any half-open window
of ``burst_window_minutes``, as ``peak_burst_today`` of §6.1) exceeds ``burst_limit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.calc.follow_rules import FollowRules, effective_daily_cap
from app.calc.pacing import peak_burst
from app.calc.timewindows import local_date, to_utc


@dataclass(frozen=True)
class FollowDay:
    date: date
    quota: int
    follows: int
    effective_cap: int
    peak_burst: int
    over_limit: bool


def follow_days(
    rules: FollowRules,
    tz: ZoneInfo,
    days: Sequence[tuple[date, int]],
    follows: Sequence[datetime],
    as_of: datetime,
) -> list[FollowDay]:
    """``days``: (local date, quota) pairs; ``follows``: outbound follow instants (those
    after ``as_of`` are ignored). One FollowDay per given day."""
    as_of = to_utc(as_of)
    by_day: dict[date, list[datetime]] = {}
    for instant in sorted(to_utc(f) for f in follows):
        if instant <= as_of:
            by_day.setdefault(local_date(instant, tz), []).append(instant)
    result = []
    for day, quota in days:
        todays = by_day.get(day, [])
        cap = effective_daily_cap(rules, day)
        peak = peak_burst(todays, rules.burst_window)
        result.append(
            FollowDay(
                day, quota, len(todays), cap, peak, len(todays) > cap or peak > rules.burst_limit
            )
        )
    return result
