"""/v1/webhooks (SPEC §12): endpoints of the caller's workspace and their deliveries."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from app.core.config import Settings
from app.core.pagination import Cursor, Limit
from app.deps import ReadSession, WorkspaceDep, WriteSession, require_scope
from app.webhooks import service
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import (
    DeliveryList,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)
from app.webhooks.secrets import SecretBox

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[require_scope("admin")])

WebhookId = Annotated[uuid.UUID, Path(description="The webhook endpoint's id.")]
DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id.")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _box(request: Request) -> SecretBox:
    return SecretBox(_settings(request).secret_key)


def public(endpoint: WebhookEndpoint) -> WebhookPublic:
    return WebhookPublic(
        id=endpoint.id,
        url=endpoint.url,
        events=service.events_of(endpoint),  # type: ignore[arg-type]
        description=endpoint.description,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def delivery_public(d: WebhookDelivery) -> DeliveryPublic:
    return DeliveryPublic(
        id=d.id,
        webhook_id=d.message_id,
        event_type=d.event_type,  # type: ignore[arg-type]
        status=d.status,  # type: ignore[arg-type]
        attempts=d.attempts,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        created_at=d.created_at,
    )


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a webhook endpoint (its secret is shown once)",
)
def create_webhook(
    body: WebhookCreate,
    request: Request,
    response: Response,
    session: WriteSession,
    workspace: WorkspaceDep,
) -> WebhookCreated:
    endpoint, secret = service.create(
        session, workspace.id, body, _box(request), _settings(request).webhook_allow_loopback
    )
    response.headers["Location"] = f"/v1/webhooks/{endpoint.id}"
    return WebhookCreated(**public(endpoint).model_dump(), secret=secret)


@router.get("", response_model=WebhookList, summary="List webhook endpoints, oldest first")
def list_webhooks(
    session: ReadSession, workspace: WorkspaceDep, limit: Limit = 50, cursor: Cursor = None
) -> WebhookList:
    rows, next_cursor = service.list_endpoints(session, workspace.id, limit, cursor)
    return WebhookList(items=[public(e) for e in rows], next_cursor=next_cursor)


@router.post(
    "/{webhook_id}:rotate-secret",
    response_model=WebhookCreated,
    summary="New secret (shown once); the previous one also signs for 24 h",
)
def rotate_secret(
    webhook_id: WebhookId, request: Request, session: WriteSession, workspace: WorkspaceDep
) -> WebhookCreated:
    endpoint = service.get(session, workspace.id, webhook_id)
    secret = service.rotate_secret(session, endpoint, _box(request))
    return WebhookCreated(**public(endpoint).model_dump(), secret=secret)


@router.post(
    "/{webhook_id}:test",
    response_model=DeliveryPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send webhook.test to this endpoint",
)
def test_webhook(
    webhook_id: WebhookId, session: WriteSession, workspace: WorkspaceDep
) -> DeliveryPublic:
    endpoint = service.get(session, workspace.id, webhook_id)
    return delivery_public(service.send_test(session, endpoint))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}:retry",
    response_model=DeliveryPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a succeeded or failed delivery again (one more attempt, now)",
)
def retry_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, session: WriteSession, workspace: WorkspaceDep
) -> DeliveryPublic:
    endpoint = service.get(session, workspace.id, webhook_id)
    return delivery_public(service.retry(session, endpoint, delivery_id))


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    summary="This endpoint's deliveries, newest first",
)
def list_deliveries(
    webhook_id: WebhookId,
    session: ReadSession,
    workspace: WorkspaceDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveryList:
    endpoint = service.get(session, workspace.id, webhook_id)
    rows, next_cursor = service.list_deliveries(session, endpoint, limit, cursor)
    return DeliveryList(items=[delivery_public(d) for d in rows], next_cursor=next_cursor)


@router.get("/{webhook_id}", response_model=WebhookPublic, summary="Read a webhook endpoint")
def get_webhook(
    webhook_id: WebhookId, session: ReadSession, workspace: WorkspaceDep
) -> WebhookPublic:
    return public(service.get(session, workspace.id, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookPublic,
    summary="Change url, events, description or enabled",
)
def patch_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    request: Request,
    session: WriteSession,
    workspace: WorkspaceDep,
) -> WebhookPublic:
    endpoint = service.get(session, workspace.id, webhook_id)
    loopback = _settings(request).webhook_allow_loopback
    return public(service.patch(session, endpoint, body, loopback))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint and its deliveries",
)
def delete_webhook(webhook_id: WebhookId, session: WriteSession, workspace: WorkspaceDep) -> None:
    service.delete(session, service.get(session, workspace.id, webhook_id))
