"""The tools of §14 over the services of the HTTP endpoints (never a second implementation):
find_user, may_i_follow, may_i_post, may_i_pitch, record_activity and weekly_report;
plan_today and contacts_to_reach are in app/mcp/tools_today.py."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.calc.guard import Action
from app.calc.vocabulary import PLATFORMS, Platform
from app.core.types import utc_now
from app.events.models import EventBatchResult, normalise_counterpart
from app.events.service import record_batch
from app.insights import service as insights
from app.insights.schemas import CheckOut
from app.mcp import sentences
from app.mcp.calls import ToolCaller
from app.mcp.registry import Tool
from app.mcp.schemas import (
    MAX_EVENTS,
    FindUserIn,
    FindUserOut,
    MayIFollowIn,
    MayIPitchIn,
    MayIPostIn,
    RecordActivityIn,
    UserMatch,
    WeeklyReportIn,
)
from app.reports import service as reports
from app.reports.schemas import ReportOut
from app.users import service as users
from app.users.models import User

_CHECK_ANSWER = (
    " The answer: allowed (true or false), at (the instant checked), reasons (each "
    "{code, detail}: every limit the action would break), next_allowed_at (the earliest "
    "instant it would be allowed; null when it is allowed now, or when waiting cannot help). "
    "When refused with a next_allowed_at, wait until then (or ask again with at set to it); "
    "never act while allowed is false."
)


def _user(caller: ToolCaller) -> User:
    assert caller.user is not None  # ToolHost refuses a call whose user is not found
    return caller.user


def _check(
    session: Session,
    caller: ToolCaller,
    action: Action,
    platform: Platform,
    count: int,
    counterpart: str | None,
    at: datetime | None,
    text: str | None = None,
) -> CheckOut:
    """POST /v1/users/{id}/checks, with the same service and the same answer."""
    when = at or utc_now()
    result = insights.check(
        session, _user(caller), action, platform, count, counterpart, when, text
    )
    return CheckOut.from_result(result, when)


def _find_user(session: Session, caller: ToolCaller, args: FindUserIn) -> FindUserOut:
    found = users.find_users(session, caller.workspace.id, args.external_id, args.name, args.limit)
    return FindUserOut(users=[UserMatch.model_validate(u, from_attributes=True) for u in found])


def _find_sentence(args: FindUserIn, out: FindUserOut) -> str:
    asked = " and ".join(
        f"{field} {value!r}"
        for field, value in (("external_id", args.external_id), ("name", args.name))
        if value is not None
    )
    if not out.users:
        return f"No user of this workspace matches {asked}."
    first = out.users[0]
    more = f" ({len(out.users)} match; the first is shown)" if len(out.users) > 1 else ""
    return f"{first.name} (user_id {first.id}, {first.timezone}) matches {asked}{more}."


FIND_USER: Tool[FindUserIn, FindUserOut] = Tool(
    name="find_user",
    title="Find a user",
    description=(
        "Find the Rapport user you act for, by your system's external_id (exact) or by "
        "name (part of it, case-insensitive). Call this first: every other tool needs the "
        "user_id it answers. The answer lists matching users (id, name, timezone, "
        "external_id), oldest first; an empty list means no such user in this workspace."
    ),
    input_model=FindUserIn,
    output_model=FindUserOut,
    run=_find_user,
    sentence=_find_sentence,
)

MAY_I_FOLLOW: Tool[MayIFollowIn, CheckOut] = Tool(
    name="may_i_follow",
    title="May I follow now?",
    description=(
        "Ask before following anyone on the user's behalf: checks `count` follows on "
        "`platform` at `at` (default now) against the user's follow plan (daily cap, burst "
        "limit, weekly pace) and the platform's own limits, as POST /v1/users/{id}/checks "
        "does. Call it before every follow or batch of follows, then record the follows "
        "with record_activity." + _CHECK_ANSWER
    ),
    input_model=MayIFollowIn,
    output_model=CheckOut,
    run=lambda s, c, a: _check(s, c, "follow", a.platform, a.count, None, a.at),
    sentence=lambda a, out: sentences.check(sentences.follows(a.count, a.platform), out),
)

MAY_I_POST: Tool[MayIPostIn, CheckOut] = Tool(
    name="may_i_post",
    title="May I post now?",
    description=(
        "Ask before publishing a post on the user's behalf: checks one post on `platform` "
        "at `at` (default now) against the posting plan (posts per day, minimum gap "
        "between posts), the platform's limits and, with `text`, the platform's text "
        "length in its own unit (a too-long text is refused until it is shortened)." + _CHECK_ANSWER
    ),
    input_model=MayIPostIn,
    output_model=CheckOut,
    run=lambda s, c, a: _check(s, c, "post", a.platform, 1, None, a.at, a.text),
    sentence=lambda a, out: sentences.check(f"a post on {a.platform}", out),
)

MAY_I_PITCH: Tool[MayIPitchIn, CheckOut] = Tool(
    name="may_i_pitch",
    title="May I pitch now?",
    description=(
        "Ask before any sales contact (an offer, a pitch, a link to buy) on the user's "
        "behalf: the user must help far more than they sell (their sales ratio over the "
        "last 30 days, all platforms); with `counterpart`, also that person's own ratio. "
        "A refusal says how many helpful, non-sales contacts are needed first; waiting "
        "alone does not help (next_allowed_at is null)." + _CHECK_ANSWER
    ),
    input_model=MayIPitchIn,
    output_model=CheckOut,
    # The sales check counts every platform: the platform argument is not used by it.
    run=lambda s, c, a: _check(
        s, c, "sales_contact", PLATFORMS[0], 1, normalise_counterpart(a.counterpart), a.at
    ),
    sentence=lambda a, out: sentences.check(
        "a sales contact" + (f" with {a.counterpart}" if a.counterpart else ""), out
    ),
)

RECORD_ACTIVITY: Tool[RecordActivityIn, EventBatchResult] = Tool(
    name="record_activity",
    title="Record what was done",
    description=(
        "Record what the user did (outbound: follows, posts, replies, messages, sales "
        "contacts with is_sales true) or received (inbound), right after it happened, so "
        f"the next may_i_* answers count it. Up to {MAX_EVENTS} events per call, stored "
        "all or nothing as POST /v1/users/{id}/events:batch does. Idempotent by external_id: "
        "sending an event again with the same external_id and content stores nothing new "
        "(counted in duplicates), so a retry is always safe. The answer: created, "
        "duplicates, and the stored ids in input order. Needs a key with the write scope."
    ),
    input_model=RecordActivityIn,
    output_model=EventBatchResult,
    run=lambda s, c, a: record_batch(s, _user(c).id, a.events),
    sentence=lambda _a, out: sentences.recorded(out.created, out.duplicates),
    scope="write",
    write=True,
)


def _report(session: Session, caller: ToolCaller, args: WeeklyReportIn) -> ReportOut:
    result = reports.weekly_report(session, _user(caller), args.week, args.as_of or utc_now())
    return ReportOut.from_result(result)


def _report_sentence(_args: WeeklyReportIn, out: ReportOut) -> str:
    span = "complete" if out.complete else f"{out.days_covered} of 7 days so far"
    actions = out.next_actions
    if not actions:
        return f"Week {out.week} ({span}): no next action, keep going."
    return f"Week {out.week} ({span}): {len(actions)} next actions; first: {actions[0].text}"


WEEKLY_REPORT: Tool[WeeklyReportIn, ReportOut] = Tool(
    name="weekly_report",
    title="Weekly report",
    description=(
        "The user's week in one document, as GET /v1/users/{id}/report answers it: profile "
        "findings, follows against the plan and over-limit days, posting days and misses, "
        "engagement, the sales ratio, relationship stages and concrete next_actions. Call "
        "it to review how a week went or to decide what to work on; for today's concrete "
        "schedule use plan_today."
    ),
    input_model=WeeklyReportIn,
    output_model=ReportOut,
    run=_report,
    sentence=_report_sentence,
)

TOOLS: tuple[Tool[Any, Any], ...] = (
    FIND_USER,
    MAY_I_FOLLOW,
    MAY_I_POST,
    MAY_I_PITCH,
    RECORD_ACTIVITY,
    WEEKLY_REPORT,
)
