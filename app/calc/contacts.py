"""Contacts (SPEC §10): the stage of §6.7 and the per-contact figures, as pure functions.

Time is always an argument. Days are real 24-hour days (``timedelta(days=n)``), as for
`stale` in §6.7; only the "2 distinct local days" of the trust stage uses the user's zone.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from app.calc.vocabulary import CONTACTS, INTERACTIONS

DAY = timedelta(days=1)
RECIPROCITY_WINDOW = timedelta(days=90)
# Inbound kinds that expect an answer, and the outbound kinds that answer them.
AWAITING_ANSWER: frozenset[str] = frozenset(
    {"reply", "mention", "direct_message", "comment", "wall_post"}
)
ANSWERS: frozenset[str] = INTERACTIONS | CONTACTS


def local_day(instant: datetime | None, zone: ZoneInfo) -> date | None:
    return None if instant is None else instant.astimezone(zone).date()


def stage(
    inbound: int,
    non_sales: int,
    sales_ratio: float,
    first_inbound_day: date | None,
    last_inbound_day: date | None,
    any_event: bool = True,
) -> str | None:
    """know / like / trust (§6.7); None for a handle or contact without events.

    Inbound events fall on ≥ 2 distinct local days exactly when the local days of the
    first and the last inbound event differ."""
    if not any_event:
        return None
    two_days = (
        first_inbound_day is not None
        and last_inbound_day is not None
        and first_inbound_day != last_inbound_day
    )
    if inbound >= 3 and non_sales >= sales_ratio and two_days:
        return "trust"
    return "like" if inbound >= 1 else "know"


def due_at(last_contact_at: datetime | None, keep_in_touch_days: int) -> datetime | None:
    return None if last_contact_at is None else last_contact_at + keep_in_touch_days * DAY


def stale(due: datetime | None, as_of: datetime) -> bool:
    return due is not None and as_of > due


def overdue_days(due: datetime | None, as_of: datetime) -> int:
    """Whole (24-hour) days from due_at to as_of; 0 when not due."""
    if due is None or as_of <= due:
        return 0
    return (as_of - due) // DAY


def reciprocity(inbound: int, outbound: int) -> float | None:
    return None if outbound == 0 else inbound / outbound


def median(values: Sequence[float]) -> float | None:
    """The median (mean of the two middle values for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def one_decimal(value: float | None) -> float | None:
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def health(
    as_of: datetime,
    last_contact_at: datetime | None,
    keep_in_touch_days: int,
    reciprocity_: float | None,
    non_sales: int,
    sales: int,
    sales_ratio: float,
) -> int:
    """round(40 × recency + 30 × min(1, reciprocity) + 30 × balance), 0–100 (§10); half up."""
    if last_contact_at is None:
        recency = 0.0
    else:
        days = (as_of - last_contact_at) / DAY
        recency = max(0.0, 1 - days / (2 * keep_in_touch_days))
    recip = min(1.0, reciprocity_) if reciprocity_ is not None else 0.0
    balance = 1.0 if sales == 0 else min(1.0, non_sales / (sales_ratio * sales))
    score = 40 * min(1.0, recency) + 30 * recip + 30 * balance
    return max(0, min(100, math.floor(score + 0.5 + 1e-9)))


@dataclass(frozen=True)
class WindowEvent:
    """One event of a contact in the 90-day window (any of its handles)."""

    occurred_at: datetime
    kind: str
    direction: str


@dataclass(frozen=True)
class WindowFigures:
    inbound: int
    outbound: int
    reciprocity: float | None
    unanswered: int
    waiting_since: datetime | None  # the oldest unanswered inbound event
    median_reply_minutes: float | None


def window_figures(events: Iterable[WindowEvent]) -> WindowFigures:
    """Reciprocity, unanswered and the median reply time over a contact's window events.

    An inbound reply/mention/direct_message/comment/wall_post is answered by the first
    outbound interaction or contact strictly after it; the reply time is real elapsed time."""
    ordered = sorted(events, key=lambda e: e.occurred_at)
    inbound = sum(e.direction == "inbound" for e in ordered)
    outbound = len(ordered) - inbound
    answers = [e.occurred_at for e in ordered if e.direction == "outbound" and e.kind in ANSWERS]
    minutes: list[float] = []
    unanswered: list[datetime] = []
    j = 0
    for e in ordered:
        if e.direction != "inbound" or e.kind not in AWAITING_ANSWER:
            continue
        while j < len(answers) and answers[j] <= e.occurred_at:
            j += 1
        if j < len(answers):
            minutes.append((answers[j] - e.occurred_at).total_seconds() / 60)
        else:
            unanswered.append(e.occurred_at)
    return WindowFigures(
        inbound=inbound,
        outbound=outbound,
        reciprocity=reciprocity(inbound, outbound),
        unanswered=len(unanswered),
        waiting_since=min(unanswered) if unanswered else None,
        median_reply_minutes=one_decimal(median(minutes)),
    )
