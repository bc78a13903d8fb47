"""/v1/users/{user_id}/relationships"""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.fields import Instant
from app.core.pagination import Cursor, Limit
from app.core.types import utc_now
from app.deps import ReadSession, UserDep, require_scope
from app.relationships import service
from app.relationships.schemas import RelationshipList, Stage

router = APIRouter(
    prefix="/users/{user_id}", tags=["relationships"], dependencies=[require_scope("read")]
)

AsOf = Annotated[
    Instant | None,
    Query(
        description="RFC 3339 instant with offset (URL-encode '+' as %2B); default now. "
        "Events after it are ignored."
    ),
]


@router.get(
    "/relationships",
    response_model=RelationshipList,
    responses={404: {"description": "User not found"}},
    summary="Know, like, trust: one row per counterpart, latest contact first (§6.7)",
    description=(
        "Every counterpart the user has events with (all platforms, both directions, up to "
        "`as_of`), newest `last_contact_at` first, ties by counterpart (byte order). "
        "`stage`: `know` = outbound only; `like` = at least one inbound event; `trust` = at "
        "least 3 inbound events on at least 2 distinct local days (user's time zone) and "
        "non_sales ≥ the user's `sales_ratio`. `stale`: last contact more than "
        "`keep_in_touch_days` × 24 h before `as_of`."
    ),
)
def list_relationships(
    user: UserDep,
    session: ReadSession,
    stage: Annotated[Stage | None, Query(description="Only this stage.")] = None,
    stale: Annotated[
        bool | None, Query(description="Only stale (true) or fresh (false) rows.")
    ] = None,
    as_of: AsOf = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> RelationshipList:
    return service.list_relationships(
        session, user, as_of or utc_now(), stage, stale, limit, cursor
    )
