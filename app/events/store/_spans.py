"""Several disjoint time spans in one statement: span i binds :start_i and :end_i, and the
statement is cached per tuple of closed flags (its shape)."""

from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, bindparam

from app.events.models import EVENT_TABLE

E = EVENT_TABLE.c

Span = tuple[datetime, datetime, bool]  # [start, end] when closed, else [start, end)


def in_span(i: int, closed: bool) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """occurred_at inside span i."""
    lo: BindParameter[datetime] = bindparam(f"start_{i}")
    hi: BindParameter[datetime] = bindparam(f"end_{i}")
    return (E.occurred_at >= lo, E.occurred_at <= hi if closed else E.occurred_at < hi)


def shape(spans: list[Span]) -> tuple[bool, ...]:
    return tuple(closed for _, _, closed in spans)


def params(spans: list[Span]) -> dict[str, datetime]:
    return {
        k: v
        for i, (lo, hi, _) in enumerate(spans)
        for k, v in ((f"start_{i}", lo), (f"end_{i}", hi))
    }
