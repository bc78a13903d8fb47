"""Request and response bodies of /v1/webhooks (SPEC §12)."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.fields import Component, InputModel, Text, UtcOut
from app.webhooks import types

EventType = Annotated[
    types.EventType,
    Component(
        "WebhookEventType",
        "A webhook event type (§12). webhook.test is sent by POST /v1/webhooks/{id}:test.",
    ),
]
DeliveryStatus = Literal["pending", "succeeded", "failed"]
# Checked by app.webhooks.urls (scheme, host, the addresses it resolves to).
Url = Annotated[
    Text, Field(min_length=1, max_length=2000, examples=["https://crm.example.com/hooks/rapport"])
]
Description = Annotated[Text, Field(max_length=500)]


class WebhookCreate(InputModel):
    url: Url
    events: list[EventType] | None = Field(
        default=None,
        min_length=1,
        description="Types to send; default every type.",
    )
    description: Description | None = None


class WebhookUpdate(InputModel):
    url: Url | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    description: Description | None = None
    enabled: bool | None = Field(
        default=None, description="true enables again an endpoint that was disabled."
    )


class WebhookPublic(BaseModel):
    id: uuid.UUID
    url: str
    events: list[EventType]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    previous_secret_expires_at: UtcOut | None = Field(
        description="During a rotation: until when the previous secret still signs."
    )
    created_at: UtcOut
    updated_at: UtcOut


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="whsec_… — shown only here; store it now.")


class WebhookList(BaseModel):
    items: list[WebhookPublic]
    next_cursor: str | None


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    webhook_id: str = Field(description="The webhook-id header (the same on every retry).")
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: UtcOut | None
    created_at: UtcOut


class DeliveryList(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None
