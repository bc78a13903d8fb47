"""The counters of events per UTC day, each defined once.

A counter is one declarative definition: the direction and kinds of event it counts and,
for contacts, whether it takes sales contacts, the others or both. The same definition is
rendered as a Python lookup for the write path (which counters one event adds to) and as a
SQL condition on event columns for the partial edge days of a window and for a rebuild.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_
from sqlalchemy.sql.elements import Label

from app.calc.vocabulary import BROADCASTS, CONTACTS, DIRECTIONS, INTERACTIONS, KINDS


@dataclass(frozen=True)
class Counter:
    name: str
    direction: str
    kinds: frozenset[str]
    is_sales: bool | None = None  # None: sales contacts or not alike

    def counts(self, kind: str, direction: str, is_sales: bool) -> bool:
        return (
            direction == self.direction
            and kind in self.kinds
            and (self.is_sales is None or is_sales == self.is_sales)
        )

    def condition(self, c: Any) -> ColumnElement[bool]:
        """The same rule over event columns ``c`` (a table's or an alias's ``.c``)."""
        kinds = sorted(self.kinds)
        parts = [c.direction == self.direction]
        parts.append(c.kind == kinds[0] if len(kinds) == 1 else c.kind.in_(kinds))
        if self.is_sales is not None:
            parts.append(c.is_sales if self.is_sales else not_(c.is_sales))
        return and_(*parts)


_ALL = frozenset(KINDS)
DEFINITIONS: tuple[Counter, ...] = (
    Counter("follows_out", "outbound", frozenset({"follow"})),
    Counter("follows_in", "inbound", frozenset({"follow"})),
    Counter("unfollows_out", "outbound", frozenset({"unfollow"})),
    Counter("broadcasts_out", "outbound", BROADCASTS),
    Counter("interactions_out", "outbound", INTERACTIONS),
    Counter("contacts_non_sales_out", "outbound", CONTACTS, is_sales=False),
    Counter("contacts_sales_out", "outbound", CONTACTS, is_sales=True),
    Counter("inbound_non_follow", "inbound", _ALL - {"follow"}),
)
COUNTERS: tuple[str, ...] = tuple(c.name for c in DEFINITIONS)
_BY_NAME = {c.name: c for c in DEFINITIONS}

# Every (kind, direction, is_sales) of the vocabulary → the counters such an event adds to.
_OF_EVENT: dict[tuple[str, str, bool], tuple[str, ...]] = {
    (kind, direction, sales): tuple(c.name for c in DEFINITIONS if c.counts(kind, direction, sales))
    for kind in KINDS
    for direction in DIRECTIONS
    for sales in (False, True)
}


def counters_of(kind: str, direction: str, is_sales: bool) -> tuple[str, ...]:
    """Which counters one event adds to."""
    return _OF_EVENT[(kind, direction, is_sales)]


Key = tuple[uuid.UUID, date, str]  # (user_id, UTC day, platform)


def deltas(events: Iterable[Mapping[Any, Any]], sign: int = 1) -> dict[Key, dict[str, int]]:
    """Counter changes for events given as mappings with user_id, occurred_at (UTC),
    platform, kind, direction, is_sales."""
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for e in events:
        occurred: datetime = e["occurred_at"]
        key = (e["user_id"], occurred.date(), e["platform"])
        for name in counters_of(e["kind"], e["direction"], e["is_sales"]):
            out[key][name] += sign
    return out


def sums(c: Any, names: Iterable[str]) -> list[Label[Any]]:
    """SUM of each named counter's condition over event columns ``c``, labelled by name."""
    return [
        func.coalesce(func.sum(case((_BY_NAME[n].condition(c), 1), else_=0)), 0).label(n)
        for n in names
    ]


_BROADCASTS = _BY_NAME["broadcasts_out"]  # the posts a streak and the bounds look at


def broadcast_bounds(events: Iterable[Mapping[Any, Any]]) -> dict[Key, tuple[datetime, datetime]]:
    """(first, last) instant of the outbound broadcasts among events, per counter row."""
    out: dict[Key, tuple[datetime, datetime]] = {}
    for e in events:
        if not _BROADCASTS.counts(e["kind"], e["direction"], e["is_sales"]):
            continue
        t: datetime = e["occurred_at"]
        key = (e["user_id"], t.date(), e["platform"])
        first, last = out.get(key, (t, t))
        out[key] = (min(first, t), max(last, t))
    return out


def broadcast_bound_columns(c: Any) -> list[Label[Any]]:
    """The same bounds over event columns ``c``, for a rebuild grouped by counter row."""
    when = _BROADCASTS.condition(c)
    return [
        func.min(case((when, c.occurred_at))).label("first_broadcast_out_at"),
        func.max(case((when, c.occurred_at))).label("last_broadcast_out_at"),
    ]
