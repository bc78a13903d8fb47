"""Workspaces and API keys in the database."""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.auth.keys import display_prefix, generate_secret, hash_secret, is_well_formed
from app.auth.models import ApiKey, Workspace
from app.auth.scopes import SCOPES, Scope, allows, widest
from app.core import errors as problems
from app.core.db import generic_plan
from app.core.types import utc_now
from app.users.models import User

UNAUTHORIZED = problems.UNAUTHORIZED.error()


def get_or_create_workspace(session: Session, name: str) -> Workspace:
    found: Workspace | None = session.execute(
        select(Workspace).where(col(Workspace.name) == name)
    ).scalar_one_or_none()
    if found is not None:
        return found
    workspace = Workspace(name=name)
    session.add(workspace)
    session.flush()
    return workspace


def normal_scopes(scopes: Iterable[str]) -> list[Scope]:
    """Known scopes once each, narrowest first; ValueError on an unknown or empty list."""
    given = set(scopes)
    unknown = given - set(SCOPES)
    if unknown or not given:
        raise ValueError(
            f"unknown scope(s) {sorted(unknown)}; use one or more of {list(SCOPES)}"
            if unknown
            else f"a key needs at least one scope of {list(SCOPES)}"
        )
    return [s for s in SCOPES if s in given]


def grantable(
    caller: ApiKey, scopes: list[Scope] | None, expires_at: datetime | None
) -> tuple[list[Scope], datetime | None]:
    """What a key made by ``caller`` gets: by default the caller's scopes and expiry; never
    a wider scope or a later expiry (403 scope_not_grantable), never a past expiry (422)."""
    if expires_at is not None and expires_at <= utc_now():
        raise problems.validation_problem(
            [problems.pointer_item("#/expires_at", "expires_at must be in the future")]
        )
    wanted = normal_scopes(scopes if scopes is not None else caller.scopes)
    if not allows(caller.scopes, wanted[-1]):  # narrowest first: the last is the widest
        raise problems.SCOPE_NOT_GRANTABLE.error(
            f"This key's scopes are {list(caller.scopes)}; it cannot create a key with "
            f"{wanted}. Ask for no scope wider than {widest(caller.scopes)!r}."
        )
    if caller.expires_at is not None:
        if expires_at is None:
            expires_at = caller.expires_at
        elif expires_at > caller.expires_at:
            raise problems.SCOPE_NOT_GRANTABLE.error(
                "This key expires at "
                f"{caller.expires_at.isoformat().replace('+00:00', 'Z')}; a key it creates "
                "cannot expire later."
            )
    return wanted, expires_at


def create_key(
    session: Session,
    workspace: Workspace,
    name: str,
    secret: str | None = None,
    scopes: Iterable[str] = ("admin",),
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    secret = secret or generate_secret()
    if not is_well_formed(secret):
        raise ValueError(
            "an API key must look like 'rpk_' followed by at least 22 URL-safe characters"
        )
    key = ApiKey(
        workspace_id=workspace.id,
        name=name,
        prefix=display_prefix(secret),
        key_hash=hash_secret(secret),
        scopes=list(normal_scopes(scopes)),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key, secret


@cache
def _key_lookup(with_user: bool) -> Select[Any]:
    """Built once: every authenticated request runs it. With a user id, the user of the
    key's workspace with that id comes in the same round trip (None when there is none):
    authentication and the path's user cost one statement (tests/api/test_sessions.py)."""
    query: Select[Any] = select(ApiKey, Workspace, User) if with_user else select(ApiKey, Workspace)
    query = query.join(Workspace, col(Workspace.id) == col(ApiKey.workspace_id))
    if with_user:
        query = query.outerjoin(
            User,
            and_(
                col(User.id) == bindparam("user_id"),
                col(User.workspace_id) == col(Workspace.id),
            ),
        )
    return generic_plan(
        query.where(col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None))
    )


def authenticate(
    session: Session, authorization: str | None, user_id: uuid.UUID | None = None
) -> tuple[Workspace, ApiKey, User | None]:
    """The caller's workspace and key (its scopes and expiry come with it), or the same 401
    for every kind of bad key (an expired one: 401 api_key_expired, which says so); with
    `user_id`, also that user when it belongs to the caller's workspace."""
    if not authorization:
        raise UNAUTHORIZED
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not is_well_formed(secret):
        raise UNAUTHORIZED
    # Lookup by SHA-256 of the secret: the comparison never touches the secret itself,
    # so its timing says nothing about how much of a guess was right.
    params = {"key_hash": hash_secret(secret)} | ({"user_id": user_id} if user_id else {})
    row = session.execute(_key_lookup(user_id is not None), params).first()
    if row is None:
        raise UNAUTHORIZED
    expires_at: datetime | None = row[0].expires_at
    if expires_at is not None and expires_at <= utc_now():
        raise problems.API_KEY_EXPIRED.error(
            f"This API key expired at {expires_at.isoformat().replace('+00:00', 'Z')}; use "
            "another key, or ask an admin key (POST /v1/api-keys) or the operator "
            "('rapport keys create') for a new one."
        )
    return row[1], row[0], (row[2] if user_id is not None else None)


def key_needs_touch(key: ApiKey, now: datetime, interval_s: int) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= timedelta(seconds=interval_s)


def touch_key(session: Session, key_id: uuid.UUID, now: datetime) -> None:
    session.execute(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=now))


def list_keys(session: Session, workspace_id: uuid.UUID | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))
    if workspace_id is not None:
        query = query.where(col(ApiKey.workspace_id) == workspace_id)
    return list(session.execute(query).scalars())


def revoke_key(session: Session, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        session.add(key)
        session.flush()
    return key


def bootstrap(session: Session, secret: str | None) -> str | None:
    """On an empty database: workspace 'default' and one key, whose secret is returned once."""
    if session.execute(select(col(Workspace.id)).limit(1)).first() is not None:
        return None
    try:
        workspace = get_or_create_workspace(session, "default")
        _, secret = create_key(session, workspace, "bootstrap", secret)
        session.commit()
    except IntegrityError:  # another process bootstrapped at the same moment
        session.rollback()
        return None
    return secret
