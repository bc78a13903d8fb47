"""The weekly report (SPEC §6.8), shaped from ``app.reports.service.WeeklyReport``."""

import uuid
from datetime import date, timedelta
from typing import Self

from pydantic import BaseModel, Field

from app.calc.next_actions import NextActionCode
from app.core.fields import PaceStatus, Platform, UtcOut
from app.insights.results import PlatformPosting
from app.insights.schemas import EngagementOut, PostingDayOut, SalesRatioOut
from app.profiles.check import ProfileCheckOut, check_out
from app.relationships.schemas import StageCounts
from app.reports.service import FollowWeek, WeeklyReport


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
    status: PaceStatus = Field(
        description="§6.1 status at as_of (for a past week: on its last day)."
    )
    remaining_today: int = Field(description="§6.1 remaining_today at as_of.")
    days: list[FollowDayOut]

    @classmethod
    def from_result(cls, f: FollowWeek) -> Self:
        rules, report = f.pacing.rules, f.pacing.report
        return cls.model_validate(
            {
                "platform": f.pacing.platform,
                "weekly_target": rules.weekly_target,
                "follows": f.follows,
                "remaining_to_target": max(0, rules.weekly_target - f.follows),
                "over_limit_days": f.over_limit_days,
                "daily_cap": rules.daily_cap,
                "burst_limit": rules.burst_limit,
                "burst_window_minutes": rules.burst_window_minutes,
                "status": report.status,
                "remaining_today": report.remaining_today,
                "days": f.days,
            },
            from_attributes=True,
        )


class PostingWeekOut(BaseModel):
    platform: Platform
    min_posts_per_day: int
    max_posts_per_day: int
    posts: int
    days_posted: int = Field(description="Days of the week with at least one post or share.")
    missed_days: int = Field(description="Ended days with fewer posts than min_posts_per_day.")
    over_posting_days: int
    days: list[PostingDayOut]

    @classmethod
    def from_result(cls, s: PlatformPosting) -> Self:
        days = s.section.days
        return cls.model_validate(
            {
                "platform": s.platform,
                "min_posts_per_day": s.rules.min_posts_per_day,
                "max_posts_per_day": s.rules.max_posts_per_day,
                "posts": sum(d.posts for d in days),
                "days_posted": sum(1 for d in days if d.posts),
                "missed_days": s.section.missed_days,
                "over_posting_days": s.section.over_posting_days,
                "days": days,
            },
            from_attributes=True,
        )


class NextActionOut(BaseModel):
    code: NextActionCode
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

    @classmethod
    def from_result(cls, r: WeeklyReport) -> Self:
        iso = r.monday.isocalendar()
        return cls.model_validate(
            {
                "user_id": r.user.id,
                "timezone": r.user.timezone,
                "week": f"{iso.year}-W{iso.week:02d}",
                "first_day": r.monday,
                "last_day": r.monday + timedelta(days=6),
                "as_of": r.as_of,
                "complete": r.complete,
                "days_covered": r.days_covered,
                "profile": check_out(r.profile),
                "follows": [FollowWeekOut.from_result(f) for f in r.follows],
                "posting": [PostingWeekOut.from_result(s) for s in r.posting.platforms],
                "engagement": EngagementOut.from_result(r.engagement),
                "sales_ratio": SalesRatioOut.from_result(r.sales_ratio),
                "relationships": r.relationships,
                "next_actions": r.next_actions,
            },
            from_attributes=True,
        )
