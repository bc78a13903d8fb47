"""Workspaces (tenants) and their API keys."""

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.fields import InputModel, Name, UtcOut
from app.core.types import UTCDateTime, utc_now


class Workspace(SQLModel, table=True):
    __tablename__ = "workspace"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspace.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WorkspacePublic(SQLModel):
    id: uuid.UUID
    name: str
    created_at: UtcOut


class ApiKeyCreate(InputModel):
    name: Name = "api"


class ApiKeyPublic(SQLModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: UtcOut
    last_used_at: UtcOut | None
    revoked_at: UtcOut | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The secret. Shown once; store it now.")


class ApiKeyList(SQLModel):
    items: list[ApiKeyPublic]
    next_cursor: str | None = None
