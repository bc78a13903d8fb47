"""/v1/users/{user_id}/pacing, /posting, /sales-ratio, /engagement and /checks"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.core.fields import Instant, LocalDate, Platform
from app.core.types import utc_now
from app.deps import ReadSession, UserDep, require_scope
from app.events.models import normalise_counterpart
from app.insights import service
from app.insights.schemas import (
    CheckIn,
    CheckOut,
    EngagementOut,
    PacingOut,
    PostingOut,
    SalesRatioOut,
)

router = APIRouter(
    prefix="/users/{user_id}", tags=["insights"], dependencies=[require_scope("read")]
)

AsOf = Annotated[
    Instant | None,
    Query(description="RFC 3339 instant with offset (URL-encode '+' as %2B); default now."),
]


_WINDOW_DAYS = "Local days ending today (1–3650, default {})."
WindowDays30 = Annotated[int, Query(ge=1, le=3650, description=_WINDOW_DAYS.format(30))]
WindowDays7 = Annotated[int, Query(ge=1, le=3650, description=_WINDOW_DAYS.format(7))]


@router.get(
    "/pacing",
    response_model=PacingOut,
    responses={404: {"description": "User or follow plan not found"}},
    summary="Outreach pacing for one platform (§6.1)",
)
def pacing(
    user: UserDep,
    session: ReadSession,
    platform: Platform,
    as_of: AsOf = None,
    window_days: WindowDays30 = 30,
) -> PacingOut:
    return PacingOut.from_result(
        service.pacing(session, user, platform, as_of or utc_now(), window_days)
    )


@router.get(
    "/posting",
    response_model=PostingOut,
    response_model_by_alias=True,
    summary="Posting cadence per day (§6.2)",
)
def posting(
    user: UserDep,
    session: ReadSession,
    platform: Platform | None = None,
    from_: Annotated[
        LocalDate | None, Query(alias="from", description="First local date (inclusive).")
    ] = None,
    to: Annotated[LocalDate | None, Query(description="Last local date (inclusive).")] = None,
    as_of: AsOf = None,
) -> PostingOut:
    return PostingOut.from_result(
        service.posting(session, user, platform, as_of or utc_now(), from_, to)
    )


@router.get("/sales-ratio", response_model=SalesRatioOut, summary="Sales-contact ratio (§6.3)")
def sales_ratio(
    user: UserDep,
    session: ReadSession,
    window_days: WindowDays30 = 30,
    platform: Platform | None = None,
    as_of: AsOf = None,
) -> SalesRatioOut:
    return SalesRatioOut.from_result(
        service.sales_ratio(session, user, as_of or utc_now(), window_days, platform)
    )


@router.get(
    "/engagement", response_model=EngagementOut, summary="Broadcasts versus interactions (§6.4)"
)
def engagement(
    user: UserDep, session: ReadSession, window_days: WindowDays7 = 7, as_of: AsOf = None
) -> EngagementOut:
    return EngagementOut.from_result(
        service.engagement(session, user, as_of or utc_now(), window_days)
    )


@router.post(
    "/checks", response_model=CheckOut, summary="Pre-flight guard: may I do this now? (§6.5)"
)
def checks(body: CheckIn, user: UserDep, session: ReadSession) -> CheckOut:
    at: datetime = body.at or utc_now()
    result = service.check(
        session,
        user,
        body.action,
        body.platform,
        body.count,
        normalise_counterpart(body.counterpart),
        at,
        body.text,
    )
    return CheckOut.from_result(result, at)
