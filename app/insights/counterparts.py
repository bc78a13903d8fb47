"""Per-counterpart contact counts over a window, for the sales ratio's `by_counterpart`.

A year of a busy account holds ~200,000 contacts with thousands of people, and
`by_counterpart` needs every person's own numbers over the whole window. The window is
split into whole UTC days and two partial edge days (app/calc/day_split.py): the whole days'
per-person counts come from the window cache (computed once, checked against the days'
fingerprint on every request), the edges are counted from the events each time.
"""

import uuid
from datetime import UTC, datetime, time
from functools import cache

from sqlalchemy import bindparam, case, func, select
from sqlmodel import Session

from app.calc.day_split import split_utc_days
from app.calc.vocabulary import CONTACT_KINDS, INTERACTION_KINDS, PLATFORMS
from app.events.models import Event
from app.insights.window_cache import cached

E = Event.__table__.c  # type: ignore[attr-defined]

Counts = dict[str, tuple[int, int]]  # counterpart → (non_sales, sales)


@cache
def _counts_stmt(closed: bool):
    # Grouped by an expression, with no condition on counterpart: a plain "GROUP BY
    # counterpart" or "counterpart IS NOT NULL" makes SQLite walk the user's whole history
    # through ix_event_user_counterpart instead of the window through ix_event_window.
    person = func.coalesce(E.counterpart, "")
    upper = E.occurred_at <= bindparam("end") if closed else E.occurred_at < bindparam("end")
    return (select(person, func.sum(case((E.is_sales, 0), else_=1)), func.sum(case((E.is_sales, 1), else_=0)))
            .where(E.user_id == bindparam("user_id"), E.occurred_at >= bindparam("start"), upper,
                   E.platform.in_(bindparam("platforms", expanding=True)), E.kind.in_(CONTACT_KINDS),
                   E.direction == "outbound")
            .group_by(person))


def _counts(session: Session, user_id: uuid.UUID, platforms: list[str], start: datetime, end: datetime,
            closed: bool) -> Counts:
    rows = session.execute(_counts_stmt(closed), {"user_id": user_id, "platforms": platforms,
                                                  "start": start, "end": end})
    return {c: (int(n), int(s)) for c, n, s in rows if c}  # "": contacts with nobody named


def _midnight(day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def contacts_by_counterpart(session: Session, user_id: uuid.UUID, start: datetime, end: datetime,
                            platform: str | None = None) -> list[tuple[str, int, int]]:
    """(counterpart, non_sales, sales) of outbound contacts in [start, end], for every
    counterpart with at least one sales contact there."""
    platforms = [platform] if platform else list(PLATFORMS)
    split = split_utc_days(start, end)
    whole, whole_sellers = {}, ()
    if split.days:
        first, last = split.days
        whole, whole_sellers = cached(
            session, "contacts_by_counterpart", user_id, platforms, split.days, None,
            lambda: _with_sellers(_counts(session, user_id, platforms, _midnight(first), _midnight(last), False)))
    edges: Counts = _counts(session, user_id, platforms, *split.tail, closed=True)
    if split.head:
        for c, (n, s) in _counts(session, user_id, platforms, *split.head, closed=False).items():
            n0, s0 = edges.get(c, (0, 0))
            edges[c] = (n0 + n, s0 + s)
    rows = []
    for c in whole_sellers:  # people with a sales contact on the whole days
        n, s = whole[c]
        n1, s1 = edges.get(c, (0, 0))
        rows.append((c, n + n1, s + s1))
    for c, (n1, s1) in edges.items():  # people whose only sales contacts are on the edges
        if s1 and c not in whole_sellers:
            n, s = whole.get(c, (0, 0))
            rows.append((c, n + n1, s + s1))
    return rows


def _with_sellers(counts: Counts) -> tuple[Counts, frozenset[str]]:
    return counts, frozenset(c for c, (_, s) in counts.items() if s)


@cache
def _people_stmt(closed: bool):
    person = func.coalesce(E.counterpart, "")  # an expression: see _counts_stmt
    upper = E.occurred_at <= bindparam("end") if closed else E.occurred_at < bindparam("end")
    return (select(person).distinct()
            .where(E.user_id == bindparam("user_id"), E.occurred_at >= bindparam("start"), upper,
                   E.platform.in_(PLATFORMS), E.kind.in_(INTERACTION_KINDS), E.direction == "outbound"))


def _people(session: Session, user_id: uuid.UUID, start: datetime, end: datetime, closed: bool) -> frozenset[str]:
    rows = session.execute(_people_stmt(closed), {"user_id": user_id, "start": start, "end": end}).scalars()
    return frozenset(c for c in rows if c)


def people_engaged(session: Session, user_id: uuid.UUID, start: datetime, end: datetime) -> int:
    """Distinct counterparts of outbound interactions in [start, end]. Distinct people do not
    add up across days, so the whole UTC days' set is cached and the edges' people are added."""
    split = split_utc_days(start, end)
    whole: frozenset[str] = frozenset()
    if split.days:
        first, last = split.days
        whole = cached(session, "people_engaged", user_id, PLATFORMS, split.days, None,
                       lambda: _people(session, user_id, _midnight(first), _midnight(last), False))
    edges = _people(session, user_id, *split.tail, closed=True)
    if split.head:
        edges |= _people(session, user_id, *split.head, closed=False)
    return len(whole) + len(edges - whole)
