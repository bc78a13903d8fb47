"""Who to get back to and who to keep in touch with (for §11 Today and other callers).

``get_back_to``: contacts with unanswered inbound events in the 90 days ending at as_of,
the longest waiting first; the candidates are the contacts with an inbound event in that
window (from the kept summary, or counted when as_of is before the latest event).
``keep_in_touch``: stale contacts, most overdue first (the contacts list with
``stale=true&sort=due``).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.calc import contacts as calc
from app.contacts import figures, service, summaries
from app.contacts.models import CONTACT_TABLE
from app.contacts.summaries import Filters, Summary
from app.users.models import User

C = CONTACT_TABLE.c


@dataclass(frozen=True)
class ContactBrief:
    contact_id: uuid.UUID
    name: str | None
    handles: list[str]
    unanswered: int
    waiting_since: (
        datetime | None
    )  # occurred_at of the oldest unanswered inbound event (90-day window)
    due_at: datetime | None
    overdue_days: int


@dataclass(frozen=True)
class ReachLists:
    get_back_to: list[
        ContactBrief
    ]  # up to `limit` contacts with unanswered > 0, oldest waiting_since first
    keep_in_touch: list[ContactBrief]  # up to `limit` stale contacts, most overdue first


def _brief(s: Summary, w: calc.WindowFigures, as_of: datetime) -> ContactBrief:
    return ContactBrief(
        contact_id=s.id,
        name=s.name,
        handles=list(s.handles),
        unanswered=w.unanswered,
        waiting_since=w.waiting_since,
        due_at=s.due_at,
        overdue_days=calc.overdue_days(s.due_at, as_of),
    )


def _inbound_lately(session: Session, user: User, as_of: datetime, fast: bool) -> list[Summary]:
    start = as_of - calc.RECIPROCITY_WINDOW
    if not fast:
        every = summaries.every(session, user, as_of, Filters(), recount=True)
        return [
            s
            for s in every
            if s.figures.last_inbound_at is not None and s.figures.last_inbound_at >= start
        ]
    return summaries.where(session, C.user_id == user.id, C.last_inbound_at >= start)


def reach_lists(session: Session, user: User, as_of: datetime, limit: int = 10) -> ReachLists:
    fast = summaries.fast_path(session, user, as_of)
    candidates = _inbound_lately(session, user, as_of, fast)
    windows = figures.window(session, user, candidates, as_of)
    waiting = [_brief(s, windows[s.id], as_of) for s in candidates if windows[s.id].unanswered > 0]
    waiting.sort(key=lambda b: (b.waiting_since or as_of, b.contact_id))
    stale = service.list_contacts(
        session, user, as_of, Filters(stale=True), "due", limit, None
    ).items
    keep = [
        ContactBrief(
            contact_id=c.id,
            name=c.name,
            handles=c.handles,
            unanswered=c.unanswered,
            waiting_since=windows[c.id].waiting_since if c.id in windows else None,
            due_at=c.due_at,
            overdue_days=c.overdue_days,
        )
        for c in stale
    ]
    return ReachLists(get_back_to=waiting[:limit], keep_in_touch=keep)
