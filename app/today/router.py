"""/v1/users/{user_id}/today"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.core.fields import Instant
from app.core.negotiation import JSON, preferred
from app.core.types import utc_now
from app.deps import ReadSession, UserDep, require_scope
from app.today import html, service
from app.today.schemas import TodayOut

router = APIRouter(prefix="/users/{user_id}", tags=["today"], dependencies=[require_scope("read")])

HTML = "text/html"


@router.get(
    "/today",
    response_model=TodayOut,
    responses={
        200: {
            "description": "The plan as JSON, or as an HTML page with `Accept: text/html`",
            "content": {HTML: {"schema": {"type": "string"}}},
        },
        404: {"description": "User not found"},
    },
    summary="Today: what to do on the local day of as_of (§11)",
    description=(
        "Follow slots per follow plan, post slots per posting plan, the best hours, the "
        "people to answer and to get back in touch with, the profile findings and the day's "
        "actions, all inside the user's working_hours (a user setting). Built from the same "
        "rules as /pacing, /posting, /sales-ratio and /profile-check at the same as_of. Send "
        "`Accept: text/html` for a page with a timeline of the day."
    ),
)
def today(
    request: Request,
    user: UserDep,
    session: ReadSession,
    as_of: Annotated[
        Instant | None,
        Query(description="RFC 3339 instant with offset (URL-encode '+' as %2B); default now."),
    ] = None,
) -> TodayOut | HTMLResponse:
    out = service.plan_today(session, user, as_of or utc_now())
    if preferred(request.headers.get("accept"), [JSON, HTML]) == HTML:
        return HTMLResponse(html.render(out, user.name))
    return out
