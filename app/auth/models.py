"""Workspaces (tenants) and their API keys."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field as Describe
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.auth.scopes import Scope
from app.core.fields import Component, InputModel, Instant, Name, UtcOut
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
    # What the key may do (app/auth/scopes.py: the widest one counts); keys made before
    # scopes existed are ["admin"] (migration 0011).
    scopes: list[str] = Field(default_factory=lambda: ["admin"], sa_type=JSON)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WorkspacePublic(SQLModel):
    id: uuid.UUID
    name: str
    created_at: UtcOut


ScopeName = Annotated[
    Scope,
    Component(
        "Scope",
        "A key's scope: read ⊂ write ⊂ admin ('read' reads; 'write' also records and changes "
        "data; 'admin' also manages keys and webhooks).",
    ),
]
ScopeList = Annotated[
    list[ScopeName],
    Describe(
        min_length=1,
        max_length=3,
        description="What the key may do: 'read' reads; 'write' also records and changes "
        "data; 'admin' also manages keys and webhooks. No wider than the calling key's.",
    ),
]


class ApiKeyCreate(InputModel):
    name: Name = "api"
    scopes: ScopeList | None = Describe(
        default=None, description="Default: the calling key's scopes."
    )
    expires_at: Instant | None = Describe(
        default=None,
        description="When the key stops working (RFC 3339, in the future). Default: never, "
        "or the calling key's own expiry when it has one; never later than that.",
    )


class ApiKeyPublic(SQLModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: UtcOut
    last_used_at: UtcOut | None
    revoked_at: UtcOut | None
    scopes: list[ScopeName]
    expires_at: UtcOut | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The secret. Shown once; store it now.")


class ApiKeyList(SQLModel):
    items: list[ApiKeyPublic]
    next_cursor: str | None = None
