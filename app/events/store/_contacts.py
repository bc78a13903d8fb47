"""Contacts over a window per platform and per counterpart, for the sales ratio (§6.3), and
the people engaged (§6.4).

A year of a busy account holds ~200,000 contacts with thousands of people, and
`by_counterpart` needs every person's own numbers over the whole window. The window is
split into whole UTC days and two partial edge days (_split.py): the whole days'
tallies come from the window cache in parts (UTC half-months, the newest days one each; each
part checked against its days' fingerprint on every request, so a back-dated write recounts
its part only), the edges are tallied from the events each time (both in one statement).
"""

import uuid
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union,
    union_all,
)
from sqlmodel import Session

from app.calc.vocabulary import CONTACT_KINDS, INTERACTION_KINDS, PLATFORMS
from app.core.db import generic_plan
from app.events.models import EVENT_TABLE
from app.events.store import _spans as spans_
from app.events.store._split import WindowSplit, split_utc_days
from app.events.store._window_cache import cached_parts, day_blocks

E = EVENT_TABLE.c

Pair = tuple[int, int]  # (non_sales, sales)


@dataclass(frozen=True)
class Contacts:
    """Outbound contacts of one span, tallied per platform and per person."""

    by_platform: dict[str, Pair]
    by_person: dict[str, Pair]  # over the platforms asked for; people named only
    sellers: frozenset[str]  # people with at least one sales contact


@cache
def _contacts_stmt(closed: tuple[bool, ...]) -> Select[Any] | CompoundSelect[Any]:
    """Contacts of each span per platform (rows: platform, '') and per person over those
    platforms (rows: '', person), one statement for all spans. Two groupings rather than
    one per (platform, person): a person is one row, not one per platform, and the rows
    cost more to read than the second pass over the span's index range."""
    # Grouped by an expression, with no condition on counterpart: a plain "GROUP BY
    # counterpart" or "counterpart IS NOT NULL" makes SQLite walk the user's whole history
    # through ix_event_user_counterpart instead of the window through ix_event_window.
    person = func.coalesce(E.counterpart, "")
    nobody: ColumnElement[str] = literal_column("''")
    parts = [
        select(
            *columns,
            func.sum(case((E.is_sales, 0), else_=1)),
            func.sum(case((E.is_sales, 1), else_=0)),
        )
        .where(
            E.user_id == bindparam("user_id"),
            *spans_.in_span(i, c),
            E.platform.in_(bindparam("platforms", expanding=True)),
            E.kind.in_(CONTACT_KINDS),
            E.direction == "outbound",
        )
        .group_by(columns[0] if by_platform else columns[1])
        for i, c in enumerate(closed)
        for by_platform, columns in ((True, (E.platform, nobody)), (False, (nobody, person)))
    ]
    return generic_plan(union_all(*parts))


def _add(into: dict[str, Pair], items: Iterable[tuple[str, Pair]], sign: int = 1) -> None:
    """Add (or with sign -1, take out) each item's pair into its key's (a tight loop: a
    month of a busy account is thousands of people)."""
    get = into.get
    for key, (n, s) in items:
        old = get(key)
        into[key] = (sign * n, sign * s) if old is None else (old[0] + sign * n, old[1] + sign * s)


def _tally(
    session: Session, user_id: uuid.UUID, platforms: list[str], spans: list[spans_.Span]
) -> Contacts:
    by_platform: dict[str, Pair] = {}
    by_person: dict[str, Pair] = {}
    rows = session.execute(
        _contacts_stmt(spans_.shape(spans)),
        {"user_id": user_id, "platforms": platforms, **spans_.params(spans)},
    ).all()  # fetchall: row by row iteration costs more than the statement
    pairs = [(platform, person, (int(n), int(s))) for platform, person, n, s in rows]
    _add(by_platform, ((platform, pair) for platform, _, pair in pairs if platform))
    _add(by_person, ((person, pair) for _, person, pair in pairs if person))  # "": nobody named
    return Contacts(by_platform, by_person, frozenset(c for c, (_, s) in by_person.items() if s))


def _merge(parts: list[Contacts]) -> Contacts:
    if len(parts) == 1:
        return parts[0]
    by_platform: dict[str, Pair] = {}
    by_person: dict[str, Pair] = {}
    for part in parts:
        _add(by_platform, part.by_platform.items())
        _add(by_person, part.by_person.items())
    return Contacts(by_platform, by_person, frozenset().union(*(p.sellers for p in parts)))


def _replace(whole: Contacts, old: Contacts, new: Contacts) -> Contacts:
    """whole with one part's old tallies taken out and its new ones put in."""
    by_platform = dict(whole.by_platform)
    by_person = dict(whole.by_person)
    for into, was, now in (
        (by_platform, old.by_platform, new.by_platform),
        (by_person, old.by_person, new.by_person),
    ):
        _add(into, was.items(), -1)
        _add(into, now.items())
        for key in was.keys() - now.keys():
            if into[key] == (0, 0):
                del into[key]  # as if never counted: a fresh combination has no such entry
    sellers = set(whole.sellers)
    for c in old.by_person.keys() | new.by_person.keys():
        if by_person.get(c, (0, 0))[1]:
            sellers.add(c)
        else:
            sellers.discard(c)
    return Contacts(by_platform, by_person, frozenset(sellers))


@lru_cache(maxsize=1024)
def _parts(blocks: tuple[tuple[date, date], ...]) -> tuple[tuple[Hashable, date, date], ...]:
    return tuple((b, *b) for b in blocks)


def _edges(split: WindowSplit) -> list[spans_.Span]:
    return [(*split.tail, True)] + ([(*split.head, False)] if split.head else [])


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def window_contacts(
    session: Session,
    user_id: uuid.UUID,
    start: datetime,
    end: datetime,
    platform: str | None = None,
) -> tuple[dict[str, Pair], list[tuple[str, int, int]]]:
    """Outbound contacts in [start, end]: (platform → (non_sales, sales) for platforms with
    any, [(counterpart, non_sales, sales)] for every counterpart with a sales contact)."""
    platforms: list[str] = [platform] if platform else list(PLATFORMS)
    split = split_utc_days(start, end)
    whole = Contacts({}, {}, frozenset())
    if split.days:
        # One part a UTC day: a write recounts its day and patches the kept whole by that
        # day's tallies (`_replace`), so back-dated writers cost readers a day's events each
        # (half-month parts cost 15 days' each: 16 writers brought readers to a few per s).
        blocks = day_blocks(*split.days, recent=(split.days[1] - split.days[0]).days)
        whole = cached_parts(
            session,
            "window_contacts",
            user_id,
            platforms,
            _parts(blocks),
            None,
            lambda i: _tally(
                session,
                user_id,
                platforms,
                [(_midnight(blocks[i][0]), _midnight(blocks[i][1]), False)],
            ),
            _merge,
            weight=lambda c: len(c.by_person) + len(c.by_platform),
            replace=_replace,
        )
    edges = _tally(session, user_id, platforms, _edges(split))
    by_platform = dict(whole.by_platform)
    _add(by_platform, edges.by_platform.items())
    edge_people = edges.by_person
    rows = []
    for c in whole.sellers:  # people with a sales contact on the whole days
        n, s = whole.by_person[c]
        n1, s1 = edge_people.get(c, (0, 0))
        rows.append((c, n + n1, s + s1))
    for c, (n1, s1) in edge_people.items():  # people whose only sales contacts are on the edges
        if s1 and c not in whole.sellers:
            n, s = whole.by_person.get(c, (0, 0))
            rows.append((c, n + n1, s + s1))
    return {p: by_platform[p] for p in platforms if p in by_platform}, rows


@cache
def _people_stmt(closed: tuple[bool, ...]) -> Select[Any] | CompoundSelect[Any]:
    person = func.coalesce(E.counterpart, "")  # an expression: see _contacts_stmt
    parts = [
        select(person).where(
            E.user_id == bindparam("user_id"),
            *spans_.in_span(i, c),
            E.platform.in_(PLATFORMS),
            E.kind.in_(INTERACTION_KINDS),
            E.direction == "outbound",
        )
        for i, c in enumerate(closed)
    ]
    return generic_plan(union(*parts) if len(parts) > 1 else parts[0].distinct())


def _people(session: Session, user_id: uuid.UUID, spans: list[spans_.Span]) -> frozenset[str]:
    rows = session.execute(
        _people_stmt(spans_.shape(spans)), {"user_id": user_id, **spans_.params(spans)}
    ).scalars()
    return frozenset(c for c in rows if c)


def people_engaged(session: Session, user_id: uuid.UUID, start: datetime, end: datetime) -> int:
    """Distinct counterparts of outbound interactions in [start, end]. Distinct people do not
    add up across days, so the whole UTC days' sets are cached (in parts, combined) and the edges' people are added."""
    split = split_utc_days(start, end)
    whole: frozenset[str] = frozenset()
    if split.days:
        blocks = day_blocks(*split.days)
        whole = cached_parts(
            session,
            "people_engaged",
            user_id,
            PLATFORMS,
            [(b, *b) for b in blocks],
            None,
            lambda i: _people(
                session, user_id, [(_midnight(blocks[i][0]), _midnight(blocks[i][1]), False)]
            ),
            lambda parts: frozenset().union(*parts),
            weight=len,
        )
    edges = _people(session, user_id, _edges(split))
    return len(whole) + len(edges - whole)
