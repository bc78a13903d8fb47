"""/v1/users/{user_id}/profile-check"""

from fastapi import APIRouter

from app.deps import ReadSession, UserDep, require_scope
from app.profiles.check import ProfileCheckOut, profile_check

router = APIRouter(
    prefix="/users/{user_id}", tags=["profiles"], dependencies=[require_scope("read")]
)


@router.get(
    "/profile-check",
    response_model=ProfileCheckOut,
    responses={404: {"description": "User not found"}},
    summary="Profile findings per platform (§6.6)",
)
def get_profile_check(user: UserDep, session: ReadSession) -> ProfileCheckOut:
    return profile_check(session, user.id)
