"""Follow and posting plans: §5 defaults filled in, §6.1 limits enforced."""

import uuid
from datetime import date
from functools import cache

from sqlalchemy import bindparam, select
from sqlmodel import Session

from app.calc.timewindows import local_date
from app.calc.vocabulary import PLATFORM_PRESETS
from app.core.errors import ProblemError
from app.core.types import utc_now
from app.plans.models import ALL_WEEKDAYS, FollowPlan, FollowPlanIn, PostingPlan, PostingPlanIn
from app.users.models import User


def _plan_problem(pointer: str, detail: str) -> ProblemError:
    return ProblemError(
        422,
        "plan_exceeds_limit",
        detail,
        title="Plan not allowed",
        errors=[{"pointer": pointer, "detail": detail}],
    )


def resolve_follow_plan(platform: str, data: FollowPlanIn, starts_on: date) -> dict:
    preset = PLATFORM_PRESETS[platform]
    days = data.active_weekdays or list(ALL_WEEKDAYS)
    values = {
        "weekly_target": data.weekly_target,
        "active_weekdays": list(days),
        "daily_cap": data.daily_cap if data.daily_cap is not None else preset.daily_cap,
        "burst_limit": data.burst_limit if data.burst_limit is not None else preset.burst_limit,
        "burst_window_minutes": data.burst_window_minutes or preset.burst_window_minutes,
        "warmup_days": data.warmup_days,
        "starts_on": data.starts_on or starts_on,
    }
    cap = values["daily_cap"]
    if preset.follow_daily_limit is not None and cap > preset.follow_daily_limit:
        raise _plan_problem(
            "#/daily_cap",
            f"daily_cap {cap} is over {platform}'s limit of "
            f"{preset.follow_daily_limit} follows a day; send at most {preset.follow_daily_limit}.",
        )
    weekly = values["weekly_target"]
    if preset.follow_weekly_limit is not None and weekly > preset.follow_weekly_limit:
        raise _plan_problem(
            "#/weekly_target",
            f"weekly_target {weekly} is over {platform}'s limit of "
            f"{preset.follow_weekly_limit} follows in 7 days; send at most {preset.follow_weekly_limit}.",
        )
    if weekly > cap * len(days):
        raise _plan_problem(
            "#/weekly_target",
            f"weekly_target {weekly} cannot be reached: daily_cap {cap} × {len(days)} active "
            f"weekdays = {cap * len(days)}; lower the target, raise daily_cap or add active weekdays.",
        )
    return values


@cache
def _plan_lookup(model: type[FollowPlan] | type[PostingPlan]):
    """Built once per model: the insights read a plan on every request."""
    return select(model).where(
        model.user_id == bindparam("user_id"), model.platform == bindparam("platform")
    )  # type: ignore[arg-type]


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


def resolve_posting_plan(platform: str, data: PostingPlanIn) -> dict:
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
        raise ProblemError(
            422,
            "validation_error",
            f"min_posts_per_day {values['min_posts_per_day']} is above max_posts_per_day "
            f"{values['max_posts_per_day']}; the minimum must not exceed the maximum.",
            title="Invalid request",
            errors=[
                {"pointer": "#/min_posts_per_day", "detail": "must not exceed max_posts_per_day"}
            ],
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
