"""Answers of the insight endpoints (SPEC §6.1–§6.5), shaped from the services' results.

Each ``from_result`` validates a result of ``app.insights.results`` (or the guard's
``GuardResult``) from its attributes: the calc dataclasses' fields are the models' fields,
so nothing is copied by hand, and the codes and flags are calc's own Literals.
"""

from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field

from app.calc.engagement import EngagementFlag
from app.calc.guard import Action, GuardResult, ReasonCode
from app.calc.posting import PostingFlag
from app.core.fields import InputModel, Instant, PaceStatus, Platform, Text, UtcOut
from app.insights.results import Engagement, Pacing, PlatformPosting, Posting, SalesRatio
from app.plans.models import FollowPlanPublic


def _fields(result: object, **context: Any) -> dict[str, Any]:
    """A calc result's fields (nested dataclasses stay objects, validated from their
    attributes) with what the answer adds to them."""
    return {**vars(result), **context}


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
    status: PaceStatus
    follow_back_rate: float | None
    days: list[DayQuotaOut]
    plan: FollowPlanPublic

    @classmethod
    def from_result(cls, p: Pacing) -> Self:
        return cls.model_validate(
            _fields(
                p.report,
                platform=p.platform,
                as_of=p.as_of,
                window_days=p.window_days,
                plan=p.plan,
            ),
            from_attributes=True,
        )


class PostingDayOut(BaseModel):
    date: date
    posts: int
    flags: list[PostingFlag]


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

    @classmethod
    def from_result(cls, s: PlatformPosting) -> Self:
        return cls.model_validate(
            _fields(s.section, platform=s.platform, **vars(s.rules)), from_attributes=True
        )


class PostingOut(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    as_of: UtcOut
    platforms: list[PostingSectionOut]

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def from_result(cls, p: Posting) -> Self:
        return cls(
            from_=p.first,
            to=p.last,
            as_of=p.as_of,
            platforms=[PostingSectionOut.from_result(s) for s in p.platforms],
        )


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

    @classmethod
    def from_result(cls, r: SalesRatio) -> Self:
        return cls.model_validate(
            _fields(
                r.figures,
                as_of=r.as_of,
                window_days=r.window_days,
                platform=r.platform,
                by_platform=[_fields(f, platform=p) for p, f in r.by_platform],
                # Dicts, not models: pydantic-core validates hundreds of them faster than
                # Python builds models.
                by_counterpart=[_fields(f, counterpart=c) for c, f in r.by_counterpart],
            )
        )


class EngagementOut(BaseModel):
    as_of: UtcOut
    window_days: int
    broadcasts: int
    interactions: int
    inbound: int
    people_engaged: int
    interaction_share: float | None
    interaction_share_target: float
    flags: list[EngagementFlag]

    @classmethod
    def from_result(cls, e: Engagement) -> Self:
        return cls.model_validate(_fields(e.figures, as_of=e.as_of, window_days=e.window_days))


class CheckIn(InputModel):
    action: Action
    platform: Platform
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    counterpart: Annotated[Text | None, Field(max_length=200)] = None
    at: Instant | None = Field(
        default=None, description="When the action would happen; default now."
    )
    text: Annotated[Text | None, Field(max_length=100_000)] = Field(
        default=None,
        description="For action post: the post's text, checked against the platform's "
        "post text limit in its unit (§9.3); ignored for other actions.",
    )


class ReasonOut(BaseModel):
    code: ReasonCode
    detail: str


class CheckOut(BaseModel):
    allowed: bool
    at: UtcOut
    reasons: list[ReasonOut]
    next_allowed_at: UtcOut | None

    @classmethod
    def from_result(cls, result: GuardResult, at: datetime) -> Self:
        return cls.model_validate(_fields(result, at=at), from_attributes=True)
