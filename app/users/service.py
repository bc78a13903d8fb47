"""Users in the database."""

import uuid

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.calc.working_hours import parse_clock
from app.core.db import rows_matched
from app.core.errors import EXTERNAL_ID_CONFLICT, ProblemError, pointer_item, validation_problem
from app.core.pagination import Keyset
from app.core.types import utc_now
from app.events import store
from app.users.models import USER_TABLE, User, UserCreate, UserUpdate
from app.webhooks.stage_triggers import stage_changed

# Oldest first, through ix_app_user_workspace_created (workspace_id, created_at, id).
USERS_KEYSET = Keyset(USER_TABLE.c.created_at, USER_TABLE.c.id, uuid.UUID)


def _external_id_taken(
    session: Session, workspace_id: uuid.UUID, external_id: str
) -> ProblemError | None:
    existing = session.execute(
        select(col(User.id)).where(
            col(User.workspace_id) == workspace_id, col(User.external_id) == external_id
        )
    ).scalar_one_or_none()
    if existing is None:
        return None
    return EXTERNAL_ID_CONFLICT.error(
        f"A user with external_id '{external_id}' already exists in this workspace; "
        "use existing_id, or choose another external_id.",
        existing_id=str(existing),
    )


def _save(session: Session, user: User) -> None:
    """Flush inside a savepoint so a lost race on external_id becomes a clean 409."""
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        conflict = user.external_id and _external_id_taken(
            session, user.workspace_id, user.external_id
        )
        if conflict:
            raise conflict from None
        raise


def create_user(session: Session, workspace_id: uuid.UUID, data: UserCreate) -> User:
    if data.external_id and (
        conflict := _external_id_taken(session, workspace_id, data.external_id)
    ):
        raise conflict
    settings = data.settings.model_dump() if data.settings else {}
    hours = settings.pop("working_hours", None)
    if hours is not None:
        settings.update(work_start=hours["start"], work_end=hours["end"])
    user = User(
        workspace_id=workspace_id,
        name=data.name,
        timezone=data.timezone,
        external_id=data.external_id,
        **settings,
    )
    _save(session, user)
    return user


def update_user(session: Session, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    settings = changes.pop("settings", None) or {}
    for field in ("name", "timezone"):
        if changes.get(field) is None:
            changes.pop(field, None)  # null for a required field means "leave as is"
    if (
        changes.get("external_id")
        and changes["external_id"] != user.external_id
        and (conflict := _external_id_taken(session, user.workspace_id, changes["external_id"]))
    ):
        raise conflict
    before = _staging(user)
    for field, value in changes.items():
        setattr(user, field, value)
    hours = settings.pop("working_hours", None) or {}
    for field, value in settings.items():
        if value is not None:
            setattr(user, field, value)
    _patch_working_hours(user, hours)
    user.updated_at = utc_now()
    _save(session, user)
    if _staging(user) != before:  # contacts' stages and due dates follow, in this transaction
        stage_changed(session, user.id, store.restage_contacts(session, user.id))
    return user


def _patch_working_hours(user: User, hours: dict[str, str | None]) -> None:
    """Merge the times given into the stored working hours; the result must end after it
    starts (422 naming both times otherwise)."""
    start = hours.get("start") or user.work_start
    end = hours.get("end") or user.work_end
    if parse_clock(end) <= parse_clock(start):
        pointer = "#/settings/working_hours/" + ("end" if hours.get("end") else "start")
        raise validation_problem(
            [
                pointer_item(
                    pointer,
                    f"working_hours end ({end}) must be after start ({start}), on the same "
                    "local day; send both times to move the window",
                )
            ]
        )
    user.work_start, user.work_end = start, end


def _staging(user: User) -> tuple[str, float, int]:
    """What the contacts summary's stages and due dates depend on."""
    return (user.timezone, user.sales_ratio, user.keep_in_touch_days)


def list_query(
    workspace_id: uuid.UUID, limit: int, cursor: str | None, external_id: str | None
) -> Select[tuple[User]]:
    """A page (limit + 1 rows) of the workspace's users, oldest first: a range of
    ix_app_user_workspace_created after the cursor."""
    query = select(User).where(col(User.workspace_id) == workspace_id)
    if external_id is not None:
        query = query.where(col(User.external_id) == external_id)
    query = query.where(*USERS_KEYSET.where(cursor)).order_by(*USERS_KEYSET.order_by())
    return query.limit(limit + 1)


def list_users(
    session: Session,
    workspace_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    external_id: str | None,
) -> tuple[list[User], str | None]:
    rows = list(session.execute(list_query(workspace_id, limit, cursor, external_id)).scalars())
    return USERS_KEYSET.page(rows, limit, lambda u: (u.created_at, u.id))


def find_users(
    session: Session,
    workspace_id: uuid.UUID,
    external_id: str | None,
    name: str | None,
    limit: int,
) -> list[User]:
    """Up to ``limit`` users of the workspace, oldest first: the one with ``external_id``,
    and/or those whose name contains ``name`` (case-insensitive; SQLite folds ASCII only).
    A name search reads the workspace's users in creation order until it has ``limit``."""
    query = select(User).where(col(User.workspace_id) == workspace_id)
    if external_id is not None:
        query = query.where(col(User.external_id) == external_id)
    if name is not None:
        query = query.where(col(User.name).icontains(name, autoescape=True))
    query = query.order_by(*USERS_KEYSET.order_by()).limit(limit)
    return list(session.execute(query).scalars())


def delete_user(session: Session, user: User) -> bool:
    """Delete the user and, by the foreign keys' cascades, everything the user owns; False
    when another request deleted it first (the DELETE itself decides, so one request wins)."""
    removed = rows_matched(
        session,
        delete(User)
        .where(col(User.id) == user.id, col(User.workspace_id) == user.workspace_id)
        .execution_options(synchronize_session=False),
    )
    session.expunge(user)
    return removed == 1
