"""Follow plans and posting plans: one of each per user and platform."""

import uuid
from datetime import date, datetime

from pydantic import field_validator
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.fields import InputModel, LocalDate, Platform, UtcOut, Weekday
from app.core.types import UTCDateTime, utc_now

ALL_WEEKDAYS: list[str] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class FollowPlan(SQLModel, table=True):
    __tablename__ = "follow_plan"
    __table_args__ = (UniqueConstraint("user_id", "platform", name="uq_follow_plan_user_platform"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    weekly_target: int
    active_weekdays: list[str] = Field(sa_type=JSON)
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    warmup_days: int
    starts_on: date
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class FollowPlanIn(InputModel):
    weekly_target: int = Field(ge=1, le=10_000)
    active_weekdays: list[Weekday] | None = Field(
        default=None,
        min_length=1,
        max_length=7,
        schema_extra={"json_schema_extra": {"uniqueItems": True}},
    )
    daily_cap: int | None = Field(default=None, ge=1, le=1000)
    burst_limit: int | None = Field(default=None, ge=1, le=1000)
    burst_window_minutes: int | None = Field(default=None, ge=1, le=1440)
    warmup_days: int = Field(default=0, ge=0, le=365)
    starts_on: LocalDate | None = None

    @field_validator("active_weekdays")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if len(set(value)) != len(value):
            raise ValueError("active_weekdays lists a day twice; name each day once")
        return sorted(value, key=ALL_WEEKDAYS.index)


class FollowPlanPublic(SQLModel):
    platform: Platform
    weekly_target: int
    active_weekdays: list[Weekday]
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    warmup_days: int
    starts_on: date
    created_at: UtcOut
    updated_at: UtcOut


class PostingPlan(SQLModel, table=True):
    __tablename__ = "posting_plan"
    __table_args__ = (
        UniqueConstraint("user_id", "platform", name="uq_posting_plan_user_platform"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    min_posts_per_day: int
    max_posts_per_day: int
    min_gap_minutes: int
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class PostingPlanIn(InputModel):
    min_posts_per_day: int | None = Field(default=None, ge=0, le=50)
    max_posts_per_day: int | None = Field(default=None, ge=1, le=50)
    min_gap_minutes: int | None = Field(default=None, ge=0, le=1440)


class PostingPlanPublic(SQLModel):
    platform: Platform
    min_posts_per_day: int
    max_posts_per_day: int
    min_gap_minutes: int
    created_at: UtcOut
    updated_at: UtcOut


class FollowPlanList(SQLModel):
    items: list[FollowPlanPublic]
    next_cursor: str | None = None


class PostingPlanList(SQLModel):
    items: list[PostingPlanPublic]
    next_cursor: str | None = None
