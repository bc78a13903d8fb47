"""Per-counterpart figures, grouped, staged, filtered and paged by the database.

The figures: the user's events up to as_of grouped by counterpart (served by
ix_event_user_counterpart), with the stage as a CASE over each group. Only one page of rows
ever reaches Python, in one of two ways:

- without a stage filter, ``latest_contacts`` walks ix_event_user_time newest first and
  keeps each counterpart's latest event (an anti-join probe on ix_event_user_counterpart),
  so a page costs about a page of index reads; the figures are then grouped for those
  counterparts only;
- with a stage filter, the stage depends on every group, so the keyset, stage and stale
  conditions are WHERE clauses over the grouped, staged derived table (one aggregate pass
  over the user's events per page).

"Inbound events on ≥ 2 distinct local days" is local_date(first inbound) ≠
local_date(last inbound): PostgreSQL converts with ``AT TIME ZONE``, SQLite calls the
``rapport_local_date`` function registered on each connection (app.core.sqlite_functions).
Counterparts are ordered byte-wise (COLLATE "C" on PostgreSQL, BINARY on SQLite), so both
databases page in the same order. Those differences are compiled per dialect
(app.core.portable_sql); the builders here do not know which database they build for.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.sql import ColumnElement, Select, Subquery

from app.calc.vocabulary import CONTACT_KINDS
from app.core import pagination
from app.core.portable_sql import bytewise, local_date, not_indexed
from app.events.models import Event

_EVENT = Event.metadata.tables["event"]  # the Table itself: typed, unlike __table__
E = _EVENT.c


def grouped(user_id: uuid.UUID, as_of: datetime, counterparts: list[str] | None = None) -> Subquery:
    # On SQLite, not_indexed keeps the planner off ix_event_user_time, so the grouping walks
    # ix_event_user_counterpart in counterpart order instead of sorting every row.
    occurred = not_indexed(E.occurred_at)
    inbound = E.direction == "inbound"
    outbound = E.direction == "outbound"
    contact = and_(outbound, E.kind.in_(CONTACT_KINDS))
    return (
        select(
            E.counterpart.label("counterpart"),
            func.min(E.occurred_at).label("first_contact_at"),
            func.max(E.occurred_at).label("last_contact_at"),
            func.sum(case((outbound, 1), else_=0)).label("outbound"),
            func.sum(case((inbound, 1), else_=0)).label("inbound"),
            func.sum(case((and_(contact, E.is_sales.is_(False)), 1), else_=0)).label("non_sales"),
            func.sum(case((and_(contact, E.is_sales.is_(True)), 1), else_=0)).label("sales"),
            func.min(case((inbound, E.occurred_at))).label("first_inbound"),
            func.max(case((inbound, E.occurred_at))).label("last_inbound"),
        )
        .where(
            E.user_id == user_id,
            E.counterpart.is_not(None),
            occurred <= as_of,
            *([E.counterpart.in_(counterparts)] if counterparts is not None else []),
        )
        .group_by(E.counterpart)
        .subquery("g")
    )


def staged(
    user_id: uuid.UUID,
    as_of: datetime,
    tz: str,
    sales_ratio: float,
    counterparts: list[str] | None = None,
) -> Subquery:
    """The grouped figures plus a ``stage`` column (know / like / trust)."""
    g = grouped(user_id, as_of, counterparts)
    trust = and_(
        g.c.inbound >= 3,
        g.c.non_sales >= sales_ratio,
        local_date(g.c.first_inbound, tz) != local_date(g.c.last_inbound, tz),
    )
    stage = case((trust, "trust"), (g.c.inbound >= 1, "like"), else_="know").label("stage")
    return select(g, stage).subquery("r")


def _keyset(
    at_col: ColumnElement[Any], name_col: ColumnElement[Any], after: tuple[datetime, str] | None
) -> list[ColumnElement[bool]]:
    if after is None:
        return []
    return [pagination.after((at_col, name_col), after, descending=(True, False))]


def _stale(
    at_col: ColumnElement[Any], stale_cutoff: datetime, stale: bool | None
) -> list[ColumnElement[bool]]:
    if stale is None:
        return []
    return [at_col < stale_cutoff if stale else at_col >= stale_cutoff]


def latest_contacts(
    user_id: uuid.UUID,
    as_of: datetime,
    stale_cutoff: datetime,
    stale: bool | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Select[Any]:
    """SELECT the counterparts of the next page (limit + 1), newest last contact first."""
    e, later = _EVENT.alias("e"), _EVENT.alias("later")
    newer = select(later.c.id).where(
        later.c.user_id == e.c.user_id,
        later.c.counterpart == e.c.counterpart,
        later.c.occurred_at <= as_of,
        or_(
            later.c.occurred_at > e.c.occurred_at,
            and_(later.c.occurred_at == e.c.occurred_at, later.c.id > e.c.id),
        ),
    )
    name = bytewise(e.c.counterpart)
    return (
        select(e.c.counterpart)
        .where(
            e.c.user_id == user_id,
            e.c.counterpart.is_not(None),
            e.c.occurred_at <= as_of,
            ~exists(newer),
            *_stale(e.c.occurred_at, stale_cutoff, stale),
            *_keyset(e.c.occurred_at, name, after),
        )
        .order_by(e.c.occurred_at.desc(), name.asc())
        .limit(limit + 1)
    )


def ordered(r: Subquery) -> Select[Any]:
    """SELECT every row of ``r``, newest last contact first, ties by counterpart."""
    return select(r).order_by(r.c.last_contact_at.desc(), bytewise(r.c.counterpart).asc())


def page(
    r: Subquery,
    stage: str,
    stale_cutoff: datetime,
    stale: bool | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Select[Any]:
    """SELECT one page of ``r`` in one stage (limit + 1 rows, to know whether there is a
    next page)."""
    name = bytewise(r.c.counterpart)
    return (
        ordered(r)
        .where(
            r.c.stage == stage,
            *_stale(r.c.last_contact_at, stale_cutoff, stale),
            *_keyset(r.c.last_contact_at, name, after),
        )
        .limit(limit + 1)
    )


def stage_counts(r: Subquery, stale_cutoff: datetime) -> Select[Any]:
    """SELECT stage, count, stale count GROUP BY stage."""
    return select(
        r.c.stage, func.count(), func.sum(case((r.c.last_contact_at < stale_cutoff, 1), else_=0))
    ).group_by(r.c.stage)
