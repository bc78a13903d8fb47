"""TEMPORARY: replaced at merge. ``reach_lists(session, user, as_of, limit=10)``: the §11
get_back_to and keep_in_touch lists."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.users.models import User


@dataclass(frozen=True)
class ContactBrief:
    """TEMPORARY: replaced at merge."""

    contact_id: uuid.UUID
    name: str | None
    handles: list[str]
    unanswered: int
    waiting_since: datetime | None
    due_at: datetime | None
    overdue_days: int


@dataclass(frozen=True)
class ReachLists:
    """TEMPORARY: replaced at merge."""

    get_back_to: list[ContactBrief]
    keep_in_touch: list[ContactBrief]


def reach_lists(session: Session, user: User, as_of: datetime, limit: int = 10) -> ReachLists:
    """TEMPORARY: replaced at merge."""
    raise NotImplementedError("TEMPORARY: replaced at merge")
