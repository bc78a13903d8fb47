"""The one short sentence each answer starts with, for the model that reads it."""

from datetime import UTC, datetime

from app.calc.guard import plural
from app.insights.schemas import CheckOut


def when(t: datetime, today: datetime | None = None) -> str:
    """``14:05Z`` on the day of ``today`` (seconds only when there are some), else the date
    too: ``2026-12-03T09:00Z``."""
    t = t.astimezone(UTC)
    clock = f"{t:%H:%M:%S}" if t.second or t.microsecond else f"{t:%H:%M}"
    if today is not None and today.astimezone(UTC).date() == t.date():
        return f"{clock}Z"
    return f"{t:%Y-%m-%d}T{clock}Z"


def check(what: str, out: CheckOut) -> str:
    """``Yes: …``, ``Not now: …; next at 14:05Z`` or ``No: …; waiting will not help``."""
    if out.allowed:
        return f"Yes: {what} is allowed now ({when(out.at)})."
    reasons = "; ".join(r.detail.rstrip(".") for r in out.reasons)
    if out.next_allowed_at is not None:
        return f"Not now: {reasons}; next at {when(out.next_allowed_at, out.at)}."
    return f"No: {reasons}; waiting will not help."


def follows(count: int, platform: str) -> str:
    return f"{plural(count, 'follow')} on {platform}"


def recorded(created: int, duplicates: int) -> str:
    stored = f"Recorded {plural(created, 'new event')}"
    if duplicates:
        return f"{stored}; {plural(duplicates, 'event was', 'events were')} already stored."
    return f"{stored}."
