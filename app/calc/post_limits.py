"""The ``post`` pre-flight check with the platform's rules and text length (SPEC §6.5, §9.2,
§9.3), around ``app.calc.posting.check_post`` (the posting plan's own limits).

Codes, in this order: ``over_posting``, ``too_soon`` (the plan), ``platform_limit`` (each
platform rule whose kinds include ``post`` and that has no room for ``count`` more),
``text_too_long`` (the text is over the platform's post text limit, in its unit),
``exceeds_limit`` (``count`` above ``max_posts_per_day`` or above a rule's limit).
``next_allowed_at`` is the earliest instant at which none of the waiting codes applies
(each one's headroom only grows while nothing happens, so it is the latest of their
instants); None when allowed, and when waiting cannot help (``text_too_long``,
``exceeds_limit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from app.calc.guard import GuardResult, Reason
from app.calc.platform_rules import PlatformRule, WindowSource, evaluate_rules
from app.calc.posting import PostingRules, check_post
from app.calc.text_length import post_length, unit_name
from app.calc.timewindows import to_utc

PLATFORM_LIMIT: Final = "platform_limit"
TEXT_TOO_LONG: Final = "text_too_long"
EXCEEDS_LIMIT: Final = "exceeds_limit"


def text_reason(platform: str, text: str) -> Reason | None:
    """``text_too_long`` when ``text`` is over the platform's post text limit."""
    length, limit, unit = post_length(platform, text)
    if length <= limit:
        return None
    return Reason(
        TEXT_TOO_LONG,
        f"{length:,} of {limit:,} {unit_name(unit)}: the text is "
        f"{length - limit:,} over {platform}'s post text limit; "
        "shorten it, no wait makes it fit",
    )


@dataclass(frozen=True)
class _PlatformLimits:
    reasons: list[Reason]  # platform_limit, one per rule without room for count
    never: list[str]  # the rules whose limit is below count
    fits_at: datetime | None  # when every blocking rule has room; None when none blocks


def _platform_limits(
    platform_rules: Sequence[PlatformRule],
    tz: ZoneInfo,
    at: datetime,
    source: WindowSource,
    count: int,
) -> _PlatformLimits:
    verdict = evaluate_rules(platform_rules, tz, at, source, count)
    reasons = [
        Reason(
            PLATFORM_LIMIT,
            f"{state.detail()}; {max(0, state.room):,} more allowed now, asked for {count}",
        )
        for state in verdict.blocking
    ]
    # verdict.fits_at is None when a rule is exceeded: waiting never helps.
    fits_at = verdict.fits_at if verdict.blocking else None
    return _PlatformLimits(reasons, [s.rule.sentence() for s in verdict.exceeded], fits_at)


def check_post_with_limits(
    rules: PostingRules,
    tz: ZoneInfo,
    at: datetime,
    posts_today: Sequence[datetime],
    last_post_before: datetime | None,
    count: int = 1,
    *,
    platform: str,
    platform_rules: Sequence[PlatformRule] = (),
    source: WindowSource | None = None,
    text: str | None = None,
) -> GuardResult:
    """SPEC §6.5 ``post`` with §9.2 and §9.3. ``platform_rules``: the rules a post counts
    against (their events come from ``source``, required when there are rules)."""
    at = to_utc(at)
    base = check_post(rules, tz, at, posts_today, last_post_before, count)
    reasons = [r for r in base.reasons if r.code != EXCEEDS_LIMIT]
    never = [r.detail for r in base.reasons if r.code == EXCEEDS_LIMIT]
    ready_at = base.next_allowed_at or at
    if platform_rules:
        if source is None:
            raise ValueError("platform rules need a source of events")
        limits = _platform_limits(platform_rules, tz, at, source, count)
        reasons += limits.reasons
        never += limits.never
        if limits.fits_at is not None:
            ready_at = max(ready_at, limits.fits_at)
    too_long = text_reason(platform, text) if text is not None else None
    if too_long is not None:
        reasons.append(too_long)
    if never:
        if not base.reasons or base.reasons[-1].code != EXCEEDS_LIMIT:
            never[0] = f"{count} posts at once can never be allowed: {never[0]}"
        reasons.append(Reason(EXCEEDS_LIMIT, "; ".join(never)))
    if not reasons:
        return GuardResult(allowed=True, reasons=[], next_allowed_at=None)
    waiting_helps = too_long is None and not never
    return GuardResult(
        allowed=False, reasons=reasons, next_allowed_at=ready_at if waiting_helps else None
    )
