"""/v1/users/{user_id}/follow-plans and /posting-plans"""

from collections.abc import Iterable
from typing import TypeVar

from fastapi import APIRouter, Response, status
from sqlalchemy import delete, select
from sqlmodel import col

from app.calc.vocabulary import PLATFORMS
from app.core.db import rows_matched
from app.core.errors import NO_FOLLOW_PLAN, not_found
from app.core.fields import Platform
from app.deps import ReadSession, UserDep, WriteSession, require_scope
from app.plans import service
from app.plans.models import (
    FollowPlan,
    FollowPlanIn,
    FollowPlanList,
    FollowPlanPublic,
    PostingPlan,
    PostingPlanIn,
    PostingPlanList,
    PostingPlanPublic,
)

router = APIRouter(prefix="/users/{user_id}", tags=["plans"])


_Plan = TypeVar("_Plan", FollowPlan, PostingPlan)


def _order(plans: Iterable[_Plan]) -> list[_Plan]:
    return sorted(plans, key=lambda p: PLATFORMS.index(p.platform))


@router.put(
    "/follow-plans/{platform}",
    response_model=FollowPlanPublic,
    responses={201: {"model": FollowPlanPublic, "description": "Created"}},
    summary="Create or replace the follow plan for a platform",
    dependencies=[require_scope("write")],
)
def put_follow_plan(
    platform: Platform, body: FollowPlanIn, user: UserDep, session: WriteSession, response: Response
) -> FollowPlanPublic:
    plan, created = service.put_follow_plan(session, user, platform, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return FollowPlanPublic.model_validate(plan, from_attributes=True)


@router.get(
    "/follow-plans",
    response_model=FollowPlanList,
    summary="List follow plans",
    dependencies=[require_scope("read")],
)
def list_follow_plans(user: UserDep, session: ReadSession) -> FollowPlanList:
    rows = session.execute(select(FollowPlan).where(col(FollowPlan.user_id) == user.id)).scalars()
    return FollowPlanList(
        items=[FollowPlanPublic.model_validate(p, from_attributes=True) for p in _order(rows)]
    )


@router.get(
    "/follow-plans/{platform}",
    response_model=FollowPlanPublic,
    summary="Read a follow plan",
    dependencies=[require_scope("read")],
)
def get_follow_plan(platform: Platform, user: UserDep, session: ReadSession) -> FollowPlanPublic:
    plan = service.get_follow_plan(session, user.id, platform)
    if plan is None:
        raise NO_FOLLOW_PLAN.error(
            f"This user has no follow plan for {platform}; "
            f"PUT /v1/users/{user.id}/follow-plans/{platform} to create one."
        )
    return FollowPlanPublic.model_validate(plan, from_attributes=True)


@router.delete(
    "/follow-plans/{platform}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a follow plan",
    dependencies=[require_scope("write")],
)
def delete_follow_plan(platform: Platform, user: UserDep, session: WriteSession) -> None:
    deleted = rows_matched(
        session,
        delete(FollowPlan).where(
            col(FollowPlan.user_id) == user.id, col(FollowPlan.platform) == platform
        ),
    )
    if deleted == 0:
        raise not_found("follow plan")


@router.put(
    "/posting-plans/{platform}",
    response_model=PostingPlanPublic,
    responses={201: {"model": PostingPlanPublic, "description": "Created"}},
    summary="Create or replace the posting plan for a platform",
    dependencies=[require_scope("write")],
)
def put_posting_plan(
    platform: Platform,
    body: PostingPlanIn,
    user: UserDep,
    session: WriteSession,
    response: Response,
) -> PostingPlanPublic:
    plan, created = service.put_posting_plan(session, user, platform, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return PostingPlanPublic.model_validate(plan, from_attributes=True)


@router.get(
    "/posting-plans",
    response_model=PostingPlanList,
    summary="List posting plans",
    dependencies=[require_scope("read")],
)
def list_posting_plans(user: UserDep, session: ReadSession) -> PostingPlanList:
    rows = session.execute(select(PostingPlan).where(col(PostingPlan.user_id) == user.id)).scalars()
    return PostingPlanList(
        items=[PostingPlanPublic.model_validate(p, from_attributes=True) for p in _order(rows)]
    )


@router.get(
    "/posting-plans/{platform}",
    response_model=PostingPlanPublic,
    summary="Read a posting plan",
    dependencies=[require_scope("read")],
)
def get_posting_plan(platform: Platform, user: UserDep, session: ReadSession) -> PostingPlanPublic:
    plan = service.get_posting_plan(session, user.id, platform)
    if plan is None:
        raise not_found("posting plan")
    return PostingPlanPublic.model_validate(plan, from_attributes=True)


@router.delete(
    "/posting-plans/{platform}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a posting plan",
    dependencies=[require_scope("write")],
)
def delete_posting_plan(platform: Platform, user: UserDep, session: WriteSession) -> None:
    deleted = rows_matched(
        session,
        delete(PostingPlan).where(
            col(PostingPlan.user_id) == user.id, col(PostingPlan.platform) == platform
        ),
    )
    if deleted == 0:
        raise not_found("posting plan")
