"""Webhook tables: endpoints, the outbox (one message per thing that happened) and one
delivery per message and endpoint.

- ``webhook_message``: written in the transaction of the change that caused it; UNIQUE
  (workspace_id, dedupe_key) is what makes each trigger send once, whoever evaluates it.
- ``webhook_delivery``: the worker's queue. ``ix_webhook_delivery_due`` (status,
  next_attempt_at) serves "pending deliveries due now"; a claim moves ``next_attempt_at``
  to the end of the claim's lease and sets ``claim_token``, so a delivery is in flight at
  most once, and one whose worker died is due again when the lease ends.
- ``webhook_user_state``: per user, what the time-driven and transition types remember:
  the last sales-ratio state, the next report.weekly instant (indexed: the due users are an
  index range, not a scan).
"""

import uuid
from datetime import datetime

from sqlalchemy import Index, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utc_now


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        # GET /v1/webhooks (oldest first, keyset pages), and the write path's check "does
        # this workspace have an enabled endpoint" (its prefix).
        Index("ix_webhook_endpoint_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspace.id", ondelete="CASCADE")
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    events: str = Field(sa_type=Text)  # JSON list of the types subscribed to
    # Fernet tokens (RAPPORT_SECRET_KEY) of the secret and, during a rotation's 24 h overlap,
    # of the previous one.
    secret_encrypted: str = Field(sa_type=Text)
    previous_secret_encrypted: str | None = Field(default=None, sa_type=Text)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    # The first failed attempt since the last success (None: the last attempt succeeded).
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class WebhookMessage(SQLModel, table=True):
    __tablename__ = "webhook_message"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key", name="uq_webhook_message_dedupe"),
    )

    id: str = Field(primary_key=True, max_length=40)  # msg_…, the webhook-id header
    workspace_id: uuid.UUID = Field(foreign_key="workspace.id", ondelete="CASCADE")
    event_type: str = Field(max_length=64)
    dedupe_key: str = Field(max_length=300)
    body: str = Field(sa_type=Text)  # the JSON document POSTed, byte for byte
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # GET /v1/webhooks/{id}/deliveries: newest first, keyset pages.
        Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    message_id: str = Field(foreign_key="webhook_message.id", ondelete="CASCADE", max_length=40)
    event_type: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)  # pending | succeeded | failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: uuid.UUID | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class WebhookUserState(SQLModel, table=True):
    __tablename__ = "webhook_user_state"
    __table_args__ = (Index("ix_webhook_user_state_weekly", "next_weekly_report_at"),)

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", primary_key=True)
    # The 30-day sales ratio as last seen by a trigger (None: never evaluated: compliant),
    # and how many transitions were sent (the dedupe key of the next one).
    sales_compliant: bool | None = None
    sales_transitions: int = 0
    next_weekly_report_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


ENDPOINT_TABLE: Table = SQLModel.metadata.tables["webhook_endpoint"]
MESSAGE_TABLE: Table = SQLModel.metadata.tables["webhook_message"]
DELIVERY_TABLE: Table = SQLModel.metadata.tables["webhook_delivery"]
USER_STATE_TABLE: Table = SQLModel.metadata.tables["webhook_user_state"]
