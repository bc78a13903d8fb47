"""Activity events: what the user did on a platform, and what others did to them."""

import uuid
from datetime import UTC, datetime, timedelta

from pydantic import ValidationInfo, field_validator
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.calc.vocabulary import CONTACTS
from app.core.fields import Direction, ExternalId, InputModel, Instant, Kind, Platform, Text, UtcOut
from app.core.types import UTCDateTime, utc_now

FUTURE_TOLERANCE = timedelta(hours=24)


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        # Every insight: one user's outbound events of some kinds on a platform in a window.
        # Covering (direction, is_sales, counterpart): window queries never visit the table.
        Index(
            "ix_event_window",
            "user_id",
            "platform",
            "kind",
            "occurred_at",
            "direction",
            "is_sales",
            "counterpart",
        ),
        # Listing newest first with a keyset cursor.
        Index("ix_event_user_time", "user_id", "occurred_at", "id"),
        # Relationships and per-counterpart ratios.
        Index("ix_event_user_counterpart", "user_id", "counterpart", "occurred_at"),
        UniqueConstraint("user_id", "external_id", name="uq_event_user_external"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    direction: str = Field(max_length=8)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    counterpart: str | None = Field(default=None, max_length=200)
    is_sales: bool = False
    url: str | None = Field(default=None, max_length=2000)
    text: str | None = Field(default=None, max_length=5000)
    external_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


def normalise_counterpart(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value.startswith("@"):
        value = value[1:]
    value = value.lower()
    return value or None


class EventIn(InputModel):
    platform: Platform
    kind: Kind
    occurred_at: Instant
    direction: Direction = "outbound"
    counterpart: Text | None = Field(default=None, max_length=200)
    is_sales: bool = False
    url: Text | None = Field(default=None, max_length=2000)
    text: Text | None = Field(default=None, max_length=5000)
    external_id: ExternalId | None = None

    @field_validator("counterpart")
    @classmethod
    def _normalise(cls, value: str | None) -> str | None:
        return normalise_counterpart(value)

    @field_validator("occurred_at")
    @classmethod
    def _not_far_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError(
                "occurred_at is more than 24 hours after the server clock; send when it happened"
            )
        return value

    @field_validator("is_sales")
    @classmethod
    def _sales_only_on_contacts(cls, value: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("kind")  # validated before is_sales (field order)
        if value and kind is not None and kind not in CONTACTS:
            raise ValueError(
                f"is_sales is only allowed on contact kinds ({', '.join(sorted(CONTACTS))}), "
                f"not on '{kind}'"
            )
        return value

    def content(self) -> tuple:
        """What makes two events with the same external_id the same event."""
        return (
            self.platform,
            self.kind,
            self.direction,
            self.occurred_at,
            self.counterpart,
            self.is_sales,
            self.url,
            self.text,
        )


def stored_content(event: Event) -> tuple:
    return (
        event.platform,
        event.kind,
        event.direction,
        event.occurred_at,
        event.counterpart,
        event.is_sales,
        event.url,
        event.text,
    )


class EventPublic(SQLModel):
    id: uuid.UUID
    platform: Platform
    kind: Kind
    direction: Direction
    occurred_at: UtcOut
    counterpart: str | None
    is_sales: bool
    url: str | None
    text: str | None
    external_id: str | None
    created_at: UtcOut


class EventList(SQLModel):
    items: list[EventPublic]
    next_cursor: str | None


class EventBatchIn(InputModel):
    events: list[EventIn] = Field(min_length=1, max_length=1000)


class EventBatchResult(SQLModel):
    created: int
    duplicates: int
    ids: list[uuid.UUID]
