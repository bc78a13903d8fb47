"""Users: the people Rapport coaches, one timezone and a few settings each."""

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, model_validator
from sqlalchemy import BigInteger, Index, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.calc.vocabulary import (
    DEFAULT_INTERACTION_SHARE_TARGET,
    DEFAULT_KEEP_IN_TOUCH_DAYS,
    DEFAULT_SALES_RATIO,
)
from app.calc.working_hours import DEFAULT_WORK_END, DEFAULT_WORK_START, parse_clock
from app.core.fields import ExternalId, InputModel, Name, SchemaExtra, TimeZoneName, UtcOut
from app.core.types import UTCDateTime, utc_now


def _clock(value: str) -> str:
    parse_clock(value)
    return value


# A local wall-clock time "HH:MM" (00:00 to 23:59). The pattern is stated in the schema for
# clients and generators; the validator gives the message a curl user can act on.
Clock = Annotated[
    str,
    AfterValidator(_clock),
    SchemaExtra(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$"),
]


class WorkingHours(InputModel):
    """The part of each local day in which Rapport schedules actions (GET …/today)."""

    start: Clock = DEFAULT_WORK_START
    end: Clock = DEFAULT_WORK_END

    @model_validator(mode="after")
    def _end_after_start(self) -> "WorkingHours":
        if parse_clock(self.end) <= parse_clock(self.start):
            raise ValueError(
                f"working_hours end ({self.end}) must be after start ({self.start}), "
                "on the same local day"
            )
        return self


class WorkingHoursPatch(InputModel):
    """Either time or both; the result must still end after it starts."""

    start: Clock | None = None
    end: Clock | None = None


# The defaults are SPEC §4's (app.calc.vocabulary), the only ones: the columns of User take
# theirs from the same constants. (A comment, not a docstring: that would be the schema's
# description in openapi.json.)
class UserSettings(InputModel):
    sales_ratio: float = Field(default=DEFAULT_SALES_RATIO, ge=1, le=1_000_000)
    interaction_share_target: float = Field(default=DEFAULT_INTERACTION_SHARE_TARGET, ge=0, le=1)
    keep_in_touch_days: int = Field(default=DEFAULT_KEEP_IN_TOUCH_DAYS, ge=1, le=3650)
    working_hours: WorkingHours = Field(default_factory=WorkingHours)


class UserSettingsPatch(InputModel):
    sales_ratio: float | None = Field(default=None, ge=1, le=1_000_000)
    interaction_share_target: float | None = Field(default=None, ge=0, le=1)
    keep_in_touch_days: int | None = Field(default=None, ge=1, le=3650)
    working_hours: WorkingHoursPatch | None = None


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id", name="uq_user_workspace_external"),
        # GET /v1/users: a workspace's users oldest first, in keyset pages.
        Index("ix_app_user_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspace.id", ondelete="CASCADE")
    name: str = Field(max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    external_id: str | None = Field(default=None, max_length=200)
    sales_ratio: float = DEFAULT_SALES_RATIO
    interaction_share_target: float = DEFAULT_INTERACTION_SHARE_TARGET
    keep_in_touch_days: int = DEFAULT_KEEP_IN_TOUCH_DAYS
    work_start: str = Field(
        default=DEFAULT_WORK_START,
        max_length=5,
        sa_column_kwargs={"server_default": DEFAULT_WORK_START},
    )
    work_end: str = Field(
        default=DEFAULT_WORK_END,
        max_length=5,
        sa_column_kwargs={"server_default": DEFAULT_WORK_END},
    )
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    # A fresh random 40-bit number in the transaction of every change to the user's per-day
    # counters (app/events/store/_day_counts.py): read with the key by authentication, it
    # tells the window cache that nothing of the user's changed since an entry was kept,
    # without a statement of its own. Never in a response.
    events_version: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )

    @property
    def settings(self) -> UserSettings:
        return UserSettings(
            sales_ratio=self.sales_ratio,
            interaction_share_target=self.interaction_share_target,
            keep_in_touch_days=self.keep_in_touch_days,
            working_hours=WorkingHours(start=self.work_start, end=self.work_end),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class UserCreate(InputModel):
    name: Name
    timezone: TimeZoneName = "UTC"
    external_id: ExternalId | None = None
    settings: UserSettings | None = None


class UserUpdate(InputModel):
    name: Name | None = None
    timezone: TimeZoneName | None = None
    external_id: ExternalId | None = None
    settings: UserSettingsPatch | None = None


class UserPublic(SQLModel):
    id: uuid.UUID
    name: str
    timezone: str
    external_id: str | None
    settings: UserSettings
    created_at: UtcOut
    updated_at: UtcOut


class UserList(SQLModel):
    items: list[UserPublic]
    next_cursor: str | None


USER_TABLE: Table = SQLModel.metadata.tables["app_user"]
