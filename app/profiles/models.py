"""Profiles: the user's presence on each platform (step 1, put yourself out there)."""

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.fields import InputModel, Platform, Text, UtcOut
from app.core.types import UTCDateTime, utc_now


class Profile(SQLModel, table=True):
    __tablename__ = "profile"
    __table_args__ = (UniqueConstraint("user_id", "platform", name="uq_profile_user_platform"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    handle: str = Field(max_length=200)
    bio: str | None = Field(default=None, max_length=2000)
    photo_url: str | None = Field(default=None, max_length=2000)
    photo_smiling: bool | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ProfileIn(InputModel):
    handle: Text = Field(min_length=1, max_length=200)
    bio: Text | None = Field(default=None, max_length=2000)
    photo_url: Text | None = Field(default=None, max_length=2000)
    photo_smiling: bool | None = None


class ProfilePublic(SQLModel):
    platform: Platform
    handle: str
    bio: str | None
    photo_url: str | None
    photo_smiling: bool | None
    created_at: UtcOut
    updated_at: UtcOut


class ProfileList(SQLModel):
    items: list[ProfilePublic]
    next_cursor: str | None = None
