"""Know, like, trust (SPEC §6.7): one row per counterpart, paged by the database."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from app.core.pagination import decode_cursor, encode_cursor
from app.relationships import queries
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
            counterpart=row.counterpart,
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
        next_cursor = encode_cursor(last.last_contact_at, last.counterpart, key="c")
    return RelationshipList(
        as_of=as_of,
        keep_in_touch_days=user.keep_in_touch_days,
        items=items,
        next_cursor=next_cursor,
    )


def count_stages(session: Session, user: User, as_of: datetime) -> StageCounts:
    r = _staged(user, as_of)
    counts = {"know": 0, "like": 0, "trust": 0}
    stale = 0
    for stage, n, n_stale in session.execute(queries.stage_counts(r, stale_cutoff(user, as_of))):
        counts[stage] = int(n)
        stale += int(n_stale or 0)
    return StageCounts(**counts, stale=stale, total=sum(counts.values()))
