"""Activity events: what the user did on a platform, and what others did to them."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ConfigDict, ValidationInfo, field_validator
from sqlalchemy import Index, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.calc.vocabulary import CONTACT_KINDS, CONTACTS
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
        # Relationships, per-counterpart ratios, and ?counterpart= listed by keyset (0014).
        Index("ix_event_user_counterpart", "user_id", "counterpart", "occurred_at", "id"),
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
    """SPEC §1: surrounding whitespace removed, one leading @ removed, whitespace after it
    removed, lower-cased ("  @ Bob " → "bob"); nothing left is None."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("@"):
        value = value[1:].lstrip()
    return value.lower() or None


class EventIn(InputModel):
    # §1: is_sales only on contact kinds, stated in JSON Schema (if is_sales is true, kind is
    # a contact kind) so generated and hand-written clients see the rule, not only the 422.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"is_sales": {"const": True}}, "required": ["is_sales"]},
            "then": {"properties": {"kind": {"enum": list(CONTACT_KINDS)}}},
        }
    )

    platform: Platform
    kind: Kind
    occurred_at: Instant = Field(
        description=(
            "When it happened: RFC 3339 with an offset, years 1970-2099, and at most 24 hours after "
            "the server clock (a later instant is a 422; this rule depends on the clock, so the "
            "pattern cannot state it)."
        )
    )
    direction: Direction = "outbound"
    counterpart: Text | None = Field(default=None, max_length=200)
    is_sales: bool = Field(
        default=False,
        description=(
            "A sales contact. Only contact kinds (post, share, reply, mention, direct_message, "
            "comment, wall_post) may be true; true on follow, unfollow or like is a 422."
        ),
    )
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

    def content(self) -> tuple[Any, ...]:
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


# The event table as a typed Core Table, for statements over its columns (reads anywhere;
# writes only in app.events.store).
EVENT_TABLE: Table = SQLModel.metadata.tables["event"]
