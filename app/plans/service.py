"""Follow and posting plans: §5 defaults filled in, §6.1 limits enforced."""

import uuid
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.calc.platform_rules import PlatformRule, max_in_span
from app.calc.timewindows import local_date
from app.calc.vocabulary import PLATFORM_PRESETS
from app.core.db import generic_plan
from app.core.errors import PLAN_EXCEEDS_LIMIT, ProblemError, pointer_item, validation_problem
from app.core.types import utc_now
from app.plans.models import ALL_WEEKDAYS, FollowPlan, FollowPlanIn, PostingPlan, PostingPlanIn
from app.users.models import User


def _plan_problem(pointer: str, detail: str) -> ProblemError:
    return PLAN_EXCEEDS_LIMIT.error(detail, errors=[pointer_item(pointer, detail)])


_DAY, _WEEK = timedelta(days=1), timedelta(days=7)


def _tightest(rules: tuple[PlatformRule, ...], span: timedelta) -> tuple[int, PlatformRule] | None:
    """The fewest follows the platform's rules allow in a span (a day or a week) and the rule
    that sets it, over the rules whose window fits in the span (so LinkedIn's 7-day rule
    bounds weekly_target, not daily_cap, as in v1); None without one (SPEC §9.2: the rules
    replace the fixed limits)."""
    return min(
        ((max_in_span(r, span), r) for r in rules if r.window <= span),
        key=lambda pair: pair[0],
        default=None,
    )


def follow_plan_limits(platform: str) -> tuple[int | None, int | None]:
    """(most daily_cap, most weekly_target) the platform's rules allow a follow plan."""
    rules = PLATFORM_PRESETS[platform].follow_rules
    daily, weekly = _tightest(rules, _DAY), _tightest(rules, _WEEK)
    return (daily[0] if daily else None), (weekly[0] if weekly else None)


def _why(rule: PlatformRule, span: timedelta) -> str:
    """ " (bluesky allows 11,666 record creates per 24 hours)" when the span's figure is
    not the rule's own wording."""
    own = (span == _DAY and not rule.rolling) or (
        span == _WEEK and rule.rolling and rule.window == _WEEK
    )
    return "" if own else f" ({rule.sentence()})"


def resolve_follow_plan(platform: str, data: FollowPlanIn, starts_on: date) -> dict[str, Any]:
    preset = PLATFORM_PRESETS[platform]
    days: list[str] = list(data.active_weekdays or ALL_WEEKDAYS)
    values: dict[str, Any] = {
        "weekly_target": data.weekly_target,
        "active_weekdays": list(days),
        "daily_cap": data.daily_cap if data.daily_cap is not None else preset.daily_cap,
        "burst_limit": data.burst_limit if data.burst_limit is not None else preset.burst_limit,
        "burst_window_minutes": data.burst_window_minutes or preset.burst_window_minutes,
        "warmup_days": data.warmup_days,
        "starts_on": data.starts_on or starts_on,
    }
    cap = values["daily_cap"]
    daily = _tightest(preset.follow_rules, _DAY)
    if daily is not None and cap > daily[0]:
        limit, rule = daily
        raise _plan_problem(
            "#/daily_cap",
            f"daily_cap {cap} is over {platform}'s limit of "
            f"{limit} follows a day{_why(rule, _DAY)}; send at most {limit}.",
        )
    weekly = values["weekly_target"]
    week = _tightest(preset.follow_rules, _WEEK)
    if week is not None and weekly > week[0]:
        limit, rule = week
        raise _plan_problem(
            "#/weekly_target",
            f"weekly_target {weekly} is over {platform}'s limit of "
            f"{limit} follows in 7 days{_why(rule, _WEEK)}; send at most {limit}.",
        )
    if weekly > cap * len(days):
        raise _plan_problem(
            "#/weekly_target",
            f"weekly_target {weekly} cannot be reached: daily_cap {cap} × {len(days)} active "
            f"weekdays = {cap * len(days)}; lower the target, raise daily_cap or add active weekdays.",
        )
    return values


@cache
def _plan_lookup(model: type[FollowPlan] | type[PostingPlan]) -> Select[Any]:
    """Built once per model: the insights read a plan on every request."""
    return generic_plan(
        select(model).where(
            col(model.user_id) == bindparam("user_id"), col(model.platform) == bindparam("platform")
        )
    )


def get_follow_plan(session: Session, user_id: uuid.UUID, platform: str) -> FollowPlan | None:
    return session.execute(
        _plan_lookup(FollowPlan), {"user_id": user_id, "platform": platform}
    ).scalar_one_or_none()


def get_posting_plan(session: Session, user_id: uuid.UUID, platform: str) -> PostingPlan | None:
    return session.execute(
        _plan_lookup(PostingPlan), {"user_id": user_id, "platform": platform}
    ).scalar_one_or_none()


def put_follow_plan(
    session: Session, user: User, platform: str, data: FollowPlanIn
) -> tuple[FollowPlan, bool]:
    """Create or replace; a replacement without starts_on keeps the old one (and its warm-up)."""
    existing = get_follow_plan(session, user.id, platform)
    default_start = existing.starts_on if existing else local_date(utc_now(), user.zone)
    values = resolve_follow_plan(platform, data, default_start)
    plan = existing or FollowPlan(user_id=user.id, platform=platform, **values)
    for field, value in values.items():
        setattr(plan, field, value)
    plan.updated_at = utc_now()
    session.add(plan)
    session.flush()
    return plan, existing is None


def resolve_posting_plan(platform: str, data: PostingPlanIn) -> dict[str, Any]:
    preset = PLATFORM_PRESETS[platform]
    values = {
        "min_posts_per_day": preset.min_posts_per_day
        if data.min_posts_per_day is None
        else data.min_posts_per_day,
        "max_posts_per_day": data.max_posts_per_day or preset.max_posts_per_day,
        "min_gap_minutes": preset.min_gap_minutes
        if data.min_gap_minutes is None
        else data.min_gap_minutes,
    }
    if values["min_posts_per_day"] > values["max_posts_per_day"]:
        raise validation_problem(
            [pointer_item("#/min_posts_per_day", "must not exceed max_posts_per_day")],
            f"min_posts_per_day {values['min_posts_per_day']} is above max_posts_per_day "
            f"{values['max_posts_per_day']}; the minimum must not exceed the maximum.",
        )
    return values


def put_posting_plan(
    session: Session, user: User, platform: str, data: PostingPlanIn
) -> tuple[PostingPlan, bool]:
    existing = get_posting_plan(session, user.id, platform)
    values = resolve_posting_plan(platform, data)
    plan = existing or PostingPlan(user_id=user.id, platform=platform, **values)
    for field, value in values.items():
        setattr(plan, field, value)
    plan.updated_at = utc_now()
    session.add(plan)
    session.flush()
    return plan, existing is None
