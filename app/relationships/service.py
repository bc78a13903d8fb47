"""Know, like, trust (SPEC §6.7): one row per counterpart, paged by the database.

When as_of is at or after the user's latest event, the rows come from the per-handle
summary the events store keeps (kept.py: a page costs a page); for an earlier as_of, they
are grouped from the events up to as_of (queries.py: exact, slower).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from app.contacts.summaries import fast_path
from app.core.pagination import decode_cursor, encode_cursor
from app.events import store
from app.relationships import kept, queries
from app.relationships.schemas import RelationshipList, RelationshipOut, StageCounts
from app.users.models import User


def stale_cutoff(user: User, as_of: datetime) -> datetime:
    """A contact is stale when its last event is before this instant (as_of − N × 24 h)."""
    return as_of - timedelta(days=user.keep_in_touch_days)


def _staged(user: User, as_of: datetime, counterparts: list[str] | None = None) -> Subquery:
    return queries.staged(user.id, as_of, user.timezone, user.sales_ratio, counterparts)


def _page_rows(
    session: Session,
    user: User,
    as_of: datetime,
    stage: str | None,
    stale: bool | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    cutoff = stale_cutoff(user, as_of)
    if fast_path(session, user, as_of):
        return session.execute(kept.page(user.id, stage, cutoff, stale, after, limit)).all()
    if stage is not None:
        r = _staged(user, as_of)
        return session.execute(queries.page(r, stage, cutoff, stale, after, limit)).all()
    names = list(
        session.execute(
            queries.latest_contacts(user.id, as_of, cutoff, stale, after, limit)
        ).scalars()
    )
    if not names:
        return []
    r = _staged(user, as_of, names)
    return session.execute(queries.ordered(r)).all()


def list_relationships(
    session: Session,
    user: User,
    as_of: datetime,
    stage: str | None,
    stale: bool | None,
    limit: int,
    cursor: str | None,
) -> RelationshipList:
    after = decode_cursor(cursor, str, key="c") if cursor else None
    cutoff = stale_cutoff(user, as_of)
    rows = _page_rows(session, user, as_of, stage, stale, after, limit)
    items = [
        RelationshipOut(
            counterpart=_name(row),
            first_contact_at=row.first_contact_at,
            last_contact_at=row.last_contact_at,
            outbound=int(row.outbound),
            inbound=int(row.inbound),
            non_sales=int(row.non_sales),
            sales=int(row.sales),
            stage=row.stage,
            stale=row.last_contact_at < cutoff,
        )
        for row in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.last_contact_at, _name(last), key="c")
    return RelationshipList(
        as_of=as_of,
        keep_in_touch_days=user.keep_in_touch_days,
        items=items,
        next_cursor=next_cursor,
    )


def _name(row: Row[Any]) -> str:
    """The counterpart of a row: grouped from the events, or a kept handle row."""
    name: str = row.handle if "handle" in row._fields else row.counterpart
    return name


# An as_of before the user's latest event: when at most this many events are after it, the
# counts are the kept summary's with the handles of those events recounted up to as_of.
LATER_EVENTS_CAP = 5000


def count_stages(session: Session, user: User, as_of: datetime) -> StageCounts:
    """Stages and stale counts at as_of (the weekly report). From the kept per-handle
    summary (two range counts of one index a stage); for an as_of before the user's latest
    event, the handles with events after as_of (a range of the events' time index) are
    taken off and counted from their events up to as_of instead, so a past week costs the
    events since it."""
    cutoff = stale_cutoff(user, as_of)
    later = store.handles_after(session, user.id, as_of, LATER_EVENTS_CAP)
    counts = dict.fromkeys(kept.STAGES, 0)
    stale = 0
    rows: Iterable[tuple[str, int, int | None]]
    if later is None:  # many events since as_of: group the events up to as_of
        rows = session.execute(queries.stage_counts(_staged(user, as_of), cutoff)).tuples()
    else:
        rows = kept.stage_counts(session, user.id, cutoff)
    for stage, n, n_stale in rows:
        counts[stage] = int(n)
        stale += int(n_stale or 0)
    if later:
        for row in session.execute(kept.handles(user.id, later)):
            counts[row.stage] -= 1
            stale -= row.last_contact_at < cutoff
        r = _staged(user, as_of, later)
        for stage, n, n_stale in session.execute(queries.stage_counts(r, cutoff)):
            counts[stage] += int(n)
            stale += int(n_stale or 0)
    return StageCounts(**counts, stale=stale, total=sum(counts.values()))
