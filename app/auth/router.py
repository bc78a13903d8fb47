"""/v1/me and /v1/api-keys: the caller's workspace and its keys (keys: admin scope only)."""

import uuid

from fastapi import APIRouter, Body, status
from sqlalchemy import select
from sqlmodel import col

from app.auth import service
from app.auth.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyPublic,
    WorkspacePublic,
)
from app.core.errors import not_found
from app.deps import CallerDep, ReadSession, WorkspaceDep, WriteSession, require_scope

router = APIRouter(tags=["workspace"])


@router.get(
    "/me",
    response_model=WorkspacePublic,
    summary="The caller's workspace",
    dependencies=[require_scope("read")],
)
def me(workspace: WorkspaceDep) -> WorkspacePublic:
    return WorkspacePublic.model_validate(workspace, from_attributes=True)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key for this workspace (the secret is shown once)",
    dependencies=[require_scope("admin")],
)
def create_api_key(
    session: WriteSession, caller: CallerDep, body: ApiKeyCreate | None = Body(default=None)
) -> ApiKeyCreated:
    body = body or ApiKeyCreate()
    scopes, expires_at = service.grantable(caller.key, body.scopes, body.expires_at)
    key, secret = service.create_key(
        session, caller.workspace, body.name, scopes=scopes, expires_at=expires_at
    )
    return ApiKeyCreated(
        **ApiKeyPublic.model_validate(key, from_attributes=True).model_dump(), key=secret
    )


@router.get(
    "/api-keys",
    response_model=ApiKeyList,
    summary="List this workspace's keys (no secrets)",
    dependencies=[require_scope("admin")],
)
def list_api_keys(session: ReadSession, workspace: WorkspaceDep) -> ApiKeyList:
    keys = service.list_keys(session, workspace.id)
    return ApiKeyList(items=[ApiKeyPublic.model_validate(k, from_attributes=True) for k in keys])


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a key; it is refused from the next request on",
    dependencies=[require_scope("admin")],
)
def revoke_api_key(key_id: uuid.UUID, session: WriteSession, workspace: WorkspaceDep) -> None:
    key = session.execute(
        select(ApiKey).where(col(ApiKey.id) == key_id, col(ApiKey.workspace_id) == workspace.id)
    ).scalar_one_or_none()
    if key is None:
        raise not_found("API key")
    service.revoke_key(session, key)
