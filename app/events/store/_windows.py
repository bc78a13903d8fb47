"""Window-bounded reads for the insights.

Every query names one user and a [start, end] window of occurred_at, so its cost follows
the window, never the user's history; counts are done by the database (COUNT … GROUP BY)
and only the few instants a rule needs (follows for pacing, posts for cadence) come back
as rows. The index ix_event_window (user_id, platform, kind, occurred_at, then direction,
is_sales and counterpart, so it covers them) serves them.

Statements are built once per shape (`functools.cache`) with bound parameters: building a
SQLAlchemy expression and its cache key cost more than SQLite's own work for a small
window, and an insight runs up to eight of them per request.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    case,
    func,
    select,
    union_all,
)
from sqlmodel import Session

from app.calc.vocabulary import CONTACT_KINDS, KINDS, PLATFORMS
from app.core.db import generic_plan
from app.events.models import EVENT_TABLE
from app.events.store import _contacts, _spans
from app.events.store._counters import sums
from app.events.store._day_counts import D
from app.events.store._split import split_utc_days

E = EVENT_TABLE.c

_USER: BindParameter[uuid.UUID] = bindparam("user_id")
_START: BindParameter[datetime] = bindparam("start")
_END: BindParameter[datetime] = bindparam("end")
_PLATFORMS: BindParameter[list[str]] = bindparam("platforms", expanding=True)
_KINDS: BindParameter[list[str]] = bindparam("kinds", expanding=True)


def _window(include_end: bool = True) -> tuple[ColumnElement[bool], ...]:
    """occurred_at in [:start, :end]: `end` is as_of, and events at as_of count. With
    include_end=False, [:start, :end): `end` is the first instant after a range of local days."""
    upper = E.occurred_at <= _END if include_end else E.occurred_at < _END
    return (E.user_id == _USER, E.occurred_at >= _START, upper)


@cache
def _instants_stmt(include_end: bool) -> Select[tuple[str, str, datetime]]:
    # No ORDER BY in SQL: it would tempt SQLite into walking every kind of event in the window
    # through (user_id, occurred_at) instead of seeking (user_id, platform, kind, occurred_at)
    # once per platform and kind. The few rows are sorted here.
    return generic_plan(
        select(E.platform, E.kind, E.occurred_at).where(
            *_window(include_end),
            E.platform.in_(_PLATFORMS),
            E.kind.in_(_KINDS),
            E.direction == bindparam("direction"),
        )
    )


def kind_instants(
    session: Session,
    user_id: uuid.UUID,
    platforms: Iterable[str],
    kinds: Iterable[str],
    start: datetime,
    end: datetime,
    direction: str = "outbound",
    include_end: bool = True,
) -> list[tuple[str, str, datetime]]:
    """(platform, kind, occurred_at) of matching events in the window, oldest first."""
    rows = session.execute(
        _instants_stmt(include_end),
        {
            "user_id": user_id,
            "start": start,
            "end": end,
            "platforms": list(platforms),
            "kinds": list(kinds),
            "direction": direction,
        },
    )
    return sorted(((p, k, t) for p, k, t in rows), key=lambda row: row[2])


def instants(
    session: Session,
    user_id: uuid.UUID,
    platforms: Iterable[str],
    kinds: Iterable[str],
    start: datetime,
    end: datetime,
    direction: str = "outbound",
    include_end: bool = True,
) -> list[tuple[str, datetime]]:
    """(platform, occurred_at) of matching events in the window, oldest first."""
    return [
        (p, t)
        for p, _, t in kind_instants(
            session, user_id, platforms, kinds, start, end, direction, include_end
        )
    ]


@cache
def _span_instants_stmt(closed: tuple[bool, ...]) -> Select[Any] | CompoundSelect[Any]:
    parts = [
        select(E.platform, E.occurred_at).where(
            E.user_id == _USER,
            *_spans.in_span(i, c),
            E.platform.in_(_PLATFORMS),
            E.kind.in_(_KINDS),
            E.direction == "outbound",
        )
        for i, c in enumerate(closed)
    ]
    return generic_plan(parts[0] if len(parts) == 1 else union_all(*parts))


def instants_in_spans(
    session: Session,
    user_id: uuid.UUID,
    platforms: Iterable[str],
    kinds: Iterable[str],
    span_list: list[_spans.Span],
) -> list[tuple[str, datetime]]:
    """(platform, occurred_at) of outbound events of these kinds in any of the disjoint spans,
    in one statement."""
    params = {
        "user_id": user_id,
        "platforms": list(platforms),
        "kinds": list(kinds),
        **_spans.params(span_list),
    }
    return list(session.execute(_span_instants_stmt(_spans.shape(span_list)), params).tuples())


@cache
def _last_instant_stmt() -> Select[tuple[datetime]]:
    return (
        select(E.occurred_at)
        .where(
            E.user_id == _USER,
            E.platform == bindparam("platform"),
            E.kind == bindparam("kind"),
            E.direction == "outbound",
            E.occurred_at <= _END,
        )
        .order_by(E.occurred_at.desc())
        .limit(1)
    )


def last_instant_before(
    session: Session, user_id: uuid.UUID, platform: str, kinds: Iterable[str], at: datetime
) -> datetime | None:
    """The newest outbound event of these kinds at or before `at` (one index probe per kind)."""
    best = None
    for kind in kinds:
        found = session.execute(
            _last_instant_stmt(),
            {"user_id": user_id, "platform": platform, "kind": kind, "end": at},
        ).scalar_one_or_none()
        if found is not None and (best is None or found > best):
            best = found
    return best


def _edge_counters(names: tuple[str, ...], edge: str, closed: bool) -> Select[Any]:
    """Counters of one partial edge day (`edge` is head or tail), counted from the events."""
    lo: BindParameter[datetime] = bindparam(f"{edge}_start")
    hi: BindParameter[datetime] = bindparam(f"{edge}_end")
    # "kind IN (every kind)" changes no answer but lets SQLite seek the covering
    # ix_event_window per (platform, kind) and time range, instead of reading all of the
    # user's events on the platform through it.
    return (
        select(E.platform, *sums(E, names))
        .where(
            E.user_id == _USER,
            E.platform.in_(_PLATFORMS),
            E.kind.in_(KINDS),
            E.occurred_at >= lo,
            E.occurred_at <= hi if closed else E.occurred_at < hi,
        )
        .group_by(E.platform)
    )


def _day_counters(names: tuple[str, ...]) -> Select[Any]:
    """Counters of whole UTC days [:first_day, :last_day), from event_day_count."""
    return (
        select(D.platform, *(func.coalesce(func.sum(D[n]), 0) for n in names))
        .where(
            D.user_id == _USER,
            D.platform.in_(_PLATFORMS),
            D.day >= bindparam("first_day"),
            D.day < bindparam("last_day"),
        )
        .group_by(D.platform)
    )


@cache
def _counters_stmt(
    names: tuple[str, ...], head: bool, days: bool
) -> Select[Any] | CompoundSelect[Any]:
    """One statement (one round trip) for the parts a window has: its rows are added up."""
    parts = [_edge_counters(names, "tail", closed=True)]
    if head:
        parts.append(_edge_counters(names, "head", closed=False))
    if days:
        parts.append(_day_counters(names))
    return generic_plan(parts[0] if len(parts) == 1 else union_all(*parts))


def window_counters(
    session: Session,
    user_id: uuid.UUID,
    start: datetime,
    end: datetime,
    names: Iterable[str],
    platforms: Iterable[str] = PLATFORMS,
) -> dict[str, dict[str, int]]:
    """platform → counter → count over [start, end], exact: whole UTC days come from
    event_day_count (one row per day and platform), the partial edge days from the events."""
    names, platforms = tuple(names), list(platforms)
    totals = {p: dict.fromkeys(names, 0) for p in platforms}
    split = split_utc_days(start, end)
    params: dict[str, Any] = {
        "user_id": user_id,
        "platforms": platforms,
        "tail_start": split.tail[0],
        "tail_end": split.tail[1],
    }
    if split.head:
        params |= {"head_start": split.head[0], "head_end": split.head[1]}
    if split.days:
        params |= {"first_day": split.days[0], "last_day": split.days[1]}
    for platform, *values in session.execute(
        _counters_stmt(names, bool(split.head), bool(split.days)), params
    ):
        for name, value in zip(names, values, strict=True):
            totals[platform][name] += int(value)
    return totals


def contacts_by_platform(
    session: Session,
    user_id: uuid.UUID,
    start: datetime,
    end: datetime,
    platform: str | None = None,
) -> dict[str, tuple[int, int]]:
    """platform → (non_sales, sales) outbound contacts in the window, for platforms with any."""
    counts = window_counters(
        session,
        user_id,
        start,
        end,
        ("contacts_non_sales_out", "contacts_sales_out"),
        [platform] if platform else PLATFORMS,
    )
    return {
        p: (c["contacts_non_sales_out"], c["contacts_sales_out"])
        for p, c in counts.items()
        if c["contacts_non_sales_out"] or c["contacts_sales_out"]
    }


def _contact_where() -> tuple[ColumnElement[bool], ...]:
    """Outbound contacts of :user_id on :platforms in [:start, :end]."""
    return (
        *_window(),
        E.platform.in_(_PLATFORMS),
        E.kind.in_(CONTACT_KINDS),
        E.direction == "outbound",
    )


@cache
def _counterpart_contacts_stmt() -> Select[tuple[int, int]]:
    return select(
        func.coalesce(func.sum(case((E.is_sales, 0), else_=1)), 0),
        func.coalesce(func.sum(case((E.is_sales, 1), else_=0)), 0),
    ).where(*_contact_where(), E.counterpart == bindparam("counterpart"))


def counterpart_contacts(
    session: Session, user_id: uuid.UUID, start: datetime, end: datetime, counterpart: str
) -> tuple[int, int]:
    """(non_sales, sales) outbound contacts with one person in the window, on every platform
    (through ix_event_user_counterpart). The whole list is _contacts.py."""
    non_sales, sales = session.execute(
        _counterpart_contacts_stmt(),
        {
            "user_id": user_id,
            "start": start,
            "end": end,
            "platforms": list(PLATFORMS),
            "counterpart": counterpart,
        },
    ).one()
    return int(non_sales), int(sales)


def engagement_counts(
    session: Session, user_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[int, int, int, int]:
    """(broadcasts, interactions, inbound except follow, distinct people engaged) in the window."""
    names = ("broadcasts_out", "interactions_out", "inbound_non_follow")
    per_platform = window_counters(session, user_id, start, end, names)
    broadcasts, interactions, inbound = (sum(c[n] for c in per_platform.values()) for n in names)
    return (
        broadcasts,
        interactions,
        inbound,
        _contacts.people_engaged(session, user_id, start, end),
    )
