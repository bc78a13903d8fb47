"""The kept responses of requests sent with an Idempotency-Key, per workspace."""

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    """One claim of a key: in progress while ``status`` is null, then the kept response.
    Rows past ``expires_at`` are purged; an in-progress row older than the claim timeout
    (a crashed process) may be claimed again."""

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_expires_at", "expires_at"),)

    workspace_id: uuid.UUID = Field(
        foreign_key="workspace.id", ondelete="CASCADE", primary_key=True
    )
    key: str = Field(max_length=255, primary_key=True)
    # SHA-256 (hex) of the request's method, path, query and body.
    fingerprint: str = Field(max_length=64)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    status: int | None = Field(default=None)
    content_type: str | None = Field(default=None, max_length=255)
    location: str | None = Field(default=None, max_length=2048)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
