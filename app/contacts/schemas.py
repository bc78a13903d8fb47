"""Bodies and answers of /v1/users/{id}/contacts (SPEC §10)."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from app.core.fields import InputModel, Name, Text, UtcOut
from app.relationships.schemas import Stage

Tag = Annotated[Text, Field(min_length=1, max_length=50)]
ContactSort = Literal["last_contact", "due", "health"]


class ContactOut(BaseModel):
    id: uuid.UUID
    name: str | None
    tags: list[str]
    notes: str | None
    handles: list[str] = Field(description="The contact's handles (normalised counterparts), A–Z.")
    created_at: UtcOut
    first_contact_at: UtcOut | None
    last_contact_at: UtcOut | None
    outbound: int
    inbound: int
    non_sales: int
    sales: int
    stage: Stage | None = Field(description="§6.7 over all handles; null without events.")
    stale: bool = Field(description="as_of is after due_at.")
    keep_in_touch_days: int = Field(description="The contact's own cadence, or the user's.")
    own_keep_in_touch_days: int | None = Field(
        description="The contact's own cadence; null when it follows the user's setting."
    )
    due_at: UtcOut | None = Field(description="last_contact_at + keep_in_touch_days days.")
    overdue_days: int = Field(description="Whole days from due_at to as_of; 0 when not due.")
    reciprocity: float | None = Field(
        description="Inbound ÷ outbound events over the 90 days ending at as_of; null without "
        "outbound events."
    )
    unanswered: int = Field(
        description="Inbound reply/mention/direct_message/comment/wall_post events of the 90 "
        "days with no outbound interaction or contact after them."
    )
    median_reply_minutes: float | None = Field(
        description="Median minutes from an answered inbound event to the first answer; one "
        "decimal; null when none was answered."
    )
    health: int = Field(description="0–100: 40 × recency + 30 × reciprocity + 30 × balance.")


class ContactList(BaseModel):
    as_of: UtcOut
    items: list[ContactOut]
    next_cursor: str | None


class ContactPatch(InputModel):
    name: Name | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20, description="At most 20 tags.")
    keep_in_touch_days: int | None = Field(
        default=None, ge=1, le=3650, description="1–3650 days; null: the user's setting."
    )
    notes: Text | None = Field(default=None, max_length=5000)


ContactId = Annotated[uuid.UUID, Strict(False)]  # a UUID string in JSON


class MergeIn(InputModel):
    contact_ids: list[ContactId] = Field(
        min_length=1, max_length=100, description="The contacts to merge into this one."
    )


class SplitIn(InputModel):
    handle: Text = Field(min_length=1, max_length=200)
