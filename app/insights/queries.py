"""Window-bounded reads for the insights.

Every query names one user and a [start, end] window of occurred_at, so its cost follows
the window, never the user's history; counts are done by the database (COUNT … GROUP BY)
and only the few instants a rule needs (follows for pacing, posts for cadence) come back
as rows. The index ix_event_window (user_id, platform, kind, occurred_at) serves them.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from app.calc.day_split import split_utc_days
from app.calc.vocabulary import BROADCAST_KINDS, CONTACT_KINDS, INTERACTION_KINDS, PLATFORMS
from app.events import daily_counts
from app.events.daily_counts import EventDayCount
from app.events.models import Event

E = Event.__table__.c  # type: ignore[attr-defined]
D = EventDayCount.__table__.c  # type: ignore[attr-defined]


def _window(user_id: uuid.UUID, start: datetime, end: datetime, include_end: bool = True):
    """occurred_at in [start, end]: `end` is as_of, and events at as_of count. With
    include_end=False, [start, end): `end` is the first instant after a range of local days."""
    upper = E.occurred_at <= end if include_end else E.occurred_at < end
    return (E.user_id == user_id, E.occurred_at >= start, upper)


def instants(session: Session, user_id: uuid.UUID, platforms: Iterable[str], kinds: Iterable[str],
             start: datetime, end: datetime, direction: str = "outbound",
             include_end: bool = True) -> list[tuple[str, datetime]]:
    """(platform, occurred_at) of matching events in the window, oldest first.

    No ORDER BY in SQL: it would tempt SQLite into walking every kind of event in the window
    through (user_id, occurred_at) instead of seeking (user_id, platform, kind, occurred_at)
    once per platform and kind. The few rows are sorted here.
    """
    query = (
        select(E.platform, E.occurred_at)
        .where(*_window(user_id, start, end, include_end), E.platform.in_(list(platforms)),
               E.kind.in_(list(kinds)), E.direction == direction)
    )
    return sorted(((p, t) for p, t in session.execute(query)), key=lambda row: row[1])


def count(session: Session, user_id: uuid.UUID, platform: str, kind: str, direction: str,
          start: datetime, end: datetime) -> int:
    query = select(func.count()).where(
        *_window(user_id, start, end), E.platform == platform, E.kind == kind, E.direction == direction
    )
    return int(session.execute(query).scalar_one())


def last_instant_before(session: Session, user_id: uuid.UUID, platform: str, kinds: Iterable[str],
                        at: datetime) -> datetime | None:
    """The newest outbound event of these kinds at or before `at` (one index probe per kind)."""
    best = None
    for kind in kinds:
        found = session.execute(
            select(E.occurred_at)
            .where(E.user_id == user_id, E.platform == platform, E.kind == kind,
                   E.direction == "outbound", E.occurred_at <= at)
            .order_by(E.occurred_at.desc()).limit(1)
        ).scalar_one_or_none()
        if found is not None and (best is None or found > best):
            best = found
    return best


def posting_platforms(session: Session, user_id: uuid.UUID, start: datetime, end: datetime,
                      include_end: bool = True) -> set[str]:
    """Platforms with at least one outbound post or share in the window."""
    query = (
        select(E.platform).distinct()
        .where(*_window(user_id, start, end, include_end), E.platform.in_(PLATFORMS),
               E.kind.in_(BROADCAST_KINDS), E.direction == "outbound")
    )
    return set(session.execute(query).scalars())


def window_counters(session: Session, user_id: uuid.UUID, start: datetime, end: datetime,
                    names: Iterable[str], platforms: Iterable[str] = PLATFORMS) -> dict[str, dict[str, int]]:
    """platform → counter → count over [start, end], exact: whole UTC days come from
    event_day_count (one row per day and platform), the partial edge days from the events."""
    names, platforms = list(names), list(platforms)
    totals = {p: dict.fromkeys(names, 0) for p in platforms}
    split = split_utc_days(start, end)
    queries = []
    edges = [(split.head, False), (split.tail, True)] if split.head else [(split.tail, True)]
    for (lo, hi), closed in edges:
        queries.append(
            select(E.platform, *daily_counts.sums(E, names))
            .where(E.user_id == user_id, E.platform.in_(platforms), E.occurred_at >= lo,
                   E.occurred_at <= hi if closed else E.occurred_at < hi)
            .group_by(E.platform)
        )
    if split.days:
        queries.append(
            select(D.platform, *(func.coalesce(func.sum(D[n]), 0) for n in names))
            .where(D.user_id == user_id, D.platform.in_(platforms),
                   D.day >= split.days[0], D.day < split.days[1])
            .group_by(D.platform)
        )
    for query in queries:
        for platform, *values in session.execute(query):
            for name, value in zip(names, values, strict=True):
                totals[platform][name] += int(value)
    return totals


def contacts_by_platform(session: Session, user_id: uuid.UUID, start: datetime, end: datetime,
                         platform: str | None = None) -> dict[str, tuple[int, int]]:
    """platform → (non_sales, sales) outbound contacts in the window, for platforms with any."""
    counts = window_counters(session, user_id, start, end, ("contacts_non_sales_out", "contacts_sales_out"),
                             [platform] if platform else PLATFORMS)
    return {p: (c["contacts_non_sales_out"], c["contacts_sales_out"]) for p, c in counts.items()
            if c["contacts_non_sales_out"] or c["contacts_sales_out"]}


_SALES = func.sum(case((E.is_sales, 1), else_=0))
_NON_SALES = func.sum(case((E.is_sales, 0), else_=1))


def _contacts(user_id: uuid.UUID, start: datetime, end: datetime, platform: str | None):
    platforms = [platform] if platform else list(PLATFORMS)
    return (*_window(user_id, start, end), E.platform.in_(platforms), E.kind.in_(CONTACT_KINDS),
            E.direction == "outbound")


def contacts_by_counterpart(session: Session, user_id: uuid.UUID, start: datetime, end: datetime,
                            platform: str | None = None, counterpart: str | None = None,
                            with_sales_only: bool = True) -> list[tuple[str, int, int]]:
    """(counterpart, non_sales, sales) of outbound contacts in the window, for one counterpart
    or for every counterpart who got a sales contact in it.

    Two steps, both bounded by the window: the window's sales contacts name the people
    (through ix_event_window), then only those people's contacts are counted (through
    ix_event_user_counterpart, one range per person). Grouping all of the window's contacts
    by counterpart instead makes SQLite walk the user's whole history in counterpart order.
    """
    if counterpart is not None:
        people = [counterpart]
    else:
        # No "counterpart IS NOT NULL" here: it would invite the counterpart index.
        named = session.execute(select(E.counterpart).where(*_contacts(user_id, start, end, platform), E.is_sales))
        people = sorted({c for (c,) in named if c is not None})
    rows: list[tuple[str, int, int]] = []
    for first in range(0, len(people), 500):
        query = (
            select(E.counterpart, _NON_SALES, _SALES)
            .where(*_contacts(user_id, start, end, platform), E.counterpart.in_(people[first:first + 500]))
            .group_by(E.counterpart)
        )
        rows.extend((c, int(n), int(s)) for c, n, s in session.execute(query))
    return [r for r in rows if r[2] > 0] if with_sales_only and counterpart is not None else rows


def engagement_counts(session: Session, user_id: uuid.UUID, start: datetime,
                      end: datetime) -> tuple[int, int, int, int]:
    """(broadcasts, interactions, inbound except follow, distinct people engaged) in the window."""
    names = ("broadcasts_out", "interactions_out", "inbound_non_follow")
    per_platform = window_counters(session, user_id, start, end, names)
    broadcasts, interactions, inbound = (sum(c[n] for c in per_platform.values()) for n in names)
    # Distinct people do not add up across days: counted from the window's interactions.
    people = session.execute(
        select(func.count(distinct(E.counterpart)))
        .where(*_window(user_id, start, end), E.platform.in_(PLATFORMS), E.direction == "outbound",
               E.kind.in_(INTERACTION_KINDS), E.counterpart.is_not(None))
    ).scalar_one()
    return broadcasts, interactions, inbound, int(people)
