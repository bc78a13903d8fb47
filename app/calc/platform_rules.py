"""Platform limits as data, and the one function that evaluates them (SPEC §9.2).

A rule ``{name, kinds, limit, window}`` allows at most ``limit`` outbound events of those
kinds on its platform in any window of that length: a rolling window holds the events f
with t − window < f ≤ t; a ``local_day`` window (x's 400 follows a day) holds the events
of t's local day up to t. The rules themselves live in ``app.calc.vocabulary``.

``evaluate_rules`` answers, for every rule at an instant: how many events the window
holds, how many more of ``count`` fit, and the earliest instant at which ``count`` more
would fit if nothing else happened. The events come from a ``WindowSource``: the service
counts in the database (and reads the k-th oldest instant of a window only when a rule is
used up), the tests and the in-memory callers use ``EventLog``.

With no new events a rule's headroom only grows as time passes: an event leaves a rolling
window at f + window, and a local day's count restarts at midnight. So the earliest instant
at which ``count`` fits under every rule is the latest of the instants for each rule alone.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from app.calc.timewindows import day_start, local_date, next_day_start, to_utc

LOCAL_DAY = "local_day"

_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """The ISO 8601 durations the rules use: ``P7D``, ``PT1H``, ``PT24H``, ``P1DT12H``."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration of days, hours, minutes, seconds: {text!r}")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


def format_duration(window: timedelta) -> str:
    """``timedelta(days=7)`` → ``"P7D"``, ``timedelta(hours=3)`` → ``"PT3H"``."""
    seconds = int(window.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "") if seconds else "PT0S"


def _window_phrase(window: timedelta) -> tuple[str, str]:
    """("per hour", "in the last hour"), ("per 3 hours", "in the last 3 hours"), …"""
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0 and seconds // 86400 != 1:
        n, unit = seconds // 86400, "day"
    elif seconds % 3600 == 0:
        n, unit = seconds // 3600, "hour"
    else:
        n, unit = seconds // 60, "minute"
    if n == 1:
        return f"per {unit}", f"in the last {unit}"
    if unit == "day":
        return f"per rolling {n} days", f"in the last {n} days"
    return f"per {n} {unit}s", f"in the last {n} {unit}s"


@dataclass(frozen=True)
class PlatformRule:
    """At most ``limit`` outbound events of ``kinds`` in any window of length ``window``
    (rolling), or in one local day when ``calendar`` is ``"local_day"``.

    ``label`` names the events in sentences ("record creates", "follows"); ``name`` is the
    rule's stable identifier in the API.
    """

    name: str
    kinds: tuple[str, ...]
    limit: int
    window: timedelta
    label: str
    calendar: str | None = None
    platform: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.kinds))
        if not self.kinds:
            raise ValueError(f"rule {self.name} needs at least one kind")
        if self.limit < 1:
            raise ValueError(f"rule {self.name}: limit must be at least 1, got {self.limit}")
        if self.window <= timedelta(0):
            raise ValueError(f"rule {self.name}: window must be positive")
        if self.calendar not in (None, LOCAL_DAY):
            raise ValueError(f"rule {self.name}: unknown calendar {self.calendar!r}")
        if self.calendar == LOCAL_DAY and self.window != timedelta(days=1):
            raise ValueError(f"rule {self.name}: a local_day rule has a window of P1D")

    @property
    def rolling(self) -> bool:
        return self.calendar is None

    def window_bounds(self, t: datetime, tz: ZoneInfo) -> tuple[datetime, bool]:
        """(lower bound, whether it is inclusive) of the window ending at ``t`` (inclusive)."""
        t = to_utc(t)
        if self.rolling:
            return t - self.window, False
        return day_start(local_date(t, tz), tz), True

    def per(self) -> str:
        """ "per hour", "per local day", "per rolling 7 days"."""
        return "per local day" if not self.rolling else _window_phrase(self.window)[0]

    def in_window(self) -> str:
        """ "in the last hour", "today"."""
        return "today" if not self.rolling else _window_phrase(self.window)[1]

    def sentence(self) -> str:
        """ "bluesky allows 1,666 record creates per hour"."""
        return f"{self.platform or 'the platform'} allows {self.limit:,} {self.label} {self.per()}"

    def as_dict(self) -> dict[str, Any]:
        """The rule as ``GET /v1/platforms`` serves it."""
        return {
            "name": self.name,
            "kinds": list(self.kinds),
            "limit": self.limit,
            "window": format_duration(self.window),
            "calendar": self.calendar,
            "description": f"at most {self.limit:,} {self.label} {self.per()}",
        }


class WindowSource(Protocol):
    """The events the rules count: outbound events of one user on one platform. A source
    may also have ``prefetch(windows, end)`` with windows [(kinds, lower, inclusive)]: the
    evaluator calls it first with every rule's window, so it can count them all at once."""

    def count(self, kinds: Sequence[str], lower: datetime, inclusive: bool, end: datetime) -> int:
        """Events of ``kinds`` in (lower, end], or [lower, end] when ``inclusive``."""
        ...

    def kth_oldest(
        self, kinds: Sequence[str], k: int, lower: datetime, inclusive: bool, end: datetime
    ) -> datetime:
        """The k-th oldest (1-based) such event; k ≤ count(...)."""
        ...


class EventLog:
    """Events in memory, as (kind, instant) pairs: a ``WindowSource`` for the calculations
    and the tests. Instants after ``until`` are dropped."""

    def __init__(
        self, events: Iterable[tuple[str, datetime]], until: datetime | None = None
    ) -> None:
        by_kind: dict[str, list[datetime]] = {}
        until = to_utc(until) if until is not None else None
        for kind, t in events:
            t = to_utc(t)
            if until is None or t <= until:
                by_kind.setdefault(kind, []).append(t)
        self.by_kind = {k: sorted(v) for k, v in by_kind.items()}

    def _slice(self, kind: str, lower: datetime, inclusive: bool, end: datetime) -> list[datetime]:
        instants = self.by_kind.get(kind, [])
        lo = (bisect_left if inclusive else bisect_right)(instants, lower)
        return instants[lo : bisect_right(instants, end)]

    def count(self, kinds: Sequence[str], lower: datetime, inclusive: bool, end: datetime) -> int:
        return sum(len(self._slice(k, lower, inclusive, end)) for k in set(kinds))

    def kth_oldest(
        self, kinds: Sequence[str], k: int, lower: datetime, inclusive: bool, end: datetime
    ) -> datetime:
        merged = sorted(t for kind in set(kinds) for t in self._slice(kind, lower, inclusive, end))
        return merged[k - 1]


@dataclass(frozen=True)
class RuleState:
    """One rule at one instant: ``used`` events in its window, ``room`` more allowed (may be
    negative when the window already holds more), and ``fits_at``, the earliest instant at
    which ``count`` more fit if nothing else happens (the instant itself when they already
    do; None when ``count`` exceeds the rule's limit, so no wait helps)."""

    rule: PlatformRule
    used: int
    room: int
    fits_at: datetime | None

    def detail(self) -> str:
        """ "bluesky allows 1,666 record creates per hour; 1,666 in the last hour"."""
        r = self.rule
        platform = r.platform or "the platform"
        return f"{platform} allows {r.limit:,} {r.label} {r.per()}; {self.used:,} {r.in_window()}"


@dataclass(frozen=True)
class RulesVerdict:
    """Every rule's state at one instant, for ``count`` more events."""

    states: tuple[RuleState, ...]
    count: int

    @property
    def allowed(self) -> int | None:
        """How many more events every rule allows now (≥ 0); None without rules."""
        if not self.states:
            return None
        return max(0, min(s.room for s in self.states))

    @property
    def blocking(self) -> list[RuleState]:
        """The rules that do not let ``count`` more happen now."""
        return [s for s in self.states if s.room < self.count]

    @property
    def exceeded(self) -> list[RuleState]:
        """The rules whose limit is below ``count``: waiting never helps."""
        return [s for s in self.states if s.fits_at is None]

    @property
    def fits_at(self) -> datetime | None:
        """Earliest instant at which every rule lets ``count`` more happen; None when one
        never does. Only meaningful with at least one rule (else None)."""
        instants = [s.fits_at for s in self.states if s.fits_at is not None]
        if not instants or len(instants) < len(self.states):
            return None
        return max(instants)


def rule_state(
    rule: PlatformRule, tz: ZoneInfo, at: datetime, source: WindowSource, count: int = 1
) -> RuleState:
    """One rule at ``at`` (see ``RuleState``). Reads one count, and the k-th oldest instant
    of the window only when ``count`` does not fit now."""
    at = to_utc(at)
    lower, inclusive = rule.window_bounds(at, tz)
    used = source.count(rule.kinds, lower, inclusive, at)
    room = rule.limit - used
    if count > rule.limit:
        return RuleState(rule, used, room, None)
    if count <= room:
        return RuleState(rule, used, room, at)
    if not rule.rolling:
        return RuleState(rule, used, room, next_day_start(at, tz))
    # The oldest `must_leave` events in the window have to leave it: the last of them, the
    # k-th oldest, leaves at its instant + window.
    must_leave = used - (rule.limit - count)
    return RuleState(
        rule,
        used,
        room,
        source.kth_oldest(rule.kinds, must_leave, lower, inclusive, at) + rule.window,
    )


def evaluate_rules(
    rules: Iterable[PlatformRule], tz: ZoneInfo, at: datetime, source: WindowSource, count: int = 1
) -> RulesVerdict:
    """Every rule at ``at`` for ``count`` more events (SPEC §9.2): how many more are allowed
    (``allowed``), which rules refuse them, and the earliest instant all allow them."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rules = tuple(rules)
    prefetch = getattr(source, "prefetch", None)
    if prefetch is not None and len(rules) > 1:  # e.g. one statement for all of them
        at = to_utc(at)
        prefetch([(r.kinds, *r.window_bounds(at, tz)) for r in rules], at)
    return RulesVerdict(tuple(rule_state(r, tz, at, source, count) for r in rules), count)


def max_in_span(rule: PlatformRule, span: timedelta) -> int:
    """The most events ``rule`` lets happen in a span of ``span`` (a nominal day or week):
    limit × ceil(span / window) for a rolling window, limit × days for a local day."""
    windows = -(-span // rule.window)  # ceil division of timedeltas
    return rule.limit * max(1, windows)
