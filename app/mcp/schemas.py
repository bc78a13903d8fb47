"""The tools' arguments, and the answers that have no HTTP response model of their own.

Arguments are request bodies (``InputModel``: unknown fields refused, JSON types as sent,
instants RFC 3339 with an offset); the answers of the checks, the batch, the report and the
plan are the HTTP endpoints' own response models (see app/mcp/tools.py).
"""

import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from app.core.fields import ExternalId, InputModel, Instant, Platform, Text, UtcOut, WeekText
from app.events.models import EventIn

MAX_EVENTS = 100  # §14: record_activity takes at most this many events per call

UserId = Annotated[uuid.UUID, Field(description="The user's id (a UUID), as find_user answers it.")]
At = Annotated[
    Instant | None,
    Field(
        description="When the action would happen, RFC 3339 with an offset "
        "(e.g. 2026-11-27T14:05:00Z); default now. Pass a next_allowed_at here to ask "
        "again for that instant."
    ),
]
AsOf = Annotated[
    Instant | None,
    Field(description="Answer as if it were this instant (RFC 3339 with an offset); default now."),
]


class FindUserIn(InputModel):
    external_id: ExternalId | None = Field(
        default=None, description="Your system's id for the user (exact match)."
    )
    name: Annotated[Text | None, Field(min_length=1, max_length=200)] = Field(
        default=None, description="Part of the user's name (case-insensitive)."
    )
    limit: Annotated[int, Field(ge=1, le=50)] = Field(
        default=10, description="At most this many users (1–50)."
    )

    @model_validator(mode="after")
    def _one_given(self) -> Self:
        if self.external_id is None and self.name is None:
            raise ValueError("give external_id or name (or both)")
        return self


class UserMatch(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    external_id: str | None


class FindUserOut(BaseModel):
    users: list[UserMatch] = Field(description="Matching users of this workspace, oldest first.")


class MayIFollowIn(InputModel):
    user_id: UserId
    platform: Platform
    count: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=1, description="How many follows you intend to do now (1–1000)."
    )
    at: At = None


class MayIPostIn(InputModel):
    user_id: UserId
    platform: Platform
    text: Annotated[Text | None, Field(max_length=100_000)] = Field(
        default=None,
        description="The post's text, checked against the platform's text limit in its unit.",
    )
    at: At = None


class MayIPitchIn(InputModel):
    user_id: UserId
    counterpart: Annotated[Text | None, Field(max_length=200)] = Field(
        default=None,
        description="The person you would pitch (their handle, e.g. @grace); also checks "
        "that person's own ratio of helpful to sales contacts.",
    )
    at: At = None


class RecordActivityIn(InputModel):
    user_id: UserId
    events: list[EventIn] = Field(
        min_length=1,
        max_length=MAX_EVENTS,
        description="What the user did or received, 1 to 100 events. Give each an "
        "external_id (e.g. the platform's id of the post): a repeat is then recognised "
        "and not stored twice.",
    )


class WeeklyReportIn(InputModel):
    user_id: UserId
    week: Annotated[WeekText | None, Field(max_length=32)] = Field(
        default=None,
        description="ISO week YYYY-Www, e.g. 2026-W48; default the current week in the "
        "user's time zone.",
    )
    as_of: AsOf = None


class PlanTodayIn(InputModel):
    user_id: UserId
    as_of: AsOf = None


class ContactsToReachIn(InputModel):
    user_id: UserId
    as_of: AsOf = None
    limit: Annotated[int, Field(ge=1, le=50)] = Field(
        default=10, description="At most this many people in each list (1–50)."
    )


class ContactBriefOut(BaseModel):
    contact_id: uuid.UUID
    name: str | None
    handles: list[str]
    unanswered: int = Field(description="Their messages of the last 90 days not answered yet.")
    waiting_since: UtcOut | None = Field(description="When the oldest unanswered one came.")
    due_at: UtcOut | None = Field(description="When the user should be in touch again.")
    overdue_days: int = Field(description="Whole days past due_at (0 when not due).")


class ContactsToReachOut(BaseModel):
    get_back_to: list[ContactBriefOut] = Field(
        description="People waiting for an answer, oldest unanswered first."
    )
    keep_in_touch: list[ContactBriefOut] = Field(
        description="People not contacted for too long, most overdue first."
    )
