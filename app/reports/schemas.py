"""The weekly report (SPEC §6.8)."""

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import Platform, UtcOut
from app.insights.schemas import EngagementOut, PostingDayOut, SalesRatioOut
from app.profiles.check import ProfileCheckOut
from app.relationships.schemas import StageCounts


class FollowDayOut(BaseModel):
    date: date
    quota: int
    follows: int
    effective_cap: int = Field(description="The day's daily cap, lowered during warm-up.")
    peak_burst: int = Field(description="Most of the day's follows inside one burst window.")
    over_limit: bool = Field(description="follows > effective_cap or peak_burst > burst_limit.")


class FollowWeekOut(BaseModel):
    platform: Platform
    weekly_target: int
    follows: int = Field(description="Outbound follows this week up to as_of.")
    remaining_to_target: int = Field(description="max(0, weekly_target − follows).")
    over_limit_days: int
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    status: Literal["over_limit", "ahead", "behind", "on_track"] = Field(
        description="§6.1 status at as_of (for a past week: on its last day)."
    )
    remaining_today: int = Field(description="§6.1 remaining_today at as_of.")
    days: list[FollowDayOut]


class PostingWeekOut(BaseModel):
    platform: Platform
    min_posts_per_day: int
    max_posts_per_day: int
    posts: int
    days_posted: int = Field(description="Days of the week with at least one post or share.")
    missed_days: int = Field(description="Ended days with fewer posts than min_posts_per_day.")
    over_posting_days: int
    days: list[PostingDayOut]


class NextActionOut(BaseModel):
    code: Literal[
        "follow_slower",
        "post_less",
        "helpful_contacts",
        "missing_profile",
        "missing_photo",
        "photo_not_smiling",
        "missing_bio",
        "bio_too_short",
        "bio_too_long",
        "follow_more",
        "follow_shortfall",
        "post_today",
        "post_missed",
        "interact_more",
        "reconnect",
    ]
    platform: Platform | None
    count: int | None = Field(description="The number the action asks for.")
    text: str


class ReportOut(BaseModel):
    user_id: uuid.UUID
    timezone: str
    week: str = Field(description="ISO week, YYYY-Www.")
    first_day: date = Field(description="Monday of the week (local).")
    last_day: date = Field(description="Sunday of the week (local).")
    as_of: UtcOut = Field(description="The end of the week, or now when the week is not over.")
    complete: bool = Field(description="True when the week is over.")
    days_covered: int = Field(
        description="Local days of the week up to as_of (1–7); the "
        "engagement and sales-ratio window."
    )
    profile: ProfileCheckOut
    follows: list[FollowWeekOut] = Field(description="One per platform with a follow plan.")
    posting: list[PostingWeekOut] = Field(
        description="One per platform with a posting plan or posts this week."
    )
    engagement: EngagementOut
    sales_ratio: SalesRatioOut
    relationships: StageCounts
    next_actions: list[NextActionOut]
