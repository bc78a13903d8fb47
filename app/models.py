"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from app.auth.models import ApiKey, Workspace
from app.contacts.models import Contact, ContactHandle, ContactMerged, ContactTag
from app.events.models import Event
from app.events.store.maintenance import EventDayCount
from app.idempotency.models import IdempotencyKey
from app.plans.models import FollowPlan, PostingPlan
from app.profiles.models import Profile
from app.users.models import User
from app.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookUserState,
)

metadata = SQLModel.metadata

__all__ = [
    "ApiKey",
    "Contact",
    "ContactHandle",
    "ContactMerged",
    "ContactTag",
    "Event",
    "EventDayCount",
    "FollowPlan",
    "IdempotencyKey",
    "PostingPlan",
    "Profile",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebhookUserState",
    "Workspace",
    "metadata",
]
