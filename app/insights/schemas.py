"""Answers of the insight endpoints (SPEC §6.1–§6.5)."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import InputModel, Instant, Platform, Text, UtcOut
from app.plans.models import FollowPlanPublic


class DayQuotaOut(BaseModel):
    date: date
    quota: int
    follows: int


class PacingOut(BaseModel):
    platform: Platform
    as_of: UtcOut
    window_days: int = Field(description="Window of follow_back_rate, in local days ending today.")
    effective_daily_cap: int
    follows_today: int
    follows_this_week: int
    unfollows_today: int
    expected_by_today: int
    expected_before_today: int
    recommended_today: int
    remaining_today: int
    peak_burst_today: int
    allowed_now: int
    next_allowed_at: UtcOut | None
    status: Literal["over_limit", "ahead", "behind", "on_track"]
    follow_back_rate: float | None
    days: list[DayQuotaOut]
    plan: FollowPlanPublic


class PostingDayOut(BaseModel):
    date: date
    posts: int
    flags: list[Literal["over_posting", "burst", "no_post"]]


class PostingSectionOut(BaseModel):
    platform: Platform
    min_posts_per_day: int
    max_posts_per_day: int
    min_gap_minutes: int
    days: list[PostingDayOut]
    posts_today: int
    remaining_today: int
    over_posting_days: int
    missed_days: int
    current_streak: int
    longest_streak: int


class PostingOut(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    as_of: UtcOut
    platforms: list[PostingSectionOut]

    model_config = ConfigDict(populate_by_name=True)


class RatioOut(BaseModel):
    non_sales: int
    sales: int
    ratio: float | None
    required_ratio: float
    compliant: bool
    sales_allowed_now: int
    non_sales_needed: int


class PlatformRatioOut(RatioOut):
    platform: Platform


class CounterpartRatioOut(RatioOut):
    counterpart: str


class SalesRatioOut(RatioOut):
    as_of: UtcOut
    window_days: int
    platform: Platform | None
    by_platform: list[PlatformRatioOut]
    by_counterpart: list[CounterpartRatioOut]


class EngagementOut(BaseModel):
    as_of: UtcOut
    window_days: int
    broadcasts: int
    interactions: int
    inbound: int
    people_engaged: int
    interaction_share: float | None
    interaction_share_target: float
    flags: list[Literal["broadcast_heavy"]]


class CheckIn(InputModel):
    action: Literal["follow", "post", "sales_contact"]
    platform: Platform
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    counterpart: Annotated[Text | None, Field(max_length=200)] = None
    at: Instant | None = Field(
        default=None, description="When the action would happen; default now."
    )


class ReasonOut(BaseModel):
    code: Literal[
        "daily_cap",
        "burst_limit",
        "weekly_limit",
        "exceeds_limit",
        "over_posting",
        "too_soon",
        "sales_ratio",
        "counterpart_ratio",
    ]
    detail: str


class CheckOut(BaseModel):
    allowed: bool
    at: UtcOut
    reasons: list[ReasonOut]
    next_allowed_at: UtcOut | None
