"""/v1/users"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.errors import not_found
from app.core.fields import Text
from app.core.pagination import Cursor, Limit
from app.deps import ReadSession, UserDep, WorkspaceDep, WriteSession, require_scope
from app.users import service
from app.users.models import User, UserCreate, UserList, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


def public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    dependencies=[require_scope("write")],
)
def create_user(
    body: UserCreate, session: WriteSession, workspace: WorkspaceDep, response: Response
) -> UserPublic:
    user = service.create_user(session, workspace.id, body)
    response.headers["Location"] = f"/v1/users/{user.id}"
    return public(user)


@router.get(
    "",
    response_model=UserList,
    summary="List users, oldest first",
    dependencies=[require_scope("read")],
)
def list_users(
    session: ReadSession,
    workspace: WorkspaceDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    external_id: Annotated[Text | None, Query(max_length=200)] = None,
) -> UserList:
    users, next_cursor = service.list_users(session, workspace.id, limit, cursor, external_id)
    return UserList(items=[public(u) for u in users], next_cursor=next_cursor)


@router.get(
    "/{user_id}",
    response_model=UserPublic,
    summary="Read a user",
    dependencies=[require_scope("read")],
)
def get_user(user: UserDep) -> UserPublic:
    return public(user)


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    summary="Update a user; settings merge the keys they name",
    dependencies=[require_scope("write")],
)
def update_user(body: UserUpdate, user: UserDep, session: WriteSession) -> UserPublic:
    return public(service.update_user(session, user, body))


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user and everything the user owns",
    dependencies=[require_scope("write")],
)
def delete_user(user: UserDep, session: WriteSession) -> None:
    if not service.delete_user(session, user):
        raise not_found("user")
