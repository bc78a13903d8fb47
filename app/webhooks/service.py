"""Webhook endpoints of a workspace: create, list, read, change, delete, rotate the secret,
send a test, list and retry deliveries (SPEC §12). Services flush; the session commits."""

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.core.errors import DELIVERY_PENDING, not_found
from app.core.pagination import Keyset
from app.core.types import utc_now
from app.webhooks import urls
from app.webhooks.models import (
    DELIVERY_TABLE,
    ENDPOINT_TABLE,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhooks.outbox import emit
from app.webhooks.schemas import WebhookCreate, WebhookUpdate
from app.webhooks.secrets import SecretBox, new_secret
from app.webhooks.types import SUBSCRIBABLE, WEBHOOK_TEST

ROTATION_OVERLAP = timedelta(hours=24)
ENDPOINTS_KEYSET = Keyset(ENDPOINT_TABLE.c.created_at, ENDPOINT_TABLE.c.id, uuid.UUID)
DELIVERIES_KEYSET = Keyset(
    DELIVERY_TABLE.c.created_at, DELIVERY_TABLE.c.id, uuid.UUID, descending=True
)


def events_of(endpoint: WebhookEndpoint) -> list[str]:
    events: list[str] = json.loads(endpoint.events)
    return events


def _events_json(events: Sequence[str] | None) -> str:
    chosen = set(events) if events else set(SUBSCRIBABLE)
    order = [*SUBSCRIBABLE, WEBHOOK_TEST]
    return json.dumps([t for t in order if t in chosen])


def create(
    session: Session, workspace_id: uuid.UUID, body: WebhookCreate, box: SecretBox, loopback: bool
) -> tuple[WebhookEndpoint, str]:
    urls.check_url(body.url, loopback)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=body.url,
        description=body.description,
        events=_events_json(body.events),
        secret_encrypted=box.seal(secret),
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def get(session: Session, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The workspace's endpoint; 404 for a missing one and another workspace's alike."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.workspace_id != workspace_id:
        raise not_found("webhook")
    return endpoint


def list_endpoints(
    session: Session, workspace_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[WebhookEndpoint], str | None]:
    query = (
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.workspace_id) == workspace_id)
        .where(*ENDPOINTS_KEYSET.where(cursor))
        .order_by(*ENDPOINTS_KEYSET.order_by())
        .limit(limit + 1)
    )
    rows = list(session.execute(query).scalars())
    return ENDPOINTS_KEYSET.page(rows, limit, lambda e: (e.created_at, e.id))


def patch(
    session: Session, endpoint: WebhookEndpoint, body: WebhookUpdate, loopback: bool
) -> WebhookEndpoint:
    if body.url is not None:
        urls.check_url(body.url, loopback)
        endpoint.url = body.url
    if body.events is not None:
        endpoint.events = _events_json(body.events)
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is not None:
        endpoint.enabled = body.enabled
        if body.enabled:
            endpoint.disabled_reason = None
            endpoint.failing_since = None
    endpoint.updated_at = utc_now()
    session.add(endpoint)
    session.flush()
    return endpoint


def delete(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, endpoint: WebhookEndpoint, box: SecretBox, now: datetime | None = None
) -> str:
    """A new secret; the current one keeps signing (beside it) for 24 h."""
    now = now or utc_now()
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret_encrypted = box.seal(secret)
    endpoint.updated_at = now
    session.add(endpoint)
    session.flush()
    return secret


def send_test(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    message_id = emit(
        session,
        workspace_id=endpoint.workspace_id,
        user=None,
        type=WEBHOOK_TEST,
        data={"webhook_endpoint_id": str(endpoint.id)},
        dedupe_key=f"{WEBHOOK_TEST}/{uuid.uuid4()}",
        endpoints=[endpoint.id],
    )
    delivery: WebhookDelivery = session.execute(
        select(WebhookDelivery).where(col(WebhookDelivery.message_id) == message_id)
    ).scalar_one()
    return delivery


def list_deliveries(
    session: Session, endpoint: WebhookEndpoint, limit: int, cursor: str | None
) -> tuple[list[WebhookDelivery], str | None]:
    query = (
        select(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint.id)
        .where(*DELIVERIES_KEYSET.where(cursor))
        .order_by(*DELIVERIES_KEYSET.order_by())
        .limit(limit + 1)
    )
    rows = list(session.execute(query).scalars())
    return DELIVERIES_KEYSET.page(rows, limit, lambda d: (d.created_at, d.id))


def retry(session: Session, endpoint: WebhookEndpoint, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue a finished delivery again now (409 while it is pending)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise not_found("delivery")
    now = utc_now()
    changed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) != "pending")
        .values(status="pending", next_attempt_at=now, claim_token=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise DELIVERY_PENDING.error()
    session.refresh(delivery)
    return delivery
