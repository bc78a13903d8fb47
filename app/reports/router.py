"""/v1/users/{user_id}/report"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.core.fields import Instant, WeekText
from app.core.negotiation import JSON, preferred
from app.core.types import utc_now
from app.deps import ReadSession, UserDep, require_scope
from app.reports import html, service
from app.reports.schemas import ReportOut

router = APIRouter(
    prefix="/users/{user_id}", tags=["reports"], dependencies=[require_scope("read")]
)

HTML = "text/html"


@router.get(
    "/report",
    response_model=ReportOut,
    responses={
        200: {
            "description": "The report as JSON, or as an HTML page with `Accept: text/html`",
            "content": {HTML: {"schema": {"type": "string"}}},
        },
        404: {"description": "User not found"},
        422: {"description": "week is not YYYY-Www, does not exist, or has not started"},
    },
    summary="Weekly report: the five steps for one ISO week (§6.8)",
    description=(
        "as_of is the end of the week (local Sunday 24:00, minus 1 µs) or now (or the `as_of` "
        "parameter), whichever is earlier. Profile findings; per platform with a follow plan the week's follows "
        "against the target and the over-limit days; posting days, misses and over-posting "
        "days; engagement and the sales ratio over the week's days up to as_of; counts per "
        "relationship stage at as_of; and concrete next actions. Send `Accept: text/html` "
        "for a readable page with bar charts."
    ),
)
def report(
    request: Request,
    user: UserDep,
    session: ReadSession,
    week: Annotated[
        WeekText | None,
        Query(
            max_length=32,
            description="ISO week YYYY-Www, e.g. 2026-W48; default the week of as_of in the user's time "
            "zone. It must exist (W53 only in years that have one; 1970-W01 starts in 1969 and is "
            "refused) and must have begun by as_of (a 422 otherwise).",
        ),
    ] = None,
    as_of: Annotated[
        Instant | None,
        Query(
            description="Report as if it were this instant (RFC 3339 with offset; default now): "
            "the week's as_of is the end of the week or this, whichever is earlier."
        ),
    ] = None,
) -> ReportOut | HTMLResponse:
    out = ReportOut.from_result(service.weekly_report(session, user, week, as_of or utc_now()))
    if preferred(request.headers.get("accept"), [JSON, HTML]) == HTML:
        return HTMLResponse(html.render(out, user.name))
    return out
