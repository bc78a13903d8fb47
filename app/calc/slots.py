"""When to follow and when to post today (SPEC §11): slots inside the working hours.

Follow slots: ``remaining_today`` (§6.1) instants in [max(as_of, start of work), end of
work), spread evenly (the i-th of n at the middle of the i-th n-th of the span), at least
``burst_window ÷ burst_limit`` apart, each moved by a deterministic jitter. The jitter of
slot i is a number in [−1, 1] drawn from SHA-256 of (seed, i), where the seed names the
user, the platform and the local date, times an amplitude of at most 25 % of the spacing
and small enough that two neighbours stay the minimum spacing apart. Then, in order, each
slot is checked with the one evaluator of the limits (``allowed_follows_at``: the daily
cap, the burst limit and every platform rule of §9.2) as if every earlier slot had been
followed; a slot that would trip one moves to the earliest instant that does not
(``next_follow_allowed_at``). Slots that would land at or after the end of work are
``unscheduled``.

Post slots: whole local hours in order of preference (the user's best hours, else 09:00,
12:00 and 17:00, then every other hour of the working hours, earliest first), each taken
at its start or, within that hour, as soon after ``as_of`` and the last post as the gap
allows; at least ``min_gap`` apart and after the last post by at least that much.

Best hours: the three local (weekday, hour) of the most inbound events, when there were at
least 20 (``MIN_INBOUND_FOR_BEST_HOURS``).

Every instant here is UTC; a UTC instant always shows an existing local time, so no slot
falls on a wall-clock time a DST gap skipped.
"""

from __future__ import annotations

import hashlib
from bisect import insort
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.calc.follow_limits import FollowLog, headroom, next_follow_allowed_at
from app.calc.follow_rules import FollowRules
from app.calc.platform_rules import EventLog
from app.calc.timewindows import local_date, to_utc
from app.calc.working_hours import local_instant

MAX_JITTER_SHARE = 0.25
MIN_INBOUND_FOR_BEST_HOURS = 20
BEST_HOURS_LOOKBACK = timedelta(weeks=8)
BEST_HOURS_COUNT = 3
DEFAULT_POST_HOURS = (9, 12, 17)
_SECOND = timedelta(seconds=1)


def slot_seed(user_id: object, platform: str, day: date) -> str:
    """The seed of a day's jitter: the same user, platform and local date, the same slots."""
    return f"{user_id}:{platform}:{day.isoformat()}"


def jitter(seed: str, i: int) -> float:
    """A number in [−1, 1] determined by ``seed`` and ``i`` alone (SHA-256, no global state)."""
    digest = hashlib.sha256(f"{seed}:{i}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / (2**64 - 1) * 2 - 1


def _ceil_second(t: datetime) -> datetime:
    whole = t.replace(microsecond=0)
    return whole if whole == t else whole + _SECOND


def min_follow_spacing(rules: FollowRules) -> timedelta:
    """``burst_window_minutes × 60 ÷ burst_limit`` seconds."""
    return rules.burst_window / rules.burst_limit


@dataclass(frozen=True)
class FollowSchedule:
    slots: list[datetime]
    unscheduled: int
    spacing: timedelta  # the nominal spacing of the slots (span ÷ slots); 0 without slots


def _nominal(
    lo: datetime, hi: datetime, n: int, min_gap: timedelta, seed: str
) -> tuple[list[datetime], timedelta]:
    """Up to ``n`` evenly spread, jittered instants in [lo, hi), at least ``min_gap`` apart."""
    span = hi - lo
    fit = n if min_gap <= timedelta(0) else max(1, min(n, span // min_gap))
    spacing = span / fit
    amplitude = max(timedelta(0), min(spacing * MAX_JITTER_SHARE, (spacing - min_gap) / 2))
    return [lo + spacing * (i + 0.5) + amplitude * jitter(seed, i) for i in range(fit)], spacing


def follow_slots(
    rules: FollowRules,
    tz: ZoneInfo,
    as_of: datetime,
    work: tuple[datetime, datetime],
    remaining: int,
    events: Iterable[tuple[str, datetime]],
    seed: str,
) -> FollowSchedule:
    """Today's follow slots (see the module's docstring).

    ``work``: today's (start, end) of work in UTC. ``remaining``: §6.1 ``remaining_today``.
    ``events``: (kind, instant) of the platform's outbound events the limits count, at least
    the follows since ``pacing.follows_fetch_start`` (and, when a platform rule counts other
    kinds, those over its window), up to ``as_of``.
    """
    as_of = to_utc(as_of)
    lo, hi = max(as_of, to_utc(work[0])), to_utc(work[1])
    if remaining <= 0 or hi <= lo:
        return FollowSchedule([], max(0, remaining), timedelta(0))
    min_gap = min_follow_spacing(rules)
    nominal, spacing = _nominal(lo, hi, remaining, min_gap, seed)
    log = EventLog(events, until=as_of)
    # One sorted list of follows, shared by the follow counts and the rules' source; every
    # follow in it is at or before the instant checked (history ≤ as_of, earlier slots).
    follow_log = FollowLog(log.by_kind.get("follow", []))
    log.by_kind["follow"] = follows = follow_log.instants
    slots: list[datetime] = []
    for planned in nominal:
        t = _ceil_second(max(planned, lo, slots[-1] + min_gap if slots else lo))
        while t < hi and headroom(rules, tz, t, follow_log, log).allowed < 1:
            later = next_follow_allowed_at(rules, tz, t, follows, source=log)
            if later is None:  # a limit below one follow: never happens with valid rules
                t = hi
                break
            t = _ceil_second(max(later, t + _SECOND))
        if t >= hi:
            break
        slots.append(t)
        insort(follows, t)
    return FollowSchedule(slots, remaining - len(slots), spacing if slots else timedelta(0))


@dataclass(frozen=True)
class BestHour:
    weekday: int  # 0 = Monday
    hour: int
    inbound: int


def best_hours(inbound: Iterable[datetime], tz: ZoneInfo) -> list[BestHour] | None:
    """The three local (weekday, hour) with the most of ``inbound`` (ties: earlier in the
    week first), or None when there are fewer than 20 instants. The caller passes the
    inbound events of the 8 weeks before as_of (``BEST_HOURS_LOOKBACK``)."""
    counts: Counter[tuple[int, int]] = Counter()
    for t in inbound:
        local = to_utc(t).astimezone(tz)
        counts[(local.weekday(), local.hour)] += 1
    if sum(counts.values()) < MIN_INBOUND_FOR_BEST_HOURS:
        return None
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [BestHour(wd, h, n) for (wd, h), n in ranked[:BEST_HOURS_COUNT]]


def preferred_post_hours(best: Sequence[BestHour] | None, weekday: int) -> list[int]:
    """Hours of the day to post at, best first: the best hours that fall on this weekday,
    then the hours of the other best hours; without best hours 09:00, 12:00, 17:00."""
    if best is None:
        return list(DEFAULT_POST_HOURS)
    hours = [b.hour for b in best if b.weekday == weekday] + [b.hour for b in best]
    return list(dict.fromkeys(hours))


def post_slots(
    tz: ZoneInfo,
    as_of: datetime,
    work: tuple[datetime, datetime],
    needed: int,
    min_gap: timedelta,
    last_post: datetime | None,
    preferred_hours: Sequence[int],
) -> list[datetime]:
    """Up to ``needed`` post instants in [max(as_of, start of work), end of work), each at
    least ``min_gap`` after the last post and from one another, in time order."""
    as_of = to_utc(as_of)
    lo, hi = max(as_of, to_utc(work[0])), to_utc(work[1])
    if needed <= 0 or hi <= lo:
        return []
    today = local_date(as_of, tz)
    earliest = lo if last_post is None else max(lo, to_utc(last_post) + min_gap)
    chosen: list[datetime] = []
    for hour in [*preferred_hours, *range(24)]:
        if len(chosen) >= needed:
            break
        start = local_instant(today, time(hour), tz)
        if start.astimezone(tz).hour != hour:
            continue  # the hour a DST gap skipped
        hour_end = start + timedelta(hours=1)
        t = _ceil_second(max(start, earliest))
        while t < min(hour_end, hi) and any(abs(t - c) < min_gap for c in chosen):
            t = _ceil_second(max(c + min_gap for c in chosen if abs(t - c) < min_gap))
        if t < min(hour_end, hi) and t not in chosen:
            chosen.append(t)
    return sorted(chosen)
