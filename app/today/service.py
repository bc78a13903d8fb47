"""TEMPORARY: replaced at merge. ``plan_today(session, user, as_of) -> TodayOut`` (§11)."""

from datetime import datetime

from sqlmodel import Session

from app.today.schemas import TodayOut
from app.users.models import User


def plan_today(session: Session, user: User, as_of: datetime) -> TodayOut:
    """TEMPORARY: replaced at merge."""
    raise NotImplementedError("TEMPORARY: replaced at merge")
