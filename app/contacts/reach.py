"""TEMPORARY: replaced by the contacts branch at merge.

The contract the Today plan (SPEC §11) codes against: the contacts to get back to and to
keep in touch with (SPEC §10). This placeholder answers empty lists.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.users.models import User


@dataclass(frozen=True)
class ContactBrief:
    contact_id: uuid.UUID
    name: str | None
    handles: list[str]
    unanswered: int
    waiting_since: datetime | None  # oldest unanswered inbound event
    due_at: datetime | None
    overdue_days: int


@dataclass(frozen=True)
class ReachLists:
    get_back_to: list[ContactBrief]  # ≤ limit, unanswered > 0, oldest waiting_since first
    keep_in_touch: list[ContactBrief]  # ≤ limit, stale, most overdue first


def reach_lists(session: Session, user: User, as_of: datetime, limit: int = 10) -> ReachLists:
    """TEMPORARY: replaced by the contacts branch at merge."""
    return ReachLists(get_back_to=[], keep_in_touch=[])
