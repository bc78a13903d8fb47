"""How many follows the limits allow at an instant, when more fit, and the follow guard.

SPEC §6.1 (``allowed_now``, ``next_allowed_at``) and the ``follow`` action of §6.5.
Re-exported by ``app.calc.pacing``; import from there.

For instants t ≥ as_of with no new follows, each limit's headroom only grows: follows
leave the burst window at f + window and the 7-day window at f + 7 days (a follow at f is
inside (t − w, t] iff f > t − w), and at each local midnight the day count restarts while
the warm-up cap never shrinks. So the earliest instant at which ``count`` fits is the
latest of the instants at which each limit alone lets it fit.

The platform's limits (SPEC §9.2: LinkedIn's 100 per rolling 7 days, x's 400 per local day,
Bluesky's shared budget of record creates, …) are ``rules.limit_rules``, evaluated by
``app.calc.platform_rules.evaluate_rules``. Their events come from a ``WindowSource``: by
default the follows given (enough when every rule counts follows alone); for a rule that also
counts other kinds the caller passes a source that has them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.calc.follow_rules import (
    SEVEN_DAYS,
    FollowRules,
    days_since_start,
    effective_daily_cap,
    first_day_with_cap,
    guard_code,
    is_weekly_rule,
)
from app.calc.guard import GuardResult, Reason, plural
from app.calc.platform_rules import RuleState, WindowSource, evaluate_rules
from app.calc.timewindows import day_start, local_date, to_utc

__all__ = [
    "SEVEN_DAYS",
    "FollowHeadroom",
    "FollowLog",
    "FollowSource",
    "allowed_follows_at",
    "check_follow",
    "headroom",
    "limits_never_fitting",
    "next_follow_allowed_at",
]


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


class FollowSource:
    """A ``WindowSource`` over a ``FollowLog``: follows only (other kinds count 0)."""

    def __init__(self, log: FollowLog) -> None:
        self.log = log

    def _slice(self, lower: datetime, inclusive: bool, end: datetime) -> list[datetime]:
        instants = self.log.instants
        lo = (bisect_left if inclusive else bisect_right)(instants, lower)
        return instants[lo : bisect_right(instants, end)]

    def count(self, kinds: Sequence[str], lower: datetime, inclusive: bool, end: datetime) -> int:
        return len(self._slice(lower, inclusive, end)) if "follow" in kinds else 0

    def kth_oldest(
        self, kinds: Sequence[str], k: int, lower: datetime, inclusive: bool, end: datetime
    ) -> datetime:
        return self._slice(lower, inclusive, end)[k - 1]


@dataclass(frozen=True)
class FollowHeadroom:
    """The numbers behind ``allowed_now`` at one instant."""

    rules: FollowRules
    effective_cap: int
    follows_today: int
    follows_in_burst_window: int
    follows_in_7_days: int
    rule_states: tuple[RuleState, ...] = ()

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
        """min of the daily cap's, the burst limit's and every platform rule's room (the
        weekly limit is one of the rules)."""
        limits = [self.daily, self.burst] + [s.room for s in self.rule_states]
        return max(0, min(limits))


def _source(log: FollowLog, source: WindowSource | None) -> WindowSource:
    return source if source is not None else FollowSource(log)


def headroom(
    rules: FollowRules,
    tz: ZoneInfo,
    t: datetime,
    log: FollowLog,
    source: WindowSource | None = None,
) -> FollowHeadroom:
    """Headroom at ``t`` counting only the logged follows at or before ``t`` (and, for the
    platform rules, the events of ``source`` when given)."""
    t = to_utc(t)
    day = local_date(t, tz)
    return FollowHeadroom(
        rules=rules,
        effective_cap=effective_daily_cap(rules, day),
        follows_today=log.count(day_start(day, tz), t),
        follows_in_burst_window=len(log.within(t - rules.burst_window, t)),
        follows_in_7_days=len(log.within(t - SEVEN_DAYS, t)),
        rule_states=evaluate_rules(rules.limit_rules, tz, t, _source(log, source)).states,
    )


def allowed_follows_at(
    rules: FollowRules,
    tz: ZoneInfo,
    t: datetime,
    follows: Iterable[datetime],
    source: WindowSource | None = None,
) -> int:
    """SPEC ``allowed_now`` at ``t``, counting the given follows that happened by ``t``."""
    return headroom(rules, tz, t, FollowLog(follows, until=t), source).allowed


def limits_never_fitting(rules: FollowRules, count: int) -> list[str]:
    """Sentences for each limit that ``count`` follows at once exceed whatever the wait."""
    parts = []
    if count > rules.daily_cap:
        parts.append(f"the daily cap is {rules.daily_cap}")
    if count > rules.burst_limit:
        parts.append(
            f"the burst limit is {rules.burst_limit} per {rules.burst_window_minutes} minutes"
        )
    for rule in rules.limit_rules:
        if count > rule.limit:
            if is_weekly_rule(rule):
                parts.append(f"the platform allows {rule.limit} per rolling 7 days")
            else:
                parts.append(rule.sentence())
    return parts


def _check_count(count: int) -> None:
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")


def _next_allowed(
    rules: FollowRules,
    tz: ZoneInfo,
    as_of: datetime,
    log: FollowLog,
    count: int,
    source: WindowSource | None = None,
    room: FollowHeadroom | None = None,
) -> datetime | None:
    if limits_never_fitting(rules, count):
        return None
    room = room or headroom(rules, tz, as_of, log, source)
    t = as_of
    if room.daily < count:
        day = first_day_with_cap(rules, local_date(as_of, tz), count)
        assert day is not None  # count ≤ daily_cap
        t = max(t, day_start(day, tz))
    inside = log.within(as_of - rules.burst_window, as_of)
    must_leave = len(inside) - (rules.burst_limit - count)
    if must_leave > 0:
        t = max(t, inside[must_leave - 1] + rules.burst_window)
    if any(s.room < count for s in room.rule_states):
        fits = evaluate_rules(rules.limit_rules, tz, as_of, _source(log, source), count).fits_at
        assert fits is not None  # count ≤ every rule's limit
        t = max(t, fits)
    return t


def next_follow_allowed_at(
    rules: FollowRules,
    tz: ZoneInfo,
    as_of: datetime,
    follows: Iterable[datetime],
    count: int = 1,
    source: WindowSource | None = None,
) -> datetime | None:
    """Earliest instant t ≥ as_of at which ``count`` follows are allowed if nothing else
    happens: ``as_of`` itself when they already are; None when they never can (count
    above the daily cap, the burst limit or the platform's weekly limit). Follows after
    ``as_of`` are ignored.
    """
    _check_count(count)
    as_of = to_utc(as_of)
    return _next_allowed(rules, tz, as_of, FollowLog(follows, until=as_of), count, source)


def check_follow(
    rules: FollowRules,
    tz: ZoneInfo,
    at: datetime,
    follows: Sequence[datetime],
    count: int = 1,
    source: WindowSource | None = None,
) -> GuardResult:
    """The ``follow`` pre-flight check (SPEC §6.5) at instant ``at``.

    Codes: ``daily_cap``, ``burst_limit``, ``weekly_limit`` (the rolling 7-day follow rule),
    ``platform_limit`` (each other platform rule, SPEC §9.2) for each limit that alone
    allows fewer than ``count`` follows at ``at``; ``exceeds_limit`` (and no
    ``next_allowed_at``) when ``count`` can never fit. When allowed, ``next_allowed_at``
    is None, as in the pacing answer.
    """
    _check_count(count)
    at = to_utc(at)
    log = FollowLog(follows, until=at)
    room = headroom(rules, tz, at, log, source)
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
    for state in room.rule_states:
        if count <= state.room:
            continue
        if is_weekly_rule(state.rule):
            detail = (
                f"{plural(state.used, 'follow')} in the last 7 days of the "
                f"platform's limit of {state.rule.limit} per rolling 7 days; "
                f"{max(0, state.room)} more allowed now, {asked}"
            )
        else:
            detail = f"{state.detail()}; {max(0, state.room):,} more allowed now, {asked}"
        reasons.append(Reason(guard_code(state.rule), detail))
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
        allowed=False,
        reasons=reasons,
        next_allowed_at=_next_allowed(rules, tz, at, log, count, source, room),
    )
