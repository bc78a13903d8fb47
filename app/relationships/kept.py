"""§6.7 from the kept per-handle summary (contact_handle), when as_of is at or after the
user's latest event: a page is a range of ix_contact_handle_user[_stage]_last, and the
stage counts read one index of the summary instead of grouping every event."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from app.contacts.models import HANDLE_TABLE
from app.core.portable_sql import bytewise

H = HANDLE_TABLE.c


def page(
    user_id: uuid.UUID,
    stage: str | None,
    stale_cutoff: datetime,
    stale: bool | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Select[Any]:
    """SELECT the next page (limit + 1 rows), newest last contact first, ties by handle."""
    name = bytewise(H.handle)
    stmt = select(HANDLE_TABLE).where(H.user_id == user_id, H.last_contact_at.is_not(None))
    if stage is not None:
        stmt = stmt.where(H.stage == stage)
    if stale is not None:
        stmt = stmt.where(
            H.last_contact_at < stale_cutoff if stale else H.last_contact_at >= stale_cutoff
        )
    if after is not None:
        at, handle = after
        # `<=` bounds the index range; the OR orders the ties by handle.
        stmt = stmt.where(
            H.last_contact_at <= at,
            or_(H.last_contact_at < at, and_(H.last_contact_at == at, name > handle)),
        )
    return stmt.order_by(H.last_contact_at.desc(), name.asc()).limit(limit + 1)


def stage_counts(user_id: uuid.UUID, stale_cutoff: datetime) -> Select[Any]:
    """SELECT stage, count, stale count GROUP BY stage."""
    return (
        select(
            H.stage,
            func.count(),
            func.sum(case((H.last_contact_at < stale_cutoff, 1), else_=0)),
        )
        .where(H.user_id == user_id, H.last_contact_at.is_not(None))
        .group_by(H.stage)
    )


def handles(user_id: uuid.UUID, names: list[str]) -> Select[Any]:
    """SELECT the kept rows (stage, last contact) of these handles that have events."""
    return select(H.handle, H.stage, H.last_contact_at).where(
        H.user_id == user_id, H.handle.in_(names), H.last_contact_at.is_not(None)
    )
