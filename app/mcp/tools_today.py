"""plan_today (§11) and contacts_to_reach (§11's get_back_to and keep_in_touch), over the
today and contacts services (app.today.service.plan_today, app.contacts.reach.reach_lists)."""

from typing import Any

from sqlmodel import Session

from app.contacts.reach import ContactBrief, reach_lists
from app.core.types import utc_now
from app.mcp.calls import ToolCaller
from app.mcp.registry import Tool
from app.mcp.schemas import ContactBriefOut, ContactsToReachIn, ContactsToReachOut, PlanTodayIn
from app.today.schemas import TodayOut
from app.today.service import plan_today


def _plan(session: Session, caller: ToolCaller, args: PlanTodayIn) -> TodayOut:
    assert caller.user is not None
    return plan_today(session, caller.user, args.as_of or utc_now())


def _plan_sentence(_args: PlanTodayIn, out: TodayOut) -> str:
    actions: list[dict[str, Any]] = out.model_dump(mode="json").get("actions") or []
    if not actions:
        return "Nothing to do today: no action is due."
    first = actions[0].get("text", "")
    return f"{len(actions)} actions today; first: {first}"


PLAN_TODAY: Tool[PlanTodayIn, TodayOut] = Tool(
    name="plan_today",
    title="Plan for today",
    description=(
        "What the user should do today (the local day of as_of, default now), as "
        "GET /v1/users/{id}/today answers it: per platform the follows left and the "
        "instants (slots) to do them at without breaking any limit, the posts still due and "
        "when, the best hours, the people to answer or to get back in touch with, profile "
        "fixes, and `actions`: the day's to-do list in order, each concrete and numeric. "
        "Call it at the start of a session to decide what to do; before each action still "
        "ask may_i_follow / may_i_post / may_i_pitch."
    ),
    input_model=PlanTodayIn,
    output_model=TodayOut,
    run=_plan,
    sentence=_plan_sentence,
)


def _brief(contact: ContactBrief) -> ContactBriefOut:
    return ContactBriefOut.model_validate(contact, from_attributes=True)


def _reach(session: Session, caller: ToolCaller, args: ContactsToReachIn) -> ContactsToReachOut:
    assert caller.user is not None
    lists = reach_lists(session, caller.user, args.as_of or utc_now(), limit=args.limit)
    return ContactsToReachOut(
        get_back_to=[_brief(c) for c in lists.get_back_to],
        keep_in_touch=[_brief(c) for c in lists.keep_in_touch],
    )


def _who(contact: ContactBriefOut) -> str:
    return contact.name or (f"@{contact.handles[0]}" if contact.handles else "someone")


def _reach_sentence(_args: ContactsToReachIn, out: ContactsToReachOut) -> str:
    parts = []
    if out.get_back_to:
        first = out.get_back_to[0]
        parts.append(
            f"{len(out.get_back_to)} to get back to (first: {_who(first)}, "
            f"{first.unanswered} unanswered)"
        )
    if out.keep_in_touch:
        first = out.keep_in_touch[0]
        parts.append(
            f"{len(out.keep_in_touch)} to keep in touch with (most overdue: {_who(first)}, "
            f"{first.overdue_days} days)"
        )
    return ("; ".join(parts) + ".") if parts else "Nobody is waiting for an answer or overdue."


CONTACTS_TO_REACH: Tool[ContactsToReachIn, ContactsToReachOut] = Tool(
    name="contacts_to_reach",
    title="People to reach",
    description=(
        "The people the user should reach today: get_back_to (people whose messages, "
        "replies or mentions are still unanswered, oldest first) and keep_in_touch (people "
        "not contacted for longer than the user's keep-in-touch interval, most overdue "
        "first), each with contact_id, name, handles, unanswered, waiting_since, due_at and "
        "overdue_days. Call it when you have time for relationships; a helpful reply or "
        "message is recorded with record_activity afterwards."
    ),
    input_model=ContactsToReachIn,
    output_model=ContactsToReachOut,
    run=_reach,
    sentence=_reach_sentence,
)

TODAY_TOOLS: tuple[Tool[Any, Any], ...] = (PLAN_TODAY, CONTACTS_TO_REACH)
