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


def pacing_breaches(
    rules: FollowRules,
    tz: ZoneInfo,
    day: date,
    follows: Sequence[datetime],
    rule_events: Sequence[tuple[str, datetime]] = (),
) -> list[str]:
    """Names of the limits the follows of local ``day`` pass (SPEC §6.1 ``over_limit``,
    §9.2): ``daily_cap`` when the day has more follows than its effective daily cap,
    ``burst_limit`` when its peak burst is over the burst limit, and each platform rule
    (``rules.limit_rules``) whose window, ending at one of the day's events, holds more than
    its limit. ``follows``: outbound follow instants covering at least the day;
    ``rule_events``: (kind, instant) of the rules' kinds covering the day and the longest
    rule window before it (default: the follows alone)."""
    start, end = day_bounds(day, tz)
    instants = sorted(t for t in (to_utc(f) for f in follows) if start <= t < end)
    breaches = []
    if len(instants) > effective_daily_cap(rules, day):
        breaches.append(DAILY_CAP)
    if peak_burst(instants, rules.burst_window) > rules.burst_limit:
        breaches.append(BURST_LIMIT)
    log = EventLog(rule_events or [("follow", f) for f in follows])
    for rule in rules.limit_rules:
        # A window's count only grows at an event, so the windows that end at the day's
        # events of the rule's kinds are the ones to look at.
        ends = sorted(
            {t for kind in rule.kinds for t in log.by_kind.get(kind, []) if start <= t < end}
        )
        if any(log.count(rule.kinds, *rule.window_bounds(t, tz), t) > rule.limit for t in ends):
            breaches.append(rule.name)
    return breaches


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
