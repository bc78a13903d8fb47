"""/v1/users/{user_id}/profiles"""

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlmodel import col

from app.calc.vocabulary import PLATFORMS
from app.core.fields import Platform
from app.core.types import utc_now
from app.deps import ReadSession, UserDep, WriteSession, require_scope
from app.profiles.models import Profile, ProfileIn, ProfileList, ProfilePublic

router = APIRouter(prefix="/users/{user_id}/profiles", tags=["profiles"])


@router.put(
    "/{platform}",
    response_model=ProfilePublic,
    responses={201: {"model": ProfilePublic, "description": "Created"}},
    summary="Create or replace the user's profile on a platform",
    dependencies=[require_scope("write")],
)
def put_profile(
    platform: Platform, body: ProfileIn, user: UserDep, session: WriteSession, response: Response
) -> ProfilePublic:
    profile = session.execute(
        select(Profile).where(col(Profile.user_id) == user.id, col(Profile.platform) == platform)
    ).scalar_one_or_none()
    created = profile is None
    profile = profile or Profile(user_id=user.id, platform=platform, handle=body.handle)
    for field, value in body.model_dump().items():
        setattr(profile, field, value)
    profile.updated_at = utc_now()
    session.add(profile)
    session.flush()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return ProfilePublic.model_validate(profile, from_attributes=True)


@router.get(
    "",
    response_model=ProfileList,
    summary="List the user's profiles",
    dependencies=[require_scope("read")],
)
def list_profiles(user: UserDep, session: ReadSession) -> ProfileList:
    rows = session.execute(select(Profile).where(col(Profile.user_id) == user.id)).scalars()
    ordered = sorted(rows, key=lambda p: PLATFORMS.index(p.platform))
    return ProfileList(
        items=[ProfilePublic.model_validate(p, from_attributes=True) for p in ordered]
    )
