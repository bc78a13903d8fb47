"""A follow plan's rules as the calculations see them, and the warm-up cap (SPEC §6.1).

Re-exported by ``app.calc.pacing``; import from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from app.calc.guard import ReasonCode
from app.calc.platform_rules import PlatformRule
from app.calc.vocabulary import DEFAULT_BURST_WINDOW_MINUTES, PLATFORM_PRESETS

SEVEN_DAYS = timedelta(days=7)
# The guard code of a follow-only rolling 7-day rule (§6.5); every other rule's is platform_limit.
WEEKLY_LIMIT: Final = "weekly_limit"
PLATFORM_LIMIT: Final = "platform_limit"


def weekly_rule(limit: int) -> PlatformRule:
    """The platform's rolling 7-day follow limit (LinkedIn's 100) as a rule."""
    return PlatformRule("follows_per_7_days", ("follow",), limit, SEVEN_DAYS, "follows")


def is_weekly_rule(rule: PlatformRule) -> bool:
    return rule.kinds == ("follow",) and rule.rolling and rule.window == SEVEN_DAYS


def guard_code(rule: PlatformRule) -> ReasonCode:
    return WEEKLY_LIMIT if is_weekly_rule(rule) else PLATFORM_LIMIT


@dataclass(frozen=True)
class FollowRules:
    """Everything pacing and the follow guard need from a follow plan and its platform.

    ``active_weekdays`` holds ints 0 = Monday … 6 = Sunday (any iterable is accepted and
    stored as a frozenset). ``platform_weekly_limit`` is the platform's rolling 7-day
    follow limit (LinkedIn 100), None where the platform has none. ``platform_rules`` are
    the platform's other limits whose kinds include ``follow`` (SPEC §9.2; a rolling 7-day
    follow rule among them stands for ``platform_weekly_limit`` when that is None).
    ``limit_rules`` is every platform rule, evaluated together by ``evaluate_rules``.
    """

    weekly_target: int
    active_weekdays: frozenset[int]
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    warmup_days: int
    starts_on: date
    platform_weekly_limit: int | None
    platform_rules: tuple[PlatformRule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "active_weekdays", frozenset(self.active_weekdays))
        object.__setattr__(self, "platform_rules", tuple(self.platform_rules))
        if not all("follow" in r.kinds for r in self.platform_rules):
            raise ValueError("platform_rules must be rules that count follows")
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in self.active_weekdays):
            raise ValueError(f"active_weekdays must be ints 0..6, got {set(self.active_weekdays)}")
        for name in ("daily_cap", "burst_limit", "burst_window_minutes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.weekly_target < 0:
            raise ValueError(f"weekly_target must not be negative, got {self.weekly_target}")
        if self.warmup_days < 0:
            raise ValueError(f"warmup_days must not be negative, got {self.warmup_days}")
        if self.platform_weekly_limit is not None and self.platform_weekly_limit < 1:
            raise ValueError(
                f"platform_weekly_limit must be at least 1 or None, got {self.platform_weekly_limit}"
            )
        if self.weekly_target > 0 and not self.active_weekdays:
            raise ValueError(f"a weekly_target of {self.weekly_target} needs an active weekday")

    @property
    def burst_window(self) -> timedelta:
        return timedelta(minutes=self.burst_window_minutes)

    @property
    def limit_rules(self) -> tuple[PlatformRule, ...]:
        """Every platform rule a follow counts against: the weekly limit (as a rule) and
        the other rules, the weekly rule first."""
        others = tuple(
            r
            for r in self.platform_rules
            if not (is_weekly_rule(r) and self.platform_weekly_limit is not None)
        )
        if self.platform_weekly_limit is None:
            return others
        return (weekly_rule(self.platform_weekly_limit), *others)

    @property
    def follow_only(self) -> bool:
        """True when every platform rule counts follows alone (no other kinds to read)."""
        return all(r.kinds == ("follow",) for r in self.limit_rules)


def days_since_start(rules: FollowRules, day: date) -> int:
    """d of §6.1: days from ``starts_on`` to ``day``, 0 on that day and on any day before."""
    return max(0, (day - rules.starts_on).days)


def effective_daily_cap(rules: FollowRules, day: date) -> int:
    """The daily cap on local ``day``, lowered during warm-up (SPEC §6.1).

    With d = days since ``starts_on`` and w = ``warmup_days``: when d < w,
    max(1, floor(cap × (0.2 + 0.8 × d / w))), computed exactly as
    floor(cap × (w + 4d) / (5w)); otherwise ``daily_cap``. Never decreases from one day
    to the next.
    """
    d, w = days_since_start(rules, day), rules.warmup_days
    if d >= w:
        return rules.daily_cap
    return max(1, (rules.daily_cap * (w + 4 * d)) // (5 * w))


def first_day_with_cap(rules: FollowRules, after: date, count: int) -> date | None:
    """The first local day after ``after`` whose effective cap is at least ``count``.

    None when no day ever has (count > daily_cap). Solved directly: for d < w the cap is
    ≥ count iff count ≤ 1 or cap × (w + 4d) ≥ 5w × count, i.e.
    d ≥ ceil(w × (5 × count − cap) / (4 × cap)).
    """
    if count > rules.daily_cap:
        return None
    w, cap = rules.warmup_days, rules.daily_cap
    next_day = after + timedelta(days=1)
    if count <= 1 or w == 0:
        return next_day
    d_min = -((-w * (5 * count - cap)) // (4 * cap))  # ceil division
    if d_min <= 0:  # every day, d = 0 included, has room
        return next_day
    # d ≥ d_min ≥ 1 means the day is at least d_min days after starts_on.
    return max(next_day, rules.starts_on + timedelta(days=min(d_min, w)))


def preset_follow_rules(platform: str, starts_on: date = date.min) -> FollowRules:
    """Rules from the §5 presets alone, for the follow guard when there is no follow plan.

    No weekly target (0, so no quotas), every weekday active, no warm-up (so ``starts_on``
    does not matter).
    """
    preset = PLATFORM_PRESETS[platform]
    return FollowRules(
        weekly_target=0,
        active_weekdays=frozenset(range(7)),
        daily_cap=preset.daily_cap,
        burst_limit=preset.burst_limit,
        burst_window_minutes=DEFAULT_BURST_WINDOW_MINUTES,
        warmup_days=0,
        starts_on=starts_on,
        platform_weekly_limit=preset.follow_weekly_limit,
        platform_rules=preset.follow_rules,
    )
