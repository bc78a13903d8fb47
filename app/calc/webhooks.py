"""Webhook rules (SPEC §12), pure: the retry schedule, when an endpoint is disabled, and the
conditions of the event-driven types, each computed by the rule it is about (``pacing``,
``posting``, ``platform_rules``, ``ratios``), never by a copy of it.

- ``retry_delay``: the delay before attempt n + 1 after n failed attempts (5 s, 5 min,
  30 min, 2 h, 5 h, 10 h, 10 h, ± 10 % jitter), None when the delivery has failed for good.
- ``pacing_breaches``: the limits a platform's follows pass on one local day: the effective
  daily cap (``daily_cap``), the burst limit (``burst_limit``) and each platform rule whose
  kinds include follows (by the rule's name).
- ``posting_flags``: ``over_posting`` and ``burst`` of one local day (SPEC §6.2's flags).
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.calc.follow_rules import FollowRules, effective_daily_cap
from app.calc.pacing import peak_burst
from app.calc.platform_rules import EventLog
from app.calc.posting import BURST, OVER_POSTING, PostingRules, day_summaries, section_from_days
from app.calc.timewindows import day_bounds, day_start, local_date, to_utc, week_monday

# After the n-th failed attempt (n = 1…7) the next one waits RETRY_DELAYS[n − 1]; after the
# 8th the delivery is failed.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.1
DISABLE_AFTER = timedelta(days=5)

DAILY_CAP = "daily_cap"
BURST_LIMIT = "burst_limit"


def retry_delay(failed_attempts: int, unit: float | None = None) -> timedelta | None:
    """The wait before the next attempt after ``failed_attempts`` failures; None when none is
    left. ``unit`` in [0, 1) picks the jitter (0.5: none; default: random): the delay is
    scaled by 1 − 10 % … 1 + 10 %."""
    if failed_attempts < 1:
        raise ValueError(f"failed_attempts must be at least 1, got {failed_attempts}")
    if failed_attempts > len(RETRY_DELAYS):
        return None
    u = random.random() if unit is None else unit
    if not 0 <= u <= 1:
        raise ValueError(f"unit must be in [0, 1], got {u}")
    return RETRY_DELAYS[failed_attempts - 1] * (1 + JITTER * (2 * u - 1))


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """An endpoint whose deliveries have all failed since ``failing_since`` is disabled once
    that is 5 days ago."""
    return failing_since is not None and to_utc(now) - to_utc(failing_since) >= DISABLE_AFTER


class PacingDays:
    """``pacing_breaches`` for many local days of one platform at once: the events are
    sorted once, and each day is a bisection of them (a batch of a thousand events over
    weeks of days costs one sort, not one per day)."""

    def __init__(
        self,
        rules: FollowRules,
        tz: ZoneInfo,
        follows: Sequence[datetime],
        rule_events: Sequence[tuple[str, datetime]] = (),
    ) -> None:
        self.rules, self.tz = rules, tz
        self.follows = sorted(to_utc(f) for f in follows)
        log = EventLog(rule_events or [("follow", f) for f in self.follows])
        # Per rule: the instants of its kinds, merged and sorted.
        self.rule_instants = [
            sorted(t for kind in set(rule.kinds) for t in log.by_kind.get(kind, []))
            for rule in rules.limit_rules
        ]

    def breaches(self, day: date) -> list[str]:
        """Names of the limits the follows of local ``day`` pass (SPEC §6.1 ``over_limit``,
        §9.2): ``daily_cap`` when the day has more follows than its effective daily cap,
        ``burst_limit`` when its peak burst is over the burst limit, and each platform rule
        (``rules.limit_rules``) whose window, ending at one of the day's events of its
        kinds, holds more than its limit."""
        rules, tz = self.rules, self.tz
        start, end = day_bounds(day, tz)
        today = self.follows[bisect_left(self.follows, start) : bisect_left(self.follows, end)]
        found = []
        if len(today) > effective_daily_cap(rules, day):
            found.append(DAILY_CAP)
        if peak_burst(today, rules.burst_window) > rules.burst_limit:
            found.append(BURST_LIMIT)
        for rule, instants in zip(rules.limit_rules, self.rule_instants, strict=True):
            first, last = bisect_left(instants, start), bisect_left(instants, end)
            if rule.rolling and first < last:
                # Every window ending at one of the day's events lies within (the first's
                # lower bound, the last]: when that holds no more than the limit, none does.
                lower, _ = rule.window_bounds(instants[first], tz)
                held = bisect_right(instants, instants[last - 1]) - bisect_right(instants, lower)
                if held <= rule.limit:
                    continue
            # A window's count only grows at an event: look at the windows that end at the
            # day's events. A local-day window starts at the same midnight for all of them,
            # so its fullest is the one ending at the day's last event.
            ends = range(first, last) if rule.rolling else range(max(first, last - 1), last)
            for j in ends:
                t = instants[j]
                lower, inclusive = rule.window_bounds(t, tz)
                lo = (bisect_left if inclusive else bisect_right)(instants, lower)
                if bisect_right(instants, t) - lo > rule.limit:
                    found.append(rule.name)
                    break
        return found


def pacing_breaches(
    rules: FollowRules,
    tz: ZoneInfo,
    day: date,
    follows: Sequence[datetime],
    rule_events: Sequence[tuple[str, datetime]] = (),
) -> list[str]:
    """``PacingDays(...).breaches(day)`` for one day. ``follows``: outbound follow instants
    covering at least the day; ``rule_events``: (kind, instant) of the rules' kinds covering
    the day and the longest rule window before it (default: the follows alone)."""
    return PacingDays(rules, tz, follows, rule_events).breaches(day)


def posting_flags(
    rules: PostingRules, tz: ZoneInfo, day: date, posts: Sequence[datetime]
) -> list[str]:
    """``over_posting`` and ``burst`` of local ``day`` (SPEC §6.2), from its posts."""
    summaries = day_summaries(tz, day, day, posts, rules.min_gap)
    end = day_bounds(day, tz)[1]
    # The day as the cadence flags it (no_post is about ended days and not a webhook type).
    section = section_from_days(rules, tz, end, day, day, summaries, 0)
    return [f for f in section.days[0].flags if f in (OVER_POSTING, BURST)]


def next_weekly_report_at(now: datetime, tz: ZoneInfo) -> datetime:
    """The first local Monday 00:00 after ``now`` (when the next report.weekly is due)."""
    return day_start(week_monday(local_date(now, tz)) + timedelta(days=7), tz)


def reported_week(due_at: datetime, tz: ZoneInfo) -> date:
    """The Monday of the ISO week a report.weekly due at ``due_at`` reports: the week
    before the one that local Monday starts."""
    return week_monday(local_date(due_at, tz)) - timedelta(days=7)
