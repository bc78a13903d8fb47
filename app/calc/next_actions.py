"""Concrete next actions for the weekly report (SPEC §6.8), derived from its figures.

Pure: the report service hands over the week's numbers; each action carries a stable
``code``, the platform it is about (or None), the number it asks for, and a sentence.
Order: limits first (ban risk, over-posting, the sales ratio), then the profile, then the
plan (follows, posts), then interaction and stale relationships; at most ``limit``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from app.calc.profile_findings import BIO_MIN_CHARS, Finding, FindingCode
from app.calc.ratios import exact
from app.calc.vocabulary import Platform

MAX_ACTIONS = 10

# Every action's code, in the order next_actions emits them; a profile finding's action has
# the finding's code.
NextActionCode = Literal[
    "follow_slower",
    "post_less",
    "helpful_contacts",
    FindingCode,
    "follow_more",
    "follow_shortfall",
    "post_today",
    "post_missed",
    "interact_more",
    "reconnect",
]


@dataclass(frozen=True)
class FollowWeek:
    platform: Platform
    weekly_target: int
    follows: int
    over_limit_days: int
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    remaining_today: int | None = None  # None once the week is over


@dataclass(frozen=True)
class PostingWeek:
    platform: Platform
    min_posts_per_day: int
    max_posts_per_day: int
    missed_days: int
    over_posting_days: int
    posts_today: int | None = None  # None once the week is over


@dataclass(frozen=True)
class WeekFigures:
    profile: Sequence[tuple[Platform, Finding]] = ()
    follows: Sequence[FollowWeek] = ()
    posting: Sequence[PostingWeek] = ()
    broadcasts: int = 0
    interactions: int = 0
    interaction_share_target: float = 0.5
    non_sales: int = 0
    sales: int = 0
    non_sales_needed: int = 0
    stale: int = 0
    keep_in_touch_days: int = 30


@dataclass(frozen=True)
class NextAction:
    code: NextActionCode
    platform: Platform | None
    count: int | None
    text: str


def _n(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def interactions_needed(broadcasts: int, interactions: int, target: float) -> int | None:
    """Fewest extra interactions k with (I + k) / (B + I + k) ≥ target (0 when already
    there or when there are no broadcasts); None when no number can (target 1, B > 0)."""
    t = exact(target)
    total = broadcasts + interactions
    if broadcasts == 0 or Fraction(interactions, total) >= t:
        return 0
    if t >= 1:
        return None
    return math.ceil((t * total - interactions) / (1 - t))


def _profile(platform: Platform, f: Finding) -> NextAction:
    texts = {
        "missing_profile": f"create your {platform} profile: you have plans or activity there",
        "missing_photo": f"add a profile photo on {platform}",
        "photo_not_smiling": f"use a smiling profile photo on {platform}",
        "missing_bio": f"write a {platform} bio of at least {BIO_MIN_CHARS} characters",
    }
    count = None
    if f.code == "bio_too_short" and f.length is not None:
        count = BIO_MIN_CHARS - f.length
        text = (
            f"add {_n(count, 'character')} to your {platform} bio "
            f"({f.length} now, at least {BIO_MIN_CHARS})"
        )
    elif f.code == "bio_too_long" and f.length is not None and f.limit is not None:
        count = f.length - f.limit
        text = f"cut {_n(count, 'character')} from your {platform} bio ({f.length} now, limit {f.limit})"
    else:
        text = texts[f.code]
    return NextAction(f.code, platform, count, text)


def _limits(w: WeekFigures) -> Iterator[NextAction]:
    """Ban risk, over-posting and the sales ratio."""
    for f in w.follows:
        if f.over_limit_days:
            yield NextAction(
                "follow_slower",
                f.platform,
                f.over_limit_days,
                f"slow down on {f.platform}: {_n(f.over_limit_days, 'day')} over the limit this "
                f"week (at most {f.daily_cap} follows a day and {f.burst_limit} per "
                f"{f.burst_window_minutes} minutes)",
            )
    for p in w.posting:
        if p.over_posting_days:
            yield NextAction(
                "post_less",
                p.platform,
                p.over_posting_days,
                f"post at most {p.max_posts_per_day} a day on {p.platform}: "
                f"{_n(p.over_posting_days, 'day')} over that this week",
            )
    if w.sales and w.non_sales_needed:
        yield NextAction(
            "helpful_contacts",
            None,
            w.non_sales_needed,
            f"send {w.non_sales_needed} more helpful contacts before the next sales message "
            f"({w.non_sales} non-sales and {w.sales} sales contacts this week)",
        )


def _plan(w: WeekFigures) -> Iterator[NextAction]:
    """The follow plans' targets, then the posting plans' minimums."""
    for f in w.follows:
        if f.remaining_today:
            yield NextAction(
                "follow_more",
                f.platform,
                f.remaining_today,
                f"follow {f.remaining_today} more people on {f.platform} today to stay on plan "
                f"({f.follows} of {f.weekly_target} this week)",
            )
        elif f.remaining_today is None and f.follows < f.weekly_target:
            short = f.weekly_target - f.follows
            yield NextAction(
                "follow_shortfall",
                f.platform,
                short,
                f"{f.platform}: {_n(short, 'follow')} short of the weekly target "
                f"({f.follows} of {f.weekly_target}); plan them into next week",
            )
    for p in w.posting:
        if p.posts_today is not None and p.posts_today < p.min_posts_per_day:
            k = p.min_posts_per_day - p.posts_today
            yield NextAction(
                "post_today", p.platform, k, f"post {_n(k, 'more time')} on {p.platform} today"
            )
        if p.missed_days:
            yield NextAction(
                "post_missed",
                p.platform,
                p.missed_days,
                f"post on {p.platform} every day: {_n(p.missed_days, 'day')} missed this week",
            )


def _relationships(w: WeekFigures) -> Iterator[NextAction]:
    """Interaction against broadcasting, then the people not contacted for a while."""
    needed = interactions_needed(w.broadcasts, w.interactions, w.interaction_share_target)
    if w.broadcasts and needed != 0:
        share = f"{float(exact(w.interaction_share_target)) * 100:g}%"
        ask = _n(needed, "more interaction") if needed is not None else "interactions"
        yield NextAction(
            "interact_more",
            None,
            needed,
            f"reply, comment or message: {ask} to reach {share} of your activity "
            f"({w.interactions} interactions, {w.broadcasts} broadcasts this week)",
        )
    if w.stale:
        yield NextAction(
            "reconnect",
            None,
            w.stale,
            f"get back in touch with {_n(w.stale, 'person', 'people')} you have not contacted "
            f"in {w.keep_in_touch_days} days",
        )


def next_actions(w: WeekFigures, limit: int = MAX_ACTIONS) -> list[NextAction]:
    """The week's actions in the module's order (limits, profile, plan, relationships),
    at most ``limit``."""
    steps = (
        _limits(w),
        (_profile(platform, f) for platform, f in w.profile),
        _plan(w),
        _relationships(w),
    )
    return list(itertools.islice(itertools.chain.from_iterable(steps), limit))


def profile_action(platform: Platform, finding: Finding) -> NextAction:
    """The action that fixes one profile finding (shared with the Today plan, SPEC §11)."""
    return _profile(platform, finding)
