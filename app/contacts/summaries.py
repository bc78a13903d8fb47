"""Contact summaries at an instant: read from the kept summary (fast: a page of an index)
or, for an ``as_of`` before the user's latest event, counted from the events (slow).

A ``Summary`` is what the figures of §10 are derived from; ``Filters`` and the sorts are
applied by the database on the fast path and by ``matches`` / ``sort_key`` on the slow one.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    String,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.sql import Select
from sqlmodel import Session

from app.calc import contacts as calc
from app.contacts import search
from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE, TAG_TABLE
from app.core import pagination
from app.events import store
from app.users.models import User

C = CONTACT_TABLE.c
H = HANDLE_TABLE.c
T = TAG_TABLE.c


@dataclass(frozen=True)
class Filters:
    stage: str | None = None
    stale: bool | None = None
    tag: str | None = None
    q: str | None = None
    due_before: datetime | None = None


class Summary(NamedTuple):
    """One contact's own fields and its §6.7 figures at as_of (a NamedTuple: a page makes
    one per contact, and a frozen dataclass sets each field through object.__setattr__)."""

    id: uuid.UUID
    name: str | None
    tags: list[str]
    notes: str | None
    own_keep_in_touch_days: int | None
    created_at: datetime
    figures: store.HandleFigures
    stage: str | None
    due_at: datetime | None
    handles: tuple[str, ...] = ()

    def keep_in_touch_days(self, user: User) -> int:
        return self.own_keep_in_touch_days or user.keep_in_touch_days


def fast_path(session: Session, user: User, as_of: datetime) -> bool:
    """The kept summary is the figures at as_of when no event is after as_of."""
    latest = store.latest_occurred_at(session, user.id)
    return latest is None or as_of >= latest


def _summary(row: Any, handles: Sequence[str] = ()) -> Summary:
    return Summary(
        row.id,
        row.name,
        list(row.tags or ()),
        row.notes,
        row.keep_in_touch_days,
        row.created_at,
        store.HandleFigures.of_row(row),
        row.stage,
        row.due_at,
        tuple(handles),
    )


@cache
def _handles_stmt() -> Select[Any]:
    return select(H.contact_id, H.handle).where(H.contact_id.in_(bindparam("ids", expanding=True)))


def handles_of(session: Session, contact_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """contact id → its handles, A–Z (ix_contact_handle_contact)."""
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    ids = list(contact_ids)
    for first in range(0, len(ids), 500):
        rows = session.execute(_handles_stmt(), {"ids": ids[first : first + 500]})
        for cid, handle in rows:
            out[cid].append(handle)
    for handles in out.values():
        handles.sort()
    return out


# sort → (column, descending, cursor key)
SORTS: dict[str, tuple[ColumnElement[Any], bool, str]] = {
    "last_contact": (C.last_contact_at, True, "l"),
    "due": (C.due_at, False, "d"),
}


# A tag or a q that matches at most this many contacts is read as that set of ids (the
# tag's range of contact_tag's key; the q's scan of the handle and name indexes) and
# sorted; one that matches more walks the sort's index, where it is dense enough to fill
# a page soon.
NARROW_CAP = 2000
# Pages by last contact (and by due_at with a stage): one index range per distinct cadence
# when the user's contacts have at most this many (else the table is filtered and sorted).
CADENCE_STREAMS = 50


def _param(name: str, column: ColumnElement[Any]) -> BindParameter[Any]:
    return bindparam(name, type_=column.type)


_CAP = bindparam("cap", type_=Integer())  # NARROW_CAP + 1


@cache
def _tag_ids_stmt() -> Select[Any]:
    return (
        select(T.contact_id)
        .where(T.user_id == _param("user_id", T.user_id), T.tag == _param("tag", T.tag))
        .limit(_CAP)
    )


def _narrowed(session: Session, user: User, f: Filters) -> list[uuid.UUID] | None:
    """The ids of the contacts a rare tag or q names (None: no filter, or a common one)."""
    found: list[set[uuid.UUID]] = []
    if f.tag is not None:
        ids = session.execute(
            _tag_ids_stmt(), {"user_id": user.id, "tag": f.tag, "cap": NARROW_CAP + 1}
        ).scalars()
        found.append(set(ids))
    if f.q:
        found.append(search.contact_ids(session, user.id, f.q, NARROW_CAP + 1))
    small = [ids for ids in found if len(ids) <= NARROW_CAP]
    if not small:
        return None
    return sorted(set.intersection(*small))


_CADENCES = text(
    "WITH RECURSIVE k(days) AS ("
    " SELECT MIN(cadence_days) FROM contact WHERE user_id = :u"
    " UNION ALL"
    " SELECT (SELECT MIN(cadence_days) FROM contact WHERE user_id = :u AND cadence_days > k.days)"
    " FROM k WHERE k.days IS NOT NULL)"
    " SELECT days FROM k WHERE days IS NOT NULL LIMIT :n"
).bindparams(bindparam("u", type_=C.user_id.type), bindparam("n"))


def _cadences(session: Session, user_id: uuid.UUID) -> list[int]:
    """The user's distinct cadences, up to CADENCE_STREAMS + 1 of them: one probe of
    ix_contact_user_cadence_last each (a loose index scan)."""
    rows = session.execute(_CADENCES, {"u": user_id, "n": CADENCE_STREAMS + 1}).scalars()
    return [int(d) for d in rows]


@dataclass(frozen=True)
class _Shape:
    """What a page statement's SQL depends on. Its values are parameters (``_params``), so
    each shape is built once: building the per-cadence subqueries and their column
    collections was half the time of a one-contact page (py-spy, 100,000 contacts)."""

    sort: str
    stage: bool
    stale: bool | None
    due_before: bool
    tag: bool
    q: bool
    narrowed: bool  # the rare tag's or q's ids, as an expanding IN
    streams: int  # one range of ix_contact_user[_stage]_cadence_last per cadence; 0: none
    after: bool


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    # "Has events": on the sort's own column (due_at is null exactly when last_contact_at
    # is), so the planner walks the sort's index.
    listed = C.due_at if shape.sort == "due" else C.last_contact_at
    out: list[ColumnElement[bool]] = [
        C.user_id == _param("user_id", C.user_id),
        listed.is_not(None),
    ]
    if shape.stage:
        out.append(C.stage == _param("stage", C.stage))
    if shape.stale is not None:
        as_of = _param("as_of", C.due_at)
        out.append(C.due_at < as_of if shape.stale else C.due_at >= as_of)
    if shape.due_before:
        out.append(C.due_at < _param("due_before", C.due_at))
    if shape.tag:
        out.append(
            exists().where(
                T.user_id == _param("user_id", T.user_id),
                T.tag == _param("tag", T.tag),
                T.contact_id == C.id,
            )
        )
    if shape.q:
        pattern = bindparam("pattern", type_=String())
        out.append(
            or_(
                func.lower(C.name).like(pattern, escape="\\"),
                exists().where(H.contact_id == C.id, H.handle.like(pattern, escape="\\")),
            )
        )
    if shape.narrowed:
        out.append(C.id.in_(bindparam("ids", expanding=True)))
    return out


_LIMIT = bindparam("limit", type_=Integer())


def _stream(shape: _Shape, where: list[ColumnElement[bool]], i: int) -> Select[Any]:
    """The page's first limit + 1 contacts of one cadence (days_i): a range of
    ix_contact_user[_stage]_cadence_last. Within one cadence due_at = last_contact_at +
    days, so the due order is the last-contact order and due bounds are last-contact
    bounds (cut_i, due_cut_i and after_at_i are those bounds: ``_params``)."""
    descending = shape.sort == "last_contact"
    keyset = pagination.Keyset(C.last_contact_at, C.id, uuid.UUID, descending=descending)
    bounds = [
        C.cadence_days == bindparam(f"days_{i}", type_=Integer()),
        C.last_contact_at.is_not(None),
    ]
    if shape.stale is not None:
        cut = _param(f"cut_{i}", C.last_contact_at)
        bounds.append(C.last_contact_at < cut if shape.stale else C.last_contact_at >= cut)
    if shape.due_before:
        bounds.append(C.last_contact_at < _param(f"due_cut_{i}", C.last_contact_at))
    if shape.after:
        last = (_param(f"after_at_{i}", C.last_contact_at), _param("after_id", C.id))
        bounds.append(pagination.after((C.last_contact_at, C.id), last, (descending,) * 2))
    return select(CONTACT_TABLE).where(*where, *bounds).order_by(*keyset.order_by()).limit(_LIMIT)


@lru_cache(maxsize=512)
def _page_stmt(shape: _Shape) -> Select[Any]:
    column, descending, _ = SORTS[shape.sort]
    where = _conditions(shape)
    if shape.streams:
        streams = [select(_stream(shape, where, i).subquery()) for i in range(shape.streams)]
        merged = union_all(*streams).subquery()
        m_column = merged.c.due_at if shape.sort == "due" else merged.c.last_contact_at
        order = [m_column.desc(), merged.c.id.desc()] if descending else [m_column, merged.c.id]
        return select(merged).order_by(*order).limit(_LIMIT)
    keyset = pagination.Keyset(column, C.id, uuid.UUID, descending=descending)
    if shape.after:
        last = (_param("after_at", column), _param("after_id", C.id))
        where.append(pagination.after((column, C.id), last, (descending,) * 2))
    return select(CONTACT_TABLE).where(*where).order_by(*keyset.order_by()).limit(_LIMIT)


def _params(
    shape: _Shape,
    user: User,
    as_of: datetime,
    f: Filters,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    narrowed: list[uuid.UUID] | None,
    cadences: list[int],
) -> dict[str, Any]:
    params: dict[str, Any] = {"user_id": user.id, "limit": limit + 1}
    for name, value, used in (
        ("stage", f.stage, shape.stage),
        ("as_of", as_of, shape.stale is not None),
        ("due_before", f.due_before, shape.due_before),
        ("tag", f.tag, shape.tag),
        ("pattern", search.like_pattern(f.q) if f.q else None, shape.q),
        ("ids", narrowed, shape.narrowed),
        ("after_id", after[1] if after else None, shape.after),
    ):
        if used:
            params[name] = value
    if after is not None and not shape.streams:
        params["after_at"] = after[0]
    for i, days in enumerate(cadences[: shape.streams]):
        span = timedelta(days=days)
        params[f"days_{i}"] = days
        if f.stale is not None:
            params[f"cut_{i}"] = as_of - span
        if f.due_before is not None:
            params[f"due_cut_{i}"] = f.due_before - span
        if after is not None:
            params[f"after_at_{i}"] = after[0] - span if shape.sort == "due" else after[0]
    return params


def page_query(
    session: Session,
    user: User,
    as_of: datetime,
    f: Filters,
    sort: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[Select[Any], dict[str, Any]]:
    """SELECT the limit + 1 contacts of the page after ``after``, in the sort's order, and
    its parameters: a rare tag or q as a set of ids; sort=due without a stage on
    ix_contact_user_due; otherwise one range of ix_contact_user[_stage]_cadence_last per
    distinct cadence, merged."""
    narrowed = _narrowed(session, user, f) if (f.tag is not None or f.q) else None
    cadences = (
        []
        if narrowed is not None or (sort == "due" and f.stage is None)
        else (_cadences(session, user.id))
    )
    shape = _Shape(
        sort,
        f.stage is not None,
        f.stale,
        f.due_before is not None,
        f.tag is not None,
        bool(f.q),
        narrowed is not None,
        len(cadences) if len(cadences) <= CADENCE_STREAMS else 0,
        after is not None,
    )
    return _page_stmt(shape), _params(shape, user, as_of, f, after, limit, narrowed, cadences)


def page(
    session: Session,
    user: User,
    as_of: datetime,
    f: Filters,
    sort: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Summary]:
    """limit + 1 summaries of the page after ``after`` (``page_query``)."""
    stmt, params = page_query(session, user, as_of, f, sort, after, limit)
    rows = session.execute(stmt, params).all()
    handles = handles_of(session, [r.id for r in rows])
    return [_summary(r, handles[r.id]) for r in rows]


def where(session: Session, *conditions: ColumnElement[bool]) -> list[Summary]:
    """The kept summaries of the contacts matching ``conditions``."""
    rows = session.execute(select(CONTACT_TABLE).where(*conditions)).all()
    handles = handles_of(session, [r.id for r in rows])
    return [_summary(r, handles[r.id]) for r in rows]


def one(session: Session, user: User, contact_id: uuid.UUID) -> Summary | None:
    row = session.execute(
        select(CONTACT_TABLE).where(C.id == contact_id, C.user_id == user.id)
    ).one_or_none()
    if row is None:
        return None
    return _summary(row, handles_of(session, [row.id])[row.id])


def recounted(session: Session, user: User, base: Summary, as_of: datetime) -> Summary:
    """``base`` with its figures counted from the events up to as_of (the slow path)."""
    parts = store.handle_figures(session, user.id, base.handles, as_of)
    return _restaged(user, base, _total(parts.values()))


def _total(parts: Iterable[store.HandleFigures]) -> store.HandleFigures:
    out = store.HandleFigures()
    for p in parts:
        out = out.plus(p)
    return out


def _restaged(user: User, base: Summary, f: store.HandleFigures) -> Summary:
    stage = calc.stage(
        f.inbound,
        f.non_sales,
        user.sales_ratio,
        calc.local_day(f.first_inbound_at, user.zone),
        calc.local_day(f.last_inbound_at, user.zone),
        any_event=f.last_contact_at is not None,
    )
    due = calc.due_at(f.last_contact_at, base.keep_in_touch_days(user))
    return Summary(
        base.id,
        base.name,
        base.tags,
        base.notes,
        base.own_keep_in_touch_days,
        base.created_at,
        f,
        stage,
        due,
        base.handles,
    )


def every(
    session: Session, user: User, as_of: datetime, f: Filters, recount: bool
) -> list[Summary]:
    """Every contact of the user matching ``f`` with events up to as_of: from the kept
    summary, or (``recount``) counted from the events up to as_of (the slow path)."""
    rows = session.execute(select(CONTACT_TABLE).where(C.user_id == user.id)).all()
    handle_rows = session.execute(select(H.contact_id, H.handle).where(H.user_id == user.id)).all()
    handles: dict[uuid.UUID, list[str]] = defaultdict(list)
    for cid, h in handle_rows:
        handles[cid].append(h)
    summaries = [_summary(r, sorted(handles[r.id])) for r in rows]
    if recount:
        counted = store.handle_figures(session, user.id, None, as_of)
        summaries = [
            _restaged(user, s, _total(counted[h] for h in s.handles if h in counted))
            for s in summaries
        ]
    return [s for s in summaries if matches(s, as_of, f)]


def matches(s: Summary, as_of: datetime, f: Filters) -> bool:
    if s.figures.last_contact_at is None:
        return False
    if f.stage is not None and s.stage != f.stage:
        return False
    if f.stale is not None and calc.stale(s.due_at, as_of) != f.stale:
        return False
    if f.due_before is not None and not (s.due_at is not None and s.due_at < f.due_before):
        return False
    if f.tag is not None and f.tag not in s.tags:
        return False
    if f.q:
        q = f.q.lower()
        if not ((s.name and q in s.name.lower()) or any(q in h for h in s.handles)):
            return False
    return True
